/** Fleet generation: deterministic per seed, loopback only, every exposure level, a consistent registry. */
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_SUBNET,
  LAB_PORTS,
  generateFleet,
  labAddresses,
  parseLabSubnet,
  toRanges,
} from '../../../src/lab/fleet.ts';
import { ARCHETYPES, buildBehaviour } from '../../../src/lab/profiles.ts';
import { PRODUCTS, productIdentity } from '../../../src/lab/products.ts';
import { Rng } from '../../../src/lab/random.ts';
import { STRANGER, buildGroundTruth, expectation, workingAe } from '../../../src/lab/truth.ts';
import { FACILITY_CSV_COLUMNS, facilitiesCsv, facilitiesYaml } from '../../../src/lab/files.ts';
import { identifyProduct } from '../../../src/knowledge/fingerprints.ts';
import { Scope } from '../../../src/scope/scope.ts';
import { EXPOSURE_LEVELS } from '../../../src/scan/exposure.ts';

function truthOf(hosts: number, seed: string | number, subnet?: string) {
  return buildGroundTruth({
    fleet: generateFleet({ hosts, seed, subnet }),
    status: 'ready',
    pid: 1,
    startedAt: '2000-01-01T00:00:00.000Z',
    latencyMs: 0,
    certificateFingerprint256: 'AA:BB',
    descriptions: (id) => id,
  });
}

test('the same seed gives the same fleet; another seed another fleet', () => {
  const a = JSON.stringify(truthOf(60, 42));
  const b = JSON.stringify(truthOf(60, 42));
  const c = JSON.stringify(truthOf(60, 43));
  assert.equal(a, b);
  assert.notEqual(a, c);
  // Growing the fleet does not reshuffle the hosts it already had.
  const small = truthOf(10, 'grow');
  const big = truthOf(11, 'grow');
  assert.deepEqual(
    small.endpoints.map((e) => [e.id, e.kind, e.archetype, e.archive?.studies ?? null]),
    big.endpoints.slice(0, small.endpoints.length).map((e) => [e.id, e.kind, e.archetype, e.archive?.studies ?? null]),
  );
});

test('hosts get loopback addresses in the lab subnet, never .0/.255, never 127.0.0.0/16', () => {
  const addrs = labAddresses('127.0.0.0/8', 300);
  assert.ok(addrs.every((a) => a >>> 24 === 127 && a >>> 16 !== 0x7f00 && (a & 255) !== 0 && (a & 255) !== 255));
  assert.throws(() => parseLabSubnet('10.0.0.0/16'), /loopback/);
  assert.throws(() => parseLabSubnet('127.1.2.0/28'), /prefix/);
  assert.throws(() => labAddresses('127.5.5.0/24', 300), /room for 254/);
  const fleet = generateFleet({ hosts: 300 });
  const scope = new Scope().allow(DEFAULT_SUBNET);
  for (const h of fleet.hostList) {
    assert.ok(scope.allows(h.address), h.address);
    assert.deepEqual(
      h.endpoints.map((e) => e.port),
      [...LAB_PORTS],
    );
    const open = h.endpoints.filter((e) => e.kind !== 'closed').length;
    assert.ok(open >= 1 && open <= 3, `${h.address} has ${open} open ports`);
  }
  assert.equal(new Set(fleet.hostList.map((h) => h.address)).size, 300);
});

test('a fleet of 40 hosts reaches every exposure level, and closed, HTTP, tarpit and TLS endpoints', () => {
  const gt = truthOf(40, 'coverage');
  const seen = new Set(gt.endpoints.map((e) => e.stranger.exposure));
  for (const level of [...EXPOSURE_LEVELS, 'none']) assert.ok(seen.has(level as never), `no ${level} endpoint`);
  const kinds = new Set(gt.endpoints.map((e) => e.kind));
  for (const k of ['dicom', 'dicom-tls', 'http', 'tarpit', 'closed'])
    assert.ok(kinds.has(k as never), `no ${k} endpoint`);
  assert.ok(gt.endpoints.some((e) => e.stranger.reject?.reason === 7));
  assert.ok(gt.endpoints.some((e) => e.stranger.reject?.reason === 3));
  assert.ok(
    gt.endpoints.some(
      (e) => e.stranger.query.allowed && (e.services?.findLimit ?? Infinity) < (e.archive?.studies ?? 0),
    ),
    'an archive with a result cap that bites',
  );
  // Every archetype is dealt at least once per round of the deck.
  const dicom = gt.endpoints.filter((e) => e.archetype !== null);
  assert.ok(dicom.length >= ARCHETYPES.reduce((n, a) => n + a.weight, 0));
  assert.deepEqual(new Set(dicom.map((e) => e.archetype)), new Set(ARCHETYPES.map((a) => a.id)));
});

test('each archetype reaches its documented exposure for a stranger and for its working AE titles', () => {
  const expected: Record<string, [string, string | null]> = {
    'orthanc-open': ['retrievable', null],
    'orthanc-checked-aet': ['identified', 'retrievable'],
    'orthanc-empty': ['queryable', null],
    'find-refused': ['writable', null],
    'dcmtk-storescp': ['writable', null],
    'dcmtk-dcmqrscp': ['identified', 'retrievable'],
    'dcmqrscp-patient-root': ['retrievable', null],
    'dcm4chee-arc': ['identified', 'retrievable'],
    'dcm4chee2-restricted': ['identified', 'queryable'],
    'conquest-open': ['queryable', null],
    'fo-dicom-query': ['queryable', null],
    'pynetdicom-echo': ['associable', null],
    'pynetdicom-store-restricted': ['identified', 'writable'],
    'clearcanvas-devices': ['identified', 'queryable'],
    'horos-open': ['retrievable', null],
  };
  assert.deepEqual(Object.keys(expected).sort(), ARCHETYPES.map((a) => a.id).sort());
  for (const a of ARCHETYPES) {
    const b = buildBehaviour(a, new Rng(a.id), { endpoint: 1, fleetTag: 1, maxStudies: 1200 });
    const [stranger, working] = expected[a.id]!;
    assert.equal(expectation(b, STRANGER).exposure, stranger, `${a.id} for a stranger`);
    if (working)
      assert.equal(expectation(b, workingAe(b)).exposure, working, `${a.id} with ${JSON.stringify(workingAe(b))}`);
  }
});

test("every product announces values that pacsmap's fingerprints identify as documented", () => {
  for (const p of PRODUCTS) {
    const id = productIdentity(p);
    const m = identifyProduct({ classUid: id.classUid, versionName: id.versionName });
    assert.equal(m?.name, id.expected.name, p.id);
    assert.equal(m?.version ?? null, id.expected.version, p.id);
  }
});

test("the facility registry owns exactly the fleet's hosts, in YAML and CSV", () => {
  const fleet = generateFleet({ hosts: 90, seed: 'registry' });
  const owner = new Map<string, string>();
  for (const f of fleet.facilities) {
    for (const h of f.hosts) {
      assert.ok(!owner.has(h), `${h} owned twice`);
      owner.set(h, f.id);
    }
    const scope = new Scope();
    for (const r of f.ranges) scope.allow(r);
    for (const h of f.hosts) assert.ok(scope.allows(h), `${f.id} ranges miss ${h}`);
    assert.match(f.contactEmail, /^security@[a-z0-9-]+\.example$/);
    assert.ok(
      ['AQ', 'HM'].includes(f.countryCode) && f.lat < -50,
      'placed where no hospital is (uninhabited territories)',
    );
  }
  assert.equal(owner.size, 90);
  for (const h of fleet.hostList) assert.equal(owner.get(h.address), h.facilityId);
  assert.ok(
    fleet.facilities.length >= 18 && fleet.facilities.length <= 45,
    `${fleet.facilities.length} facilities for 90 hosts`,
  );
  assert.equal(new Set(fleet.facilities.map((f) => f.name)).size, fleet.facilities.length, 'unique names');

  const yaml = parseYaml(facilitiesYaml(fleet.facilities)) as { facilities: { id: string; ranges: string[] }[] };
  assert.equal(yaml.facilities.length, fleet.facilities.length);
  assert.deepEqual(yaml.facilities[0]?.ranges, fleet.facilities[0]?.ranges);
  const csv = facilitiesCsv(fleet.facilities).trimEnd().split('\r\n');
  assert.equal(csv[0], FACILITY_CSV_COLUMNS.join(','));
  assert.equal(csv.length, fleet.facilities.length + 1);
  assert.ok(csv.slice(1).every((row) => row.startsWith('LAB-F')));
});

test('ranges merge consecutive addresses only', () => {
  const ip = (s: string) => s.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  assert.deepEqual(toRanges([ip('127.1.0.1'), ip('127.1.0.2'), ip('127.1.0.3'), ip('127.1.0.9')]), [
    '127.1.0.1-127.1.0.3',
    '127.1.0.9',
  ]);
  assert.deepEqual(toRanges([ip('127.1.0.254'), ip('127.1.1.1')]), ['127.1.0.254', '127.1.1.1']);
});

test('ground-truth counts are the whole archive, result cap or not (the scanner partitions past caps)', () => {
  const gt = truthOf(40, 'coverage');
  for (const e of gt.endpoints) {
    const q = e.stranger.query;
    if (!q.allowed) {
      assert.equal(q.studies, null);
      continue;
    }
    assert.ok(e.archive);
    assert.deepEqual(
      [q.patients, q.studies, q.instances],
      [e.archive.patients, e.archive.studies, e.archive.instances],
    );
    assert.equal(q.capped, false);
  }
});

// The registry reader is a colleague's module (src/facilities/); the lab's files must load in it.
const registryModule = new URL('../../../src/facilities/registry.ts', import.meta.url);
test(
  "the lab registry loads in pacsmap's facility registry reader, with the fleet as its scope",
  { skip: !existsSync(registryModule) && 'src/facilities/registry.ts not present' },
  async () => {
    // Typed here, not with typeof import(): the lab's tests must compile without that module.
    interface Registry {
      readonly facilities: readonly { id: string; country: string; lat: number | null; lon: number | null }[];
      readonly warnings: readonly unknown[];
    }
    const { parseRegistry, scopeOf } = (await import(registryModule.href)) as {
      parseRegistry(text: string, o: { format: 'yaml' | 'csv' }): Registry;
      scopeOf(r: Registry): { allows(address: string): boolean };
    };
    const fleet = generateFleet({ hosts: 60, seed: 'registry-reader' });
    for (const [format, text] of [
      ['yaml', facilitiesYaml(fleet.facilities)],
      ['csv', facilitiesCsv(fleet.facilities)],
    ] as const) {
      const reg = parseRegistry(text, { format }); // throws a RegistryError on any error
      assert.equal(reg.facilities.length, fleet.facilities.length, format);
      assert.deepEqual(reg.warnings, [], format);
      const scope = scopeOf(reg);
      for (const h of fleet.hostList) assert.ok(scope.allows(h.address), `${format}: ${h.address} in scope`);
      assert.equal(scope.allows('127.0.0.1'), false);
      const f = reg.facilities[0]!;
      assert.deepEqual(
        [f.id, f.country, f.lat, f.lon],
        [fleet.facilities[0]!.id, fleet.facilities[0]!.countryCode, fleet.facilities[0]!.lat, fleet.facilities[0]!.lon],
      );
    }
  },
);
