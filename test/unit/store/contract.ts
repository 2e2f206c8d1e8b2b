/**
 * The Repository contract: one suite, run against every backend (sqlite-contract.test.ts,
 * postgres-contract.test.ts). Everything the scan engine, reports and the dashboard rely on is
 * asserted here, so the backends cannot drift apart.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { BatchWriter } from '../../../src/store/batch-writer.ts';
import { loadMigrations } from '../../../src/store/migrations.ts';
import { openStore } from '../../../src/store/open.ts';
import {
  StoreError,
  type EndpointRecord,
  type FacilityRecord,
  type ObservationRecord,
  type Repository,
} from '../../../src/store/repository.ts';
import { describeFiguresContract } from './figures-contract.ts';
import { endpointRecord, hostOf, observationRecord, sampleResult } from './helpers.ts';
import { CANARIES, PEER_DATASETS, PERSONAL, POSITIVE_CONTROL, REVIEWED_COLUMNS } from './schema-review.ts';

export type SqlRow = Record<string, unknown>;

export interface ContractBackend {
  /** Runs before the suite (e.g. creates the test database); a failure fails every test. */
  setup?(): Promise<void>;
  /** Runs after the suite. */
  teardown?(): Promise<void>;
  /** A new, empty database location (a path or URL for openStore), removed after the test. */
  location(t: TestContext): Promise<string>;
  /** Runs one SQL statement on a location, outside the store. */
  sql(location: string, text: string): Promise<SqlRow[]>;
  /** Table name → column names in declared order, for every table of the location. */
  columns(location: string): Promise<Record<string, string[]>>;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export const FACILITY: FacilityRecord = {
  id: 'hosp-1',
  name: 'General Hospital',
  region: 'Bavaria',
  country: 'DE',
  contactEmail: 'security@hospital.example',
  ranges: ['10.1.0.0/16', 'pacs.hospital.example'],
  latitude: 48.1,
  longitude: 11.6,
};

/** Byte order of (host, port): the order both backends return (PostgreSQL with a C collation). */
function byHostPort(a: { host: string; port: number }, b: { host: string; port: number }): number {
  return a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port;
}

export function describeRepositoryContract(name: string, backend: ContractBackend): void {
  describe(`Repository contract: ${name}`, () => {
    before(async () => backend.setup?.());
    after(async () => backend.teardown?.());

    async function fresh(t: TestContext): Promise<Repository> {
      const store = await openStore(await backend.location(t));
      t.after(() => store.close());
      return store;
    }

    test('opening migrates once, records each migration, and reopening keeps the data', async (t) => {
      const loc = await backend.location(t);
      const store = await openStore(loc);
      await store.createScan({ id: 's1', scope: 'x', settings: {} });
      await store.close();
      await store.close(); // idempotent
      const again = await openStore(loc);
      assert.equal((await again.getScan('s1'))?.id, 's1', 'data kept, migrations not re-applied');
      await again.close();
      const rows = await backend.sql(loc, 'SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r) => [Number(r['version']), r['name']]),
        loadMigrations().map((m) => [m.version, m.name]),
      );
    });

    test('two concurrent opens of a new database apply each migration once', async (t) => {
      const loc = await backend.location(t);
      const stores = await Promise.all([openStore(loc), openStore(loc), openStore(loc)]);
      t.after(() => Promise.all(stores.map((s) => s.close())));
      const rows = await backend.sql(loc, 'SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        rows.map((r) => Number(r['version'])),
        loadMigrations().map((m) => m.version),
      );
      // Every store sees one schema: what one writes, another reads.
      await stores[0]!.createScan({ id: 'x', scope: 'x', settings: {} });
      assert.equal((await stores[2]!.getScan('x'))?.id, 'x');
    });

    test('a schema newer than this tool is refused', async (t) => {
      const loc = await backend.location(t);
      await (await openStore(loc)).close();
      await backend.sql(
        loc,
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '2099-01-01')",
      );
      await assert.rejects(
        openStore(loc),
        (e: Error) => e instanceof StoreError && /schema version 99, newer than this pacsmap/.test(e.message),
      );
    });

    test('scans: create, update, get, list newest first, live counts', async (t) => {
      const s = await fresh(t);
      const a = await s.createScan({
        id: 'a',
        createdAt: '2025-01-01T00:00:00Z',
        scope: '10.0.0.0/24 ports 104,11112',
        settings: { ports: [104] },
      });
      assert.deepEqual(a, {
        id: 'a',
        createdAt: '2025-01-01T00:00:00Z',
        startedAt: null,
        finishedAt: null,
        status: 'running',
        scope: '10.0.0.0/24 ports 104,11112',
        settings: { ports: [104] },
        cursor: null,
        counts: { targets: 0, targetsDone: 0, endpoints: 0, findings: 0 },
      });
      const b = await s.createScan({ scope: 'y', settings: null, createdAt: '2025-02-01T00:00:00Z' });
      assert.match(b.id, /^[0-9a-f-]{36}$/);
      assert.equal(b.settings, null);
      await s.updateScan('a', {
        status: 'finished',
        startedAt: '2025-01-01T00:00:01Z',
        finishedAt: '2025-01-01T01:00:00Z',
      });
      await s.updateScan('a', {});
      await assert.rejects(s.updateScan('zz', { status: 'interrupted' }), /no scan with id zz/);
      await assert.rejects(s.updateScan('a', { status: 'bogus' as never }), /unknown scan status/);
      await assert.rejects(s.createScan({ id: 'a', scope: 'dup', settings: {} }), /UNIQUE|constraint/i);
      assert.deepEqual(
        (await s.listScans()).map((x) => x.id),
        [b.id, 'a'],
      );
      const got = await s.getScan('a');
      assert.equal(got?.status, 'finished');
      assert.equal(got?.startedAt, '2025-01-01T00:00:01Z');
      assert.equal(got?.finishedAt, '2025-01-01T01:00:00Z');
      assert.equal(await s.getScan('nope'), null);

      await s.addTargets('a', [
        { host: '10.0.0.1', port: 104 },
        { host: '10.0.0.2', port: 104 },
      ]);
      await s.writeBatch({
        endpoints: [endpointRecord('a', '10.0.0.1', 104)],
        findings: [
          {
            scanId: 'a',
            host: '10.0.0.1',
            port: 104,
            findingId: 'dicom-query-unauthenticated',
            severity: 'high',
            evidence: ['dicom.query-count'],
          },
        ],
        targetsDone: [{ scanId: 'a', host: '10.0.0.1', port: 104 }],
      });
      assert.deepEqual((await s.getScan('a'))?.counts, { targets: 2, targetsDone: 1, endpoints: 1, findings: 1 });
      assert.deepEqual((await s.listScans()).find((x) => x.id === 'a')?.counts, {
        targets: 2,
        targetsDone: 1,
        endpoints: 1,
        findings: 1,
      });
    });

    test('facilities: upsert and read back; endpoints reference them', async (t) => {
      const s = await fresh(t);
      await s.upsertFacilities([
        FACILITY,
        {
          ...FACILITY,
          id: 'clinic-2',
          name: 'Clinic',
          region: null,
          country: null,
          contactEmail: null,
          latitude: null,
          longitude: null,
          ranges: [],
        },
      ]);
      await s.upsertFacilities([{ ...FACILITY, name: 'General Hospital (renamed)' }]);
      await s.upsertFacilities([]);
      assert.deepEqual(await s.getFacility('hosp-1'), { ...FACILITY, name: 'General Hospital (renamed)' });
      assert.deepEqual(
        (await s.listFacilities()).map((f) => f.id),
        ['clinic-2', 'hosp-1'],
      );
      assert.equal(await s.getFacility('none'), null);
      // The same id twice in one call: the last one wins, as row-by-row upserts would.
      await s.upsertFacilities([
        { ...FACILITY, id: 'twice', name: 'first' },
        { ...FACILITY, id: 'twice', name: 'second' },
      ]);
      assert.equal((await s.getFacility('twice'))?.name, 'second');

      await s.createScan({ id: 's', scope: 'x', settings: {} });
      await s.writeBatch({ endpoints: [{ ...endpointRecord('s', '10.1.0.5', 104), facilityId: 'hosp-1' }] });
      assert.equal((await s.getEndpoint('s', '10.1.0.5', 104))?.facilityId, 'hosp-1');
      await assert.rejects(
        s.writeBatch({ endpoints: [{ ...endpointRecord('s', '10.1.0.6', 104), facilityId: 'unknown' }] }),
        /FOREIGN KEY/i,
        'foreign keys are enforced',
      );
      await assert.rejects(
        s.writeBatch({ endpoints: [endpointRecord('no-such-scan', '10.1.0.6', 104)] }),
        /FOREIGN KEY/i,
      );
    });

    test('targets: insert-or-ignore keeps first order; pending pages in order; mark done', async (t) => {
      const s = await fresh(t);
      await s.createScan({ id: 's', scope: 'x', settings: {} });
      const order = [5, 3, 9, 1, 7, 2, 8, 0, 6, 4].map((i) => ({ host: hostOf(i), port: 104 }));
      assert.equal(await s.addTargets('s', order), 10);
      async function* again() {
        yield { host: hostOf(3), port: 104 };
        yield { host: hostOf(3), port: 11112 };
        yield { host: hostOf(3), port: 11112 };
      }
      assert.equal(await s.addTargets('s', again()), 1, 'duplicates ignored, async iterables accepted');
      assert.equal(await s.addTargets('s', []), 0);
      assert.deepEqual(await s.targetCounts('s'), { pending: 11, done: 0 });

      const pending = await collect(s.pendingTargets('s', { pageSize: 3 }));
      assert.deepEqual(
        pending.map((p) => `${p.host}:${p.port}`),
        [...order.map((o) => `${o.host}:${o.port}`), `${hostOf(3)}:11112`],
        'insertion (randomised) order survives paging',
      );
      assert.ok(
        pending.every((p, i) => i === 0 || p.seq > pending[i - 1]!.seq),
        'seq increases in insertion order',
      );
      assert.ok(pending.every((p) => typeof p.seq === 'number' && typeof p.port === 'number'));
      await s.markTargetsDone([0, 1, 2, 3].map((i) => ({ scanId: 's', host: hostOf(i), port: 104 })));
      await s.markTargetsDone([{ scanId: 's', host: 'not-a-target', port: 1 }]);
      await s.markTargetsDone([]);
      assert.deepEqual(await s.targetCounts('s'), { pending: 7, done: 4 });
      const left = await collect(s.pendingTargets('s', { pageSize: 2 }));
      assert.deepEqual(
        left.map((p) => p.host),
        [5, 9, 7, 8, 6, 4, 3].map(hostOf),
      );

      // Marking done while paging does not skip or repeat anything.
      const seen: string[] = [];
      for await (const p of s.pendingTargets('s', { pageSize: 2 })) {
        seen.push(`${p.host}:${p.port}`);
        await s.markTargetsDone([{ scanId: 's', host: p.host, port: p.port }]);
      }
      assert.equal(seen.length, 7);
      assert.equal(new Set(seen).size, 7);
      assert.deepEqual(await s.targetCounts('s'), { pending: 0, done: 11 });
      await assert.rejects(s.addTargets('s', [{ host: 'h', port: 70000 }]), /CHECK/i);
      assert.deepEqual(await s.targetCounts('s'), { pending: 0, done: 11 }, 'a failed chunk is rolled back');
      // Targets added after a failure still come after the earlier ones.
      assert.equal(await s.addTargets('s', [{ host: 'late', port: 1 }]), 1);
      const [late] = await collect(s.pendingTargets('s'));
      assert.ok(late && late.host === 'late' && late.seq > pending.at(-1)!.seq);
      assert.deepEqual(await s.targetCounts('other'), { pending: 0, done: 0 });
    });

    test('results: upserts are idempotent (a retried shard counts once), the last write wins', async (t) => {
      const s = await fresh(t);
      await s.createScan({ id: 's', scope: 'x', settings: {} });
      const batch = {
        endpoints: [endpointRecord('s', '10.0.0.1', 104, 'associable')],
        observations: [
          observationRecord('s', '10.0.0.1', 104, 'dicom.associate'),
          observationRecord('s', '10.0.0.1', 104, 'dicom.echo', 'io-timeout'),
        ],
        findings: [
          {
            scanId: 's',
            host: '10.0.0.1',
            port: 104,
            findingId: 'f1',
            severity: 'low',
            evidence: { observations: ['dicom.associate'] },
          },
        ],
      };
      await s.writeBatch(batch);
      await s.writeBatch(batch);
      await s.writeBatch({
        endpoints: [endpointRecord('s', '10.0.0.1', 104, 'queryable')],
        observations: [observationRecord('s', '10.0.0.1', 104, 'dicom.echo')],
        findings: [{ ...batch.findings[0]!, severity: 'high' }],
      });
      await s.writeBatch({});
      const eps = await collect(s.endpoints('s'));
      assert.equal(eps.length, 1);
      assert.equal(eps[0]?.exposure, 'queryable', 'the latest write wins');
      assert.deepEqual(eps[0], endpointRecord('s', '10.0.0.1', 104, 'queryable'), 'the record round-trips');
      const obs = await collect(s.observations('s'));
      assert.deepEqual(
        obs.map((o) => [o.probe, o.status]),
        [
          ['dicom.associate', 'success'],
          ['dicom.echo', 'success'],
        ],
      );
      assert.deepEqual(obs[0], observationRecord('s', '10.0.0.1', 104, 'dicom.associate'));
      const fs = await collect(s.findings('s'));
      assert.equal(fs.length, 1);
      assert.equal(fs[0]?.severity, 'high');
      assert.deepEqual(fs[0]?.evidence, { observations: ['dicom.associate'] });
      assert.deepEqual(await s.countsByExposure('s'), { queryable: 1 });

      // The same key twice in one batch: the last one wins, as row-by-row upserts would.
      await s.writeBatch({
        endpoints: [endpointRecord('s', 'h', 1, 'identified'), endpointRecord('s', 'h', 1, 'writable')],
        observations: [
          observationRecord('s', 'h', 1, 'p', 'io-timeout'),
          { ...observationRecord('s', 'h', 1, 'p'), facts: null, durationMs: 0.125 },
        ],
      });
      assert.equal((await s.getEndpoint('s', 'h', 1))?.exposure, 'writable');

      // Text that array and literal encodings must escape comes back byte for byte.
      const odd = 'a "quoted", \\back\\slash {brace} NULL \'single\' é 🙂 \u0001 tab\tnl\n';
      const tricky = {
        ...observationRecord('s', odd, 2, odd),
        status: 'NULL',
        detail: odd,
        facts: { [odd]: [odd, null, 1.5, -0, 1e300] },
        durationMs: 1 / 3,
      };
      await s.writeBatch({ observations: [tricky], endpoints: [{ ...endpointRecord('s', odd, 2), service: odd }] });
      assert.deepEqual(await collect(s.observations('s', { host: odd })), [
        { ...tricky, facts: { [odd]: [odd, null, 1.5, 0, 1e300] } },
      ]);
      assert.equal((await s.getEndpoint('s', odd, 2))?.service, odd);
      const [o] = await collect(s.observations('s', { host: 'h' }));
      assert.deepEqual(o, { ...observationRecord('s', 'h', 1, 'p'), facts: null, durationMs: 0.125 });
    });

    test('writeBatch is atomic: a bad row rolls back the whole batch, cursor included', async (t) => {
      const s = await fresh(t);
      await s.createScan({ id: 's', scope: 'x', settings: {} });
      await s.addTargets('s', [{ host: 'h', port: 104 }]);
      await s.writeBatch({ cursors: [{ scanId: 's', position: '5' }] });
      await assert.rejects(
        s.writeBatch({
          targets: [{ scanId: 's', host: 'new', port: 104 }],
          endpoints: [endpointRecord('s', 'h', 104)],
          observations: [
            observationRecord('s', 'h', 104, 'ok'),
            { ...observationRecord('s', 'h', 104, 'p'), port: -1 },
          ],
          findings: [{ scanId: 's', host: 'h', port: 104, findingId: 'f', severity: 'high', evidence: [] }],
          targetsDone: [{ scanId: 's', host: 'h', port: 104 }],
          cursors: [{ scanId: 's', position: '9' }],
        }),
        /CHECK/i,
      );
      // A failure in the last results statement before the cursor's: rolled back all the same.
      await assert.rejects(
        s.writeBatch({
          endpoints: [endpointRecord('s', 'h', 104)],
          findings: [{ scanId: 's', host: 'h', port: 99999, findingId: 'f', severity: 'high', evidence: [] }],
          targetsDone: [{ scanId: 's', host: 'h', port: 104 }],
          cursors: [{ scanId: 's', position: '9' }],
        }),
        /CHECK/i,
      );
      assert.equal(await s.getEndpoint('s', 'h', 104), null);
      assert.equal((await collect(s.observations('s'))).length, 0);
      assert.equal((await collect(s.findings('s'))).length, 0);
      assert.deepEqual(await s.targetCounts('s'), { pending: 1, done: 0 });
      assert.equal((await s.getScan('s'))?.cursor, '5', 'the cursor did not move');
      await assert.rejects(
        s.writeBatch({ endpoints: [{ ...endpointRecord('s', 'h', 104), result: undefined }] }),
        /not JSON-serialisable/,
      );
      // The store is still usable after the failures.
      await s.writeBatch({ endpoints: [endpointRecord('s', 'h', 104)], cursors: [{ scanId: 's', position: '6' }] });
      assert.equal((await s.getScan('s'))?.cursor, '6');
    });

    test('a scan cursor moves only with its batch, last write per scan wins, and rejects non-integers', async (t) => {
      const store = await fresh(t);
      await store.createScan({ id: 'c', scope: '10.0.0.0/8', settings: {} });
      await store.createScan({ id: 'd', scope: '10.0.0.0/8', settings: {} });
      assert.equal((await store.getScan('c'))?.cursor, null);
      await store.writeBatch({
        endpoints: [endpointRecord('c', '10.0.0.1', 104)],
        cursors: [
          { scanId: 'c', position: '7' },
          { scanId: 'd', position: '3' },
          { scanId: 'c', position: '18446744073709551621' },
        ],
      });
      assert.equal((await store.getScan('c'))?.cursor, '18446744073709551621');
      assert.equal((await store.getScan('d'))?.cursor, '3');
      await assert.rejects(
        store.writeBatch({
          endpoints: [endpointRecord('c', '10.0.0.2', 104)],
          cursors: [{ scanId: 'c', position: '-1' }],
        }),
        StoreError,
      );
      assert.equal(await store.getEndpoint('c', '10.0.0.2', 104), null);
      assert.equal((await store.getScan('c'))?.cursor, '18446744073709551621');
    });

    test('replaceFindingsOf: a re-assessed endpoint keeps only its new findings; other endpoints keep theirs', async (t) => {
      const store = await fresh(t);
      await store.createScan({ id: 'r', scope: '10.0.0.0/8', settings: {} });
      const f = (host: string, findingId: string) => ({
        scanId: 'r',
        host,
        port: 104,
        findingId,
        severity: 'high',
        evidence: {},
      });
      await store.writeBatch({
        endpoints: [endpointRecord('r', '10.0.0.1', 104), endpointRecord('r', '10.0.0.2', 104)],
        findings: [f('10.0.0.1', 'old-a'), f('10.0.0.1', 'kept'), f('10.0.0.2', 'other')],
      });
      await store.writeBatch({
        replaceFindingsOf: [{ scanId: 'r', host: '10.0.0.1', port: 104 }],
        findings: [f('10.0.0.1', 'kept'), f('10.0.0.1', 'new-b')],
      });
      const ids: string[] = [];
      for await (const x of store.findings('r')) ids.push(`${x.host} ${x.findingId}`);
      assert.deepEqual(ids, ['10.0.0.1 kept', '10.0.0.1 new-b', '10.0.0.2 other']);
    });

    test('endpoints: paged keyset iteration, filters, counts by exposure', async (t) => {
      const s = await fresh(t);
      await s.upsertFacilities([FACILITY]);
      await s.createScan({ id: 's', scope: 'x', settings: {} });
      await s.createScan({ id: 'other', scope: 'x', settings: {} });
      const levels = ['retrievable', 'queryable', 'writable', 'associable', 'identified', 'none'];
      const endpoints: EndpointRecord[] = [];
      for (let i = 0; i < 250; i++) {
        for (const port of [104, 11112]) {
          endpoints.push({
            ...endpointRecord('s', hostOf(i), port, levels[i % levels.length]),
            facilityId: i < 10 ? 'hosp-1' : null,
          });
        }
      }
      await s.writeBatch({ endpoints, observations: [observationRecord('other', hostOf(1), 104, 'x')] });
      await s.writeBatch({ endpoints: [endpointRecord('other', hostOf(1), 104, 'none')] });

      const all = await collect(s.endpoints('s', { pageSize: 7 }));
      assert.equal(all.length, 500);
      const keys = all.map((e) => `${e.host}:${e.port}`);
      assert.equal(new Set(keys).size, 500);
      assert.deepEqual(
        keys,
        [...all].sort(byHostPort).map((e) => `${e.host}:${e.port}`),
      );
      assert.ok(all.every((e) => e.scanId === 's'));

      const queryable = await collect(s.endpoints('s', { exposure: 'queryable', pageSize: 10 }));
      assert.equal(queryable.length, 2 * 42);
      assert.ok(queryable.every((e) => e.exposure === 'queryable'));
      assert.equal((await collect(s.endpoints('s', { facilityId: 'hosp-1', pageSize: 3 }))).length, 20);
      assert.equal(
        (await collect(s.endpoints('s', { facilityId: 'hosp-1', exposure: 'retrievable', pageSize: 1 }))).length,
        4,
      );
      assert.deepEqual(await s.countsByExposure('s'), {
        associable: 84,
        identified: 82,
        none: 82,
        queryable: 84,
        retrievable: 84,
        writable: 84,
      });
      assert.deepEqual(await s.countsByExposure('other'), { none: 1 });
      assert.deepEqual(await s.countsByExposure('empty'), {});
      assert.equal(await s.getEndpoint('s', hostOf(1), 4242), null);
      await assert.rejects(collect(s.endpoints('s', { pageSize: 0 })), /page size/);
    });

    test('observations and findings: paged, filterable by host and port', async (t) => {
      const s = await fresh(t);
      await s.createScan({ id: 's', scope: 'x', settings: {} });
      const probes = ['dicom.associate', 'dicom.echo', 'dicom.query-count', 'dicom.phi-categories'];
      const observations: ObservationRecord[] = [];
      const findings = [];
      for (let i = 0; i < 20; i++) {
        for (const p of probes) observations.push(observationRecord('s', hostOf(i), 104, p));
        findings.push({ scanId: 's', host: hostOf(i), port: 104, findingId: 'a', severity: 'high', evidence: [] });
        findings.push({ scanId: 's', host: hostOf(i), port: 104, findingId: 'b', severity: 'low', evidence: [] });
      }
      observations.push(observationRecord('s', hostOf(3), 4242, 'dicom.associate'));
      await s.writeBatch({ observations, findings });
      assert.equal((await collect(s.observations('s', { pageSize: 3 }))).length, 81);
      assert.deepEqual(
        (await collect(s.observations('s', { host: hostOf(3), pageSize: 2 }))).map((o) => `${o.port}/${o.probe}`),
        [
          '104/dicom.associate',
          '104/dicom.echo',
          '104/dicom.phi-categories',
          '104/dicom.query-count',
          '4242/dicom.associate',
        ],
      );
      assert.equal((await collect(s.observations('s', { host: hostOf(3), port: 4242 }))).length, 1);
      assert.equal((await collect(s.observations('s', { port: 4242 }))).length, 1);
      assert.equal((await collect(s.findings('s', { pageSize: 5 }))).length, 40);
      assert.deepEqual(
        (await collect(s.findings('s', { host: hostOf(0) }))).map((f) => f.findingId),
        ['a', 'b'],
      );
      assert.deepEqual(await collect(s.findings('s', { host: hostOf(0), port: 1 })), []);
    });

    test('paging through 10 000 rows with a small page size: every row once, in order', async (t) => {
      const s = await fresh(t);
      await s.createScan({ id: 'big', scope: 'x', settings: {} });
      const n = 10_000;
      const targets = Array.from({ length: n }, (_, i) => ({ host: hostOf((i * 7919) % n), port: 104 }));
      assert.equal(await s.addTargets('big', targets), n);
      const w = new BatchWriter(s, { maxRows: 2500 });
      for (let i = 0; i < n; i++) {
        w.endpoint(endpointRecord('big', hostOf(i), 104, i % 2 ? 'queryable' : 'none'));
        w.observation(observationRecord('big', hostOf(i), 104, 'dicom.echo'));
        await w.ready();
      }
      await w.close();

      const pending = await collect(s.pendingTargets('big', { pageSize: 97 }));
      assert.deepEqual(
        pending.map((p) => p.host),
        targets.map((x) => x.host),
        'pending targets in insertion order, each once',
      );
      const eps = await collect(s.endpoints('big', { pageSize: 97 }));
      assert.equal(eps.length, n);
      assert.equal(new Set(eps.map((e) => e.host)).size, n);
      assert.deepEqual(
        eps.map((e) => e.host),
        [...eps].sort(byHostPort).map((e) => e.host),
      );
      assert.equal((await collect(s.endpoints('big', { exposure: 'queryable', pageSize: 101 }))).length, n / 2);
      const obs = await collect(s.observations('big', { pageSize: 1000 }));
      assert.equal(obs.length, n);
      assert.equal(new Set(obs.map((o) => o.host)).size, n);
      assert.deepEqual((await s.getScan('big'))?.counts, { targets: n, targetsDone: 0, endpoints: n, findings: 0 });
    });

    test('two writers (two connections) on one scan: overlapping retried batches, no duplicate rows', async (t) => {
      const loc = await backend.location(t);
      const a = await openStore(loc);
      const b = await openStore(loc);
      t.after(async () => {
        await a.close();
        await b.close();
      });
      await a.createScan({ id: 'w', scope: 'x', settings: {} });
      const n = 1200;
      const hosts = Array.from({ length: n }, (_, i) => hostOf(i));
      await Promise.all([
        a.addTargets(
          'w',
          hosts.map((host) => ({ host, port: 104 })),
        ),
        b.addTargets(
          'w',
          [...hosts].reverse().map((host) => ({ host, port: 104 })),
        ),
      ]);
      assert.deepEqual(await a.targetCounts('w'), { pending: n, done: 0 });

      // Worker a goes forwards, worker b backwards over the same targets (a retried shard).
      async function work(store: Repository, order: readonly string[], tag: string): Promise<void> {
        const writer = new BatchWriter(store, { maxRows: 150, maxDelayMs: 5 });
        for (const host of order) {
          writer.endpoint({ ...endpointRecord('w', host, 104), transport: tag });
          writer.observation(observationRecord('w', host, 104, 'dicom.associate'));
          writer.observation(observationRecord('w', host, 104, 'dicom.echo'));
          writer.finding({ scanId: 'w', host, port: 104, findingId: 'f', severity: 'high', evidence: [tag] });
          writer.targetDone({ scanId: 'w', host, port: 104 });
          await writer.ready();
        }
        await writer.close();
      }
      await Promise.all([work(a, hosts, 'a'), work(b, [...hosts].reverse(), 'b')]);

      assert.deepEqual(await b.targetCounts('w'), { pending: 0, done: n });
      assert.deepEqual((await a.getScan('w'))?.counts, { targets: n, targetsDone: n, endpoints: n, findings: n });
      const eps = await collect(b.endpoints('w', { pageSize: 500 }));
      assert.equal(eps.length, n);
      assert.ok(eps.every((e) => e.transport === 'a' || e.transport === 'b'));
      const obs = await collect(a.observations('w', { pageSize: 500 }));
      assert.equal(obs.length, 2 * n);
      assert.equal(new Set(obs.map((o) => `${o.host}/${o.probe}`)).size, 2 * n);
      for (const [table, key] of [
        ['targets', 'host, port'],
        ['endpoints', 'host, port'],
        ['observations', 'host, port, probe'],
        ['findings', 'host, port, finding_id'],
      ] as const) {
        const rows = await backend.sql(
          loc,
          `SELECT COUNT(*) AS n FROM (SELECT ${key} FROM ${table} WHERE scan_id = 'w' GROUP BY ${key} HAVING COUNT(*) > 1) d`,
        );
        assert.equal(Number(rows[0]?.['n']), 0, `no duplicate keys in ${table}`);
      }
    });

    describeFiguresContract(fresh);

    test('privacy: every column reviewed, none meant for patient data', async (t) => {
      const loc = await backend.location(t);
      await (await openStore(loc)).close();
      const columns = await backend.columns(loc);
      for (const [table, cols] of Object.entries(columns))
        for (const c of cols)
          assert.doesNotMatch(`${table}.${c}`, PERSONAL, `${table}.${c} looks like a patient-data column`);
      assert.deepEqual(columns, REVIEWED_COLUMNS);
    });

    test('privacy: no planted patient value is stored, while our own text is', async (t) => {
      const loc = await backend.location(t);
      const store = await openStore(loc);
      t.after(() => store.close());
      await store.createScan({ id: 's', scope: '127.0.0.1', settings: { calledAe: 'ANY-SCP' } });
      // What leaves a probe: counts and category booleans derived from the datasets, never the values.
      const patients = new Set(PEER_DATASETS.map((d) => d.PatientID)).size;
      const categories = PEER_DATASETS.some((d) => d.PatientName) ? ['patient-id', 'name', 'birth-date'] : [];
      const result = {
        ...sampleResult('127.0.0.1', 104, POSITIVE_CONTROL),
        query: { ...sampleResult('127.0.0.1', 104).query, patients },
      };
      await store.writeBatch({
        endpoints: [{ ...endpointRecord('s', '127.0.0.1', 104), result }],
        observations: [
          {
            ...observationRecord('s', '127.0.0.1', 104, 'dicom.phi-categories'),
            facts: { sampled: PEER_DATASETS.length, categories },
          },
        ],
        findings: [
          {
            scanId: 's',
            host: '127.0.0.1',
            port: 104,
            findingId: 'dicom-phi-exposed',
            severity: 'critical',
            evidence: { categories },
          },
        ],
      });
      let text = '';
      for (const table of Object.keys(await backend.columns(loc)))
        text += JSON.stringify(await backend.sql(loc, `SELECT * FROM ${table}`));
      assert.ok(text.includes(POSITIVE_CONTROL), 'the stored rows are searched (positive control)');
      for (const c of CANARIES) assert.ok(!text.includes(c), `canary ${c} found in the database`);
    });
  });
}
