import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RegistryError,
  facilityFor,
  formatIssue,
  loadRegistry,
  parseRegistry,
  scopeOf,
  targetsOf,
  type FacilityRegistry,
} from '../../../src/facilities/registry.ts';
import type { Resolver } from '../../../src/targets/target-set.ts';

const samples = new URL('./samples/', import.meta.url);
const csvSample = new URL('registry.csv', samples).pathname;
const yamlSample = new URL('registry.yaml', samples).pathname;

function fakeResolver(table: Record<string, string[]>): Resolver {
  return async (name) => {
    const hit = table[name];
    if (!hit) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return hit;
  };
}

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RegistryError, String(err));
    return err.issues.filter((i) => i.level === 'error').map(formatIssue);
  }
  assert.fail('expected a RegistryError');
}

/** The IPv4 targets (the samples' IPv6 /48s are far too many to list), labelled with their hostname. */
async function collectV4(r: FacilityRegistry): Promise<string[]> {
  const out: string[] = [];
  const t = await targetsOf(r);
  for await (const x of t.iterate({ order: 'sequential', end: t.v4.size }))
    out.push(x.hostname ? `${x.address}(${x.hostname})` : x.address);
  return out;
}

test('CSV: fields, aliases, normalised country, region from state, coordinates', async () => {
  const r = await loadRegistry(csvSample, { resolve: false });
  assert.deepEqual(
    r.facilities.map((f) => f.id),
    ['chu-nord', 'clinique-sud', 'radiologie-est', 'region-idf'],
  );
  const chu = r.get('chu-nord')!;
  assert.equal(chu.name, 'CHU Nord, imagerie');
  assert.equal(chu.region, 'Hauts-de-France');
  assert.equal(chu.country, 'FR');
  assert.equal(chu.contact, 'securite@chu-nord.example.org');
  assert.deepEqual([chu.lat, chu.lon], [50.63, 3.06]);
  assert.deepEqual(
    chu.ranges.map((x) => x.spec),
    ['192.0.2.0/25'],
  );
  assert.deepEqual(
    chu.hosts.map((h) => [h.name, h.line, h.resolved]),
    [['pacs.chu-nord.example.org', 3, false]],
  );
  assert.equal(r.get('clinique-sud')!.country, 'FR');
  assert.deepEqual(
    r.get('clinique-sud')!.ranges.map((x) => x.spec),
    ['192.0.2.128/25', '2001:db8:100::/48'],
  );
  assert.deepEqual([r.get('radiologie-est')!.lat, r.get('radiologie-est')!.lon], [null, null]);
});

test('overlapping ranges between facilities are warnings, with lines and sizes', async () => {
  const r = await loadRegistry(csvSample, { resolve: false });
  const w = r.warnings.map(formatIssue);
  assert.deepEqual(w, [
    `${csvSample}:6: warning: facility region-idf: range 198.51.100.0/24 overlaps range 198.51.100.16-31 of facility radiologie-est (line 5) on 16 addresses (198.51.100.16/28); the most specific range owns each address`,
  ]);
});

test('facilityFor: the most specific range wins', async () => {
  const r = await loadRegistry(csvSample, { resolve: false });
  assert.equal(facilityFor(r, '198.51.100.20'), 'radiologie-est');
  assert.equal(facilityFor(r, '198.51.100.5'), 'region-idf');
  assert.equal(facilityFor(r, '198.51.100.32'), 'region-idf');
  assert.equal(facilityFor(r, '192.0.2.127'), 'chu-nord');
  assert.equal(facilityFor(r, '192.0.2.128'), 'clinique-sud');
  assert.equal(facilityFor(r, '::ffff:192.0.2.1'), 'chu-nord');
  assert.equal(facilityFor(r, '2001:db8:100:ffff::1'), 'clinique-sud');
  assert.equal(facilityFor(r, '2001:db8:101::1'), null);
  assert.equal(facilityFor(r, '203.0.113.1'), null);
  assert.equal(facilityFor(r, 'pacs.chu-nord.example.org'), null, 'names are never looked up by facilityFor');
});

test('equal ranges in two facilities: the first listed owns it (and a warning says so)', () => {
  const r = parseRegistry('id,name,country,ranges\na,A,FR,192.0.2.0/24\nb,B,FR,192.0.2.0/24;192.0.2.7\n', {
    format: 'csv',
    source: 'dup.csv',
  });
  assert.equal(r.facilityFor('192.0.2.1'), 'a');
  assert.equal(r.facilityFor('192.0.2.7'), 'b', 'a single address is more specific');
  assert.deepEqual(
    r.warnings
      .filter((w) => /overlaps/.test(w.message))
      .map((w) => `${w.line} ${w.facility} ${w.message.replace(/ on .*/, '')}`),
    [
      '3 b range 192.0.2.0/24 overlaps range 192.0.2.0/24 of facility a (line 2)',
      '3 b range 192.0.2.7 overlaps range 192.0.2.0/24 of facility a (line 2)',
      '3 b range 192.0.2.7 overlaps its own range 192.0.2.0/24 (line 3)',
    ],
  );
});

test('scopeOf: union of facility ranges, nothing else', async () => {
  const r = await loadRegistry(csvSample, { resolve: false });
  const s = scopeOf(r);
  for (const a of ['192.0.2.0', '192.0.2.255', '198.51.100.200', '2001:db8:100::99'])
    assert.equal(s.allows(a), true, a);
  for (const a of ['203.0.113.1', '2001:db8:101::1', '10.0.0.1', '0.0.0.0']) assert.equal(s.allows(a), false, a);
  assert.match(s.explain('198.51.100.20').reason, /facility radiologie-est .*registry\.csv:5.*facility region-idf/);
});

test("hostnames: resolved once at load, pinned, in scope only as the listing facility's addresses", async () => {
  const resolver = fakeResolver({ 'pacs.chu-nord.example.org': ['203.0.113.50', '2001:db8:300::50'] });
  const r = await loadRegistry(csvSample, { resolver });
  const host = r.get('chu-nord')!.hosts[0]!;
  assert.deepEqual(host.addresses, ['203.0.113.50', '2001:db8:300::50']);
  const s = r.scope();
  assert.equal(s.allows('203.0.113.50'), true);
  assert.equal(s.allows('203.0.113.51'), false, 'a resolved address does not widen the scope beyond itself');
  assert.equal(s.allows('2001:db8:300::51'), false);
  assert.deepEqual(s.explain('203.0.113.50').allowedBy, [
    `facility chu-nord (${csvSample}:3): host pacs.chu-nord.example.org`,
  ]);
  assert.equal(r.facilityFor('203.0.113.50'), 'chu-nord');
  const targets = await targetsOf(r);
  assert.equal(targets.count(), 512n + (1n << 80n) + 2n, 'two /24s, the v6 /48 and the two pinned addresses');
  assert.ok((await collectV4(r)).includes('203.0.113.50(pacs.chu-nord.example.org)'));
  assert.equal(targets.hostnameOf('2001:db8:300::50'), 'pacs.chu-nord.example.org');
  assert.equal(targets.hasAddress('2001:db8:300::50'), true);
});

test("a host resolving into another facility's range is credited to the facility that listed it, with a warning", async () => {
  const r = await loadRegistry(csvSample, {
    resolver: fakeResolver({ 'pacs.chu-nord.example.org': ['198.51.100.20'] }),
  });
  assert.equal(r.facilityFor('198.51.100.20'), 'chu-nord');
  assert.equal(r.facilityFor('198.51.100.21'), 'radiologie-est');
  assert.ok(
    r.warnings.some((w) => w.facility === 'chu-nord' && /inside a range of facility radiologie-est/.test(w.message)),
  );
});

test('an unresolvable host adds nothing to the scope and is reported', async () => {
  const r = await loadRegistry(csvSample, { resolver: fakeResolver({}) });
  assert.ok(
    r.warnings.some(
      (w) => w.line === 3 && /cannot resolve host pacs\.chu-nord\.example\.org \(ENOTFOUND\)/.test(w.message),
    ),
  );
  assert.deepEqual(r.get('chu-nord')!.hosts[0]!.addresses, []);
  assert.equal((await targetsOf(r)).hostnames.length, 0, 'nothing is left to resolve at scan time');
});

test("two facilities' names resolving to one address, and loopback answers, are warnings", async () => {
  const reg = parseRegistry('id,name,country,hosts\na,A,FR,pacs.a.example\nb,B,FR,pacs.b.example\n', {
    format: 'csv',
    source: 'h.csv',
  });
  const r = await reg.resolveHosts(fakeResolver({ 'pacs.a.example': ['127.0.0.9'], 'pacs.b.example': ['127.0.0.9'] }));
  const w = r.warnings.map((x) => x.message);
  assert.ok(w.some((m) => /as does host pacs\.a\.example of facility a; 127\.0\.0\.9 is attributed to a/.test(m)));
  assert.ok(w.some((m) => /a loopback address/.test(m)));
  assert.equal(r.facilityFor('127.0.0.9'), 'a');
});

test('YAML: facilities key, lists or strings, exclusions, "NO" stays Norway', async () => {
  const r = await loadRegistry(yamlSample, { resolver: fakeResolver({ 'pacs.bergen.example.org': ['203.0.113.70'] }) });
  assert.deepEqual(
    r.facilities.map((f) => [f.id, f.country, f.region, f.line]),
    [
      ['oslo-uh', 'NO', 'Oslo', 3],
      ['bergen-clinic', 'NO', 'Vestland', 14],
    ],
  );
  const oslo = r.get('oslo-uh')!;
  assert.deepEqual(
    oslo.ranges.map((x) => [x.spec, x.line]),
    [
      ['203.0.113.0/26', 9],
      ['2001:db8:200::/48', 10],
    ],
  );
  assert.deepEqual(
    oslo.exclude.map((x) => x.spec),
    ['203.0.113.10'],
  );
  const s = r.scope();
  assert.equal(s.allows('203.0.113.10'), false, 'excluded by the facility');
  assert.equal(s.allows('203.0.113.11'), true);
  assert.equal(r.facilityFor('203.0.113.70'), 'bergen-clinic');
  const targets = await collectV4(r);
  assert.ok(!targets.includes('203.0.113.10'));
  assert.equal(targets.filter((t) => t.startsWith('203.0.113.')).length, 64 - 1 + 64);
  assert.ok(
    targets.includes('203.0.113.70(pacs.bergen.example.org)'),
    'a name inside a listed range labels that address',
  );
  // a bare list works too, and JSON is YAML
  const bare = parseRegistry('[{"id": "x", "name": "X", "country": "se", "ranges": "192.0.2.0/24"}]', {
    format: 'yaml',
  });
  assert.equal(bare.get('x')!.country, 'SE');
});

test('CSV errors: every one, with its line', () => {
  const text = [
    'id,name,region,country,contact,ranges,lat,lon',
    'a,A,R,FR,a@a.example,10.0.0.0/33,,', // 2: bad CIDR
    'A,B,R,FR,b@b.example,192.0.2.1,,', // 3: duplicate id (case-insensitive)
    ',C,R,FR,c@c.example,192.0.2.2,,', // 4: missing id
    'd,D,R,UK,d@d.example,192.0.2.3,,', // 5: UK is not ISO
    'e,E,R,FR,not-an-email,192.0.2.4,,', // 6: bad email
    'f,F,R,FR,f@f.example,,,', // 7: no ranges
    'g,G,R,FR,g@g.example,192.0.2.9-192.0.2.1,,', // 8: reversed range
    'h,H,R,FR,h@h.example,192.0.2.5,91,0', // 9: bad latitude
    'i,I,R,FR,i@i.example,192.0.2.6,45,', // 10: lat without lon
    'j k,J,R,FR,j@j.example,192.0.2.7,,', // 11: bad id
    'l,,R,FR,l@l.example,192.0.2.8,,', // 12: missing name
    'm,M,R,FR,m@m.example,192.0.2.10,,,extra', // 13: extra field
    'n,N,R,,n@n.example,192.0.2.11,,', // 14: missing country
  ].join('\n');
  const errors = errorsOf(() => parseRegistry(text, { format: 'csv', source: 'bad.csv' }));
  const lines = errors.map((e) => Number(/^bad\.csv:(\d+)/.exec(e)![1]));
  assert.deepEqual(lines, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], errors.join('\n'));
  assert.match(errors[0]!, /range "10\.0\.0\.0\/33": prefix length/);
  assert.match(errors[1]!, /duplicate id \(first defined on line 2/);
  assert.match(errors[3]!, /did you mean GB\?/);
  assert.match(errors[6]!, /reversed range/);
});

test('CSV header problems', () => {
  assert.match(
    errorsOf(() => parseRegistry('id,name,ranges\n', { format: 'csv', source: 'x.csv' }))[0]!,
    /missing column "country"/,
  );
  assert.match(errorsOf(() => parseRegistry('', { format: 'csv', source: 'x.csv' }))[0]!, /empty file/);
  assert.match(
    errorsOf(() => parseRegistry('id,name,country,ranges\n', { format: 'csv', source: 'x.csv' }))[0]!,
    /no facilities/,
  );
  const r = parseRegistry('ID;Name;Country;Ranges;Notes\nx;X;FR;192.0.2.0/24 192.0.2.200;hello\n', {
    format: 'csv',
    source: 'semi.csv',
  });
  assert.equal(r.get('x')!.ranges.length, 2, 'semicolon-delimited, ranges separated by spaces');
  assert.ok(r.warnings.some((w) => /unknown column "Notes"/.test(w.message)));
  assert.ok(r.warnings.some((w) => /no contact/.test(w.message)));
});

test('YAML errors, with lines', () => {
  const text = [
    'facilities:',
    '  - id: a',
    '    name: A',
    '    country: ZZ',
    '    ranges: [192.0.2.0/24]',
    '  - id: b',
    '    name: B',
    '    country: FR',
    '    ranges:',
    '      - 192.0.2.300',
    '  - just a string',
  ].join('\n');
  const errors = errorsOf(() => parseRegistry(text, { format: 'yaml', source: 'bad.yaml' }));
  assert.deepEqual(errors, [
    'bad.yaml:4: error: facility a: country "ZZ" is not an ISO 3166-1 alpha-2 code',
    'bad.yaml:10: error: facility b: range "192.0.2.300": an octet is larger than 255',
    'bad.yaml:11: error: each facility must be a mapping (id: ..., name: ...)',
  ]);
  assert.match(
    errorsOf(() => parseRegistry('facilities: [\n', { format: 'yaml', source: 's.yaml' }))[0]!,
    /^s\.yaml:\d+: error: YAML:/,
  );
  assert.match(
    errorsOf(() => parseRegistry('a: 1\n', { format: 'yaml', source: 's.yaml' }))[0]!,
    /expected a list of facilities/,
  );
  // YAML 1.1 reads NO as a boolean: the loader says to quote it
  const v11 = '%YAML 1.1\n---\n- id: oslo\n  name: Nordland\n  country: NO\n  ranges: 192.0.2.0/24\n';
  assert.deepEqual(
    errorsOf(() => parseRegistry(v11, { format: 'yaml', source: 'n.yaml' })),
    ['n.yaml:5: error: facility oslo: country NO was read as the boolean false (YAML 1.1): quote it ("NO")'],
  );
  assert.match(
    errorsOf(() => parseRegistry('- id: a\n  id: b\n', { format: 'yaml', source: 'k.yaml' }))[0]!,
    /YAML: Map keys must be unique/,
  );
});

test('exclusions must be addresses', () => {
  assert.match(
    errorsOf(() =>
      parseRegistry('id,name,country,ranges,exclude\na,A,FR,192.0.2.0/24,mri.example\n', {
        format: 'csv',
        source: 'e.csv',
      }),
    )[0]!,
    /exclusions must be addresses/,
  );
});

test('loadRegistry picks the format from the extension', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pacsmap-registry-'));
  try {
    await writeFile(join(dir, 'r.tsv'), 'id\tname\tcountry\tranges\nt\tT\tDE\t192.0.2.0/24\n');
    assert.equal((await loadRegistry(join(dir, 'r.tsv'))).get('t')!.country, 'DE');
    await writeFile(join(dir, 'r.yml'), '- {id: y, name: Y, country: IT, ranges: 192.0.2.0/24}\n');
    assert.equal((await loadRegistry(join(dir, 'r.yml'))).get('y')!.country, 'IT');
  } finally {
    await rm(dir, { recursive: true });
  }
});
