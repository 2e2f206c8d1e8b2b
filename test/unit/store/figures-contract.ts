/**
 * Contract tests of migration 0003 (endpoint figures, aggregate queries, users), run inside the
 * Repository contract suite on every backend (contract.ts calls describeFiguresContract).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  StoreError,
  type EndpointFigures,
  type EndpointRecord,
  type FacilityRecord,
  type FigureRow,
  type Repository,
  type UserRecord,
} from '../../../src/store/repository.ts';
import { endpointRecord } from './helpers.ts';

const FACILITIES: FacilityRecord[] = [
  {
    id: 'f-a',
    name: 'Alpha Hospital',
    region: 'North',
    country: 'AQ',
    contactEmail: 'sec@alpha.example',
    ranges: ['10.0.1.0/24'],
    latitude: -75,
    longitude: 10,
  },
  {
    id: 'f-b',
    name: 'Beta Clinic',
    region: 'North',
    country: 'AQ',
    contactEmail: null,
    ranges: ['10.0.2.0/24'],
    latitude: -76,
    longitude: 11,
  },
  {
    id: 'f-c',
    name: 'Gamma Centre',
    region: 'South',
    country: 'HM',
    contactEmail: null,
    ranges: ['10.0.3.0/24'],
    latitude: -53,
    longitude: 73,
  },
];

function figures(over: Partial<EndpointFigures>): EndpointFigures {
  return {
    exposed: false,
    honeypot: false,
    patients: null,
    studies: null,
    instances: null,
    countsCapped: false,
    phiCategories: [],
    riskScore: null,
    country: null,
    ...over,
  };
}

function ep(host: string, exposure: string, facilityId: string | null, f?: Partial<EndpointFigures>): EndpointRecord {
  const base = { ...endpointRecord('s', host, 104, exposure), facilityId };
  return f ? { ...base, figures: figures(f) } : base;
}

/** A scan whose figures are worked out by hand in the test. */
const ENDPOINTS: EndpointRecord[] = [
  // f-a: two archives (one capped), one identified
  ep('10.0.1.1', 'retrievable', 'f-a', {
    exposed: true,
    patients: 10,
    studies: 20,
    instances: 300,
    phiCategories: ['birth-date', 'name'],
    riskScore: 90,
  }),
  ep('10.0.1.2', 'queryable', 'f-a', {
    exposed: true,
    patients: 5,
    studies: 7,
    instances: null,
    countsCapped: true,
    phiCategories: ['name', 'patient-id'],
    riskScore: 70,
  }),
  ep('10.0.1.3', 'identified', 'f-a', { riskScore: 10 }),
  // f-b: a writable store, a honeypot (records not counted)
  ep('10.0.2.1', 'writable', 'f-b', { exposed: true, riskScore: 50 }),
  ep('10.0.2.2', 'queryable', 'f-b', { honeypot: true, riskScore: 5, phiCategories: ['name'] }),
  // f-c: one archive
  ep('10.0.3.1', 'queryable', 'f-c', {
    exposed: true,
    patients: 2,
    studies: 2,
    instances: 4,
    phiCategories: ['sex'],
    riskScore: 60,
  }),
  // outside the registry: GeoIP said FR; and one written without figures (an older writer)
  ep('192.0.2.9', 'associable', null, { exposed: true, riskScore: 30, country: 'FR' }),
  ep('192.0.2.10', 'none', null),
];

function row(rows: FigureRow[], key: string | null): FigureRow {
  const r = rows.find((x) => x.key === key);
  assert.ok(r, `a row for ${key}`);
  return r;
}

export function describeFiguresContract(fresh: (t: TestContext) => Promise<Repository>): void {
  async function seeded(t: TestContext): Promise<Repository> {
    const s = await fresh(t);
    await s.upsertFacilities(FACILITIES);
    await s.createScan({ id: 's', scope: 'x', settings: {} });
    await s.writeBatch({
      endpoints: ENDPOINTS,
      findings: [
        {
          scanId: 's',
          host: '10.0.1.1',
          port: 104,
          findingId: 'dicom-query-unauthenticated',
          severity: 'critical',
          evidence: {},
        },
        {
          scanId: 's',
          host: '10.0.1.2',
          port: 104,
          findingId: 'dicom-query-unauthenticated',
          severity: 'critical',
          evidence: {},
        },
        {
          scanId: 's',
          host: '10.0.3.1',
          port: 104,
          findingId: 'dicom-query-unauthenticated',
          severity: 'critical',
          evidence: {},
        },
        { scanId: 's', host: '10.0.1.1', port: 104, findingId: 'dicom-plaintext', severity: 'medium', evidence: {} },
        { scanId: 's', host: '10.0.2.1', port: 104, findingId: 'dicom-store-open', severity: 'high', evidence: {} },
      ],
    });
    return s;
  }

  test('figures (0003): endpoint figures round-trip, absent when not written, last write wins', async (t) => {
    const s = await seeded(t);
    const first = ENDPOINTS[0]!;
    assert.deepEqual(await s.getEndpoint('s', '10.0.1.1', 104), first);
    const old = await s.getEndpoint('s', '192.0.2.10', 104);
    assert.equal(old?.figures, undefined, 'a record written without figures reads back without them');
    await s.writeBatch({
      endpoints: [{ ...first, figures: figures({ exposed: true, patients: 11, riskScore: 91.5 }) }],
    });
    const again = await s.getEndpoint('s', '10.0.1.1', 104);
    assert.equal(again?.figures?.patients, 11);
    assert.equal(again?.figures?.riskScore, 91.5);
    assert.deepEqual(again?.figures?.phiCategories, []);
    await assert.rejects(
      s.writeBatch({ endpoints: [{ ...first, figures: figures({ phiCategories: ['a,b'] }) }] }),
      StoreError,
    );
  });

  test('figures (0003): totals, per facility, region and country, computed by GROUP BY', async (t) => {
    const s = await seeded(t);
    const [total, ...more] = await s.figures('s', 'total');
    assert.equal(more.length, 0, 'one total row');
    assert.deepEqual(total, {
      key: null,
      country: null,
      endpoints: 8,
      exposedEndpoints: 5,
      honeypots: 1,
      byExposure: { retrievable: 1, queryable: 3, identified: 1, writable: 1, associable: 1, none: 1 },
      archivesExposed: 3,
      patients: 17,
      studies: 29,
      instances: 304,
      cappedArchives: 1,
      phiCategories: ['birth-date', 'name', 'patient-id', 'sex'],
      maxRisk: 90,
      meanRisk: (90 + 70 + 10 + 50 + 5 + 60 + 30) / 7,
      findingsBySeverity: { critical: 3, medium: 1, high: 1 },
    });

    const fac = await s.figures('s', 'facility');
    assert.deepEqual(
      fac.map((r) => [r.key, r.country]),
      [
        ['f-a', 'AQ'],
        ['f-b', 'AQ'],
        ['f-c', 'HM'],
        [null, 'FR'],
        [null, null],
      ],
      'sorted by key, null last; an address outside the registry keeps its GeoIP country',
    );
    const a = row(fac, 'f-a');
    assert.equal(a.endpoints, 3);
    assert.equal(a.exposedEndpoints, 2);
    assert.equal(a.archivesExposed, 2);
    assert.equal(a.patients, 15);
    assert.equal(a.instances, 300);
    assert.equal(a.cappedArchives, 1);
    assert.deepEqual(a.phiCategories, ['birth-date', 'name', 'patient-id']);
    assert.deepEqual(a.findingsBySeverity, { critical: 2, medium: 1 });
    const b = row(fac, 'f-b');
    assert.deepEqual([b.exposedEndpoints, b.honeypots, b.archivesExposed, b.patients], [1, 1, 0, 0]);
    assert.deepEqual(b.phiCategories, [], "a honeypot's categories are not exposure");
    assert.equal(b.maxRisk, 50);

    const reg = await s.figures('s', 'region');
    const north = row(reg, 'North');
    assert.deepEqual([north.country, north.endpoints, north.patients, north.archivesExposed], ['AQ', 5, 15, 2]);
    assert.deepEqual(north.byExposure, { retrievable: 1, queryable: 2, identified: 1, writable: 1 });
    assert.equal(row(reg, 'South').studies, 2);

    const countries = await s.figures('s', 'country');
    assert.deepEqual(
      countries.map((r) => [r.key, r.endpoints, r.exposedEndpoints, r.patients]),
      [
        ['AQ', 5, 3, 15],
        ['FR', 1, 1, 0],
        ['HM', 1, 1, 2],
        [null, 1, 0, 0],
      ],
    );
    // An empty scan still has a total row.
    await s.createScan({ id: 'empty', scope: 'x', settings: {} });
    const [none] = await s.figures('empty', 'total');
    assert.equal(none?.endpoints, 0);
    assert.equal(none?.maxRisk, null);
    await assert.rejects(s.figures('s', 'ward' as 'total'), StoreError);
  });

  test('figures (0003): finding counts by endpoints and facilities', async (t) => {
    const s = await seeded(t);
    assert.deepEqual(await s.findingCounts('s'), [
      { findingId: 'dicom-query-unauthenticated', severity: 'critical', endpoints: 3, facilities: 2 },
      { findingId: 'dicom-plaintext', severity: 'medium', endpoints: 1, facilities: 1 },
      { findingId: 'dicom-store-open', severity: 'high', endpoints: 1, facilities: 1 },
    ]);
    assert.deepEqual(await s.findingCounts('nope'), []);
  });

  test('users (0003): create, get, list by name; duplicates and unknown roles refused', async (t) => {
    const s = await fresh(t);
    const bob: UserRecord = {
      name: 'bob',
      role: 'viewer',
      passwordHash: 'scrypt$x$y',
      createdAt: '2026-01-02T00:00:00Z',
    };
    const alice: UserRecord = {
      name: 'alice',
      role: 'admin',
      passwordHash: 'scrypt$a$b',
      createdAt: '2026-01-01T00:00:00Z',
    };
    assert.equal(await s.getUser('bob'), null);
    await s.createUser(bob);
    await s.createUser(alice);
    assert.deepEqual(await s.getUser('bob'), bob);
    assert.deepEqual(await s.listUsers(), [alice, bob]);
    await assert.rejects(
      s.createUser({ ...bob, role: 'operator' }),
      (e: Error) => e instanceof StoreError && e.message === 'user bob exists',
    );
    assert.equal((await s.getUser('bob'))?.role, 'viewer', 'the duplicate changed nothing');
    await assert.rejects(s.createUser({ ...bob, name: 'eve', role: 'root' as 'admin' }), StoreError);
    assert.equal(await s.getUser('eve'), null);
    // A new password for one user only; unknown users are said so.
    assert.equal(await s.setUserPassword('bob', 'scrypt$new$hash'), true);
    assert.equal((await s.getUser('bob'))?.passwordHash, 'scrypt$new$hash');
    assert.equal((await s.getUser('alice'))?.passwordHash, 'scrypt$a$b');
    assert.equal(await s.setUserPassword('nobody', 'h'), false);
    assert.equal(await s.deleteUser('bob'), true);
    assert.equal(await s.deleteUser('bob'), false);
    assert.deepEqual(await s.listUsers(), [alice]);
  });
}
