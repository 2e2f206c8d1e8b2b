/** The report map's data (ISO numeric codes vs world-atlas), the SVG it draws, and lazy offline GeoIP. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { countryName, numericCode, numericCodes } from '../../../src/report/html/countries.ts';
import { LEVEL_COLOURS, renderMap } from '../../../src/report/html/map.ts';
import { countryOfAddress, geoIpLoaded, isPublicAddress } from '../../../src/report/geo.ts';

const require = createRequire(import.meta.url);

test('every ISO 3166 alpha-2 code has a unique numeric code, and every world-atlas country id is one of them', () => {
  const iso = JSON.parse(
    readFileSync(new URL('../../../src/facilities/iso3166-alpha2.json', import.meta.url), 'utf8'),
  ) as {
    codes: Record<string, string>;
  };
  const codes = numericCodes();
  assert.deepEqual([...codes.keys()].sort(), Object.keys(iso.codes).sort());
  assert.equal(new Set(codes.values()).size, codes.size);
  const byNumeric = new Map([...codes].map(([a, n]) => [n, a] as const));
  const atlas = JSON.parse(readFileSync(require.resolve('world-atlas/countries-50m.json'), 'utf8')) as {
    objects: { countries: { geometries: { id?: string; properties: { name: string } }[] } };
  };
  const ids = atlas.objects.countries.geometries.filter((g) => g.id !== undefined);
  assert.ok(ids.length > 200);
  for (const g of ids) assert.ok(byNumeric.has(g.id!), `world-atlas ${g.id} (${g.properties.name}) has an ISO code`);
  // Spot checks where names differ between the two sources.
  const name = (id: string): string | undefined => ids.find((g) => g.id === id)?.properties.name;
  assert.equal(name(numericCode('DE')!), 'Germany');
  assert.equal(name(numericCode('CD')!), 'Dem. Rep. Congo');
  assert.equal(name(numericCode('HM')!), 'Heard I. and McDonald Is.');
  assert.equal(numericCode('AQ'), '010');
  assert.equal(numericCode('ZZ'), null);
  assert.equal(countryName('FR'), 'France');
  assert.equal(countryName(null), 'unknown');
});

test('the map colours scanned countries, adds small territories from 1:50m, and draws one point per facility', () => {
  const svg = renderMap(
    [
      { country: 'FR', level: 'records', text: 'a lot' },
      { country: 'HM', level: 'exposed', text: 'some' },
    ],
    [
      { name: 'A <b>', latitude: 48.85, longitude: 2.35, level: 'records', patients: 400, text: 'x' },
      { name: 'B', latitude: -53.1, longitude: 73.5, level: 'found', patients: 0, text: 'y' },
    ],
  ).text;
  assert.match(svg, /^<svg\s+viewBox="0 0 960 500"/);
  assert.equal((svg.match(/<circle /g) ?? []).length, 2);
  assert.match(svg, new RegExp(`<path d="[^"]+" fill="${LEVEL_COLOURS.records}"[^>]*><title>France: a lot</title>`));
  assert.ok(
    svg.includes(`<title>Heard &amp; McDonald Islands: some</title>`),
    'HM is not in the 1:110m atlas: taken from 1:50m',
  );
  assert.ok(svg.includes('<title>A &lt;b&gt;: x</title>'));
  assert.ok(!/https?:|href|src=/.test(svg), 'no reference of any kind');
  // Bigger archives, bigger points (radius grows with records).
  const radii = [...svg.matchAll(/<circle [^>]*r="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.ok(radii[0]! > radii[1]!);
});

test('GeoIP: non-routed addresses never load the data; a public one gets its country offline', () => {
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '192.168.1.1',
    '172.20.0.1',
    '169.254.1.1',
    '::1',
    'fd00::1',
    'fe80::1',
    'pacs.example',
    '192.0.2.7',
  ])
    assert.equal(countryOfAddress(a), null, a);
  assert.equal(geoIpLoaded(), false, 'the 100 MB data stays unloaded for private scans');
  assert.equal(isPublicAddress('8.8.8.8'), true);
  const c = countryOfAddress('8.8.8.8');
  assert.equal(geoIpLoaded(), true);
  assert.match(c ?? '', /^[A-Z]{2}$/);
});
