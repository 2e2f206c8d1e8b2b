import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openStore, parseStoreUrl, describeStoreUrl } from '../../../src/store/open.ts';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { loadMigrations } from '../../../src/store/migrations.ts';
import { StoreError, type FacilityRecord, type Repository } from '../../../src/store/repository.ts';
import { endpointRecord, hostOf, observationRecord, tempDir } from './helpers.ts';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function memory(t: { after: (fn: () => Promise<void>) => void }): SqliteStore {
  const s = SqliteStore.open(':memory:');
  t.after(() => s.close());
  return s;
}

const FACILITY: FacilityRecord = {
  id: 'hosp-1',
  name: 'General Hospital',
  region: 'Bavaria',
  country: 'DE',
  contactEmail: 'security@hospital.example',
  ranges: ['10.1.0.0/16', 'pacs.hospital.example'],
  latitude: 48.1,
  longitude: 11.6,
};

test('opening a file sets WAL, synchronous=NORMAL, foreign keys and a busy timeout, and migrates once', async (t) => {
  const file = path.join(tempDir(t), 'a.db');
  const store = (await openStore(`sqlite:${file}`, { busyTimeoutMs: 1234 })) as SqliteStore;
  assert.deepEqual(store.diagnostics(), {
    journalMode: 'wal',
    synchronous: 1,
    foreignKeys: true,
    busyTimeoutMs: 1234,
    schemaVersion: 2,
  });
  await store.createScan({ id: 's1', scope: 'x', settings: {} });
  await store.close();
  await store.close(); // idempotent

  const again = (await openStore(file)) as SqliteStore;
  assert.equal((await again.getScan('s1'))?.id, 's1', 'data kept, migration not re-applied');
  assert.equal(again.diagnostics().schemaVersion, 2);
  await again.close();

  const raw = new DatabaseSync(file);
  const rows = raw.prepare('SELECT version, name FROM schema_migrations').all();
  assert.deepEqual(
    rows.map((r) => ({ ...r })),
    [
      { version: 1, name: 'initial' },
      { version: 2, name: 'scan_cursor' },
    ],
  );
  raw.prepare("INSERT INTO schema_migrations VALUES (99, 'future', '2099-01-01')").run();
  raw.close();
  await assert.rejects(
    openStore(file),
    (e: Error) => e instanceof StoreError && /schema version 99, newer/.test(e.message),
  );
});

test('migration files are numbered without gaps', () => {
  const ms = loadMigrations();
  assert.ok(ms.length >= 1);
  ms.forEach((m, i) => assert.equal(m.version, i + 1));
  assert.equal(ms[0]?.name, 'initial');
});

test('migrations avoid SQLite-only syntax (portable to PostgreSQL)', () => {
  for (const m of loadMigrations()) {
    const sql = m.sql.replace(/--.*$/gm, '');
    for (const bad of [
      /AUTOINCREMENT/i,
      /WITHOUT\s+ROWID/i,
      /\bSTRICT\b/i,
      /INSERT\s+OR\s+/i,
      /\bPRAGMA\b/i,
      /\bDATETIME\b/i,
      /\bBLOB\b/i,
    ]) {
      assert.doesNotMatch(sql, bad, `${m.name} uses ${bad}`);
    }
  }
});

test('openStore: paths and sqlite: URLs open SQLite; postgres:// is not yet implemented', async () => {
  assert.deepEqual(parseStoreUrl('./pacsmap.db'), { kind: 'sqlite', path: './pacsmap.db' });
  assert.deepEqual(parseStoreUrl('sqlite:/tmp/x.db'), { kind: 'sqlite', path: '/tmp/x.db' });
  assert.deepEqual(parseStoreUrl('postgresql://u:p@h/db'), { kind: 'postgres', url: 'postgresql://u:p@h/db' });
  assert.throws(() => parseStoreUrl('mysql://h/db'), /unsupported database URL scheme mysql/);
  assert.throws(() => parseStoreUrl(''), StoreError);
  assert.throws(() => parseStoreUrl('sqlite:'), StoreError);
  assert.equal(describeStoreUrl('postgres://user:secret@db.example/pacsmap'), 'postgres://user:***@db.example/pacsmap');
  await assert.rejects(openStore('postgres://user:secret@db.example/pacsmap'), (e: Error) => {
    assert.ok(e instanceof StoreError);
    assert.match(e.message, /not yet implemented \(issue 6\)/);
    assert.doesNotMatch(e.message, /secret/);
    return true;
  });
  await assert.rejects(openStore('/nonexistent-dir-pacsmap/x.db'), /cannot open SQLite database/);
  const mem = await openStore('sqlite::memory:');
  await mem.close();
});

test('scans: create, update, get, list newest first, live counts', async (t) => {
  const s = memory(t);
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
});

test('facilities: upsert and read back; endpoints reference them', async (t) => {
  const s = memory(t);
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
  assert.deepEqual(await s.getFacility('hosp-1'), { ...FACILITY, name: 'General Hospital (renamed)' });
  assert.deepEqual(
    (await s.listFacilities()).map((f) => f.id),
    ['clinic-2', 'hosp-1'],
  );
  assert.equal(await s.getFacility('none'), null);

  await s.createScan({ id: 's', scope: 'x', settings: {} });
  await s.writeBatch({ endpoints: [{ ...endpointRecord('s', '10.1.0.5', 104), facilityId: 'hosp-1' }] });
  assert.equal((await s.getEndpoint('s', '10.1.0.5', 104))?.facilityId, 'hosp-1');
  await assert.rejects(
    s.writeBatch({ endpoints: [{ ...endpointRecord('s', '10.1.0.6', 104), facilityId: 'unknown' }] }),
    /FOREIGN KEY/i,
    'foreign keys are enforced',
  );
  await assert.rejects(s.writeBatch({ endpoints: [endpointRecord('no-such-scan', '10.1.0.6', 104)] }), /FOREIGN KEY/i);
});

test('targets: insert-or-ignore keeps first order; pending pages in order; mark done in batch', async (t) => {
  const s = memory(t);
  await s.createScan({ id: 's', scope: 'x', settings: {} });
  const order = [5, 3, 9, 1, 7, 2, 8, 0, 6, 4].map((i) => ({ host: hostOf(i), port: 104 }));
  assert.equal(await s.addTargets('s', order), 10);
  async function* again() {
    yield { host: hostOf(3), port: 104 };
    yield { host: hostOf(3), port: 11112 };
  }
  assert.equal(await s.addTargets('s', again()), 1, 'duplicates ignored, async iterables accepted');
  assert.deepEqual(await s.targetCounts('s'), { pending: 11, done: 0 });

  const pending = await collect(s.pendingTargets('s', { pageSize: 3 }));
  assert.deepEqual(
    pending.map((p) => `${p.host}:${p.port}`),
    [...order.map((o) => `${o.host}:${o.port}`), `${hostOf(3)}:11112`],
    'insertion (randomised) order survives paging',
  );
  await s.markTargetsDone([0, 1, 2, 3].map((i) => ({ scanId: 's', host: hostOf(i), port: 104 })));
  await s.markTargetsDone([{ scanId: 's', host: 'not-a-target', port: 1 }]);
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
});

test('results: upserts never duplicate (a retried shard counts once)', async (t) => {
  const s = memory(t);
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
  const eps = await collect(s.endpoints('s'));
  assert.equal(eps.length, 1);
  assert.equal(eps[0]?.exposure, 'queryable', 'the latest write wins');
  assert.deepEqual(eps[0]?.result, endpointRecord('s', '10.0.0.1', 104, 'queryable').result, 'result JSON round-trips');
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
});

test('writeBatch is atomic: a bad row rolls back the whole batch', async (t) => {
  const s = memory(t);
  await s.createScan({ id: 's', scope: 'x', settings: {} });
  await s.addTargets('s', [{ host: 'h', port: 104 }]);
  await assert.rejects(
    s.writeBatch({
      endpoints: [endpointRecord('s', 'h', 104)],
      observations: [{ ...observationRecord('s', 'h', 104, 'p'), port: -1 }],
      targetsDone: [{ scanId: 's', host: 'h', port: 104 }],
    }),
    /CHECK/i,
  );
  assert.equal(await s.getEndpoint('s', 'h', 104), null);
  assert.deepEqual(await s.targetCounts('s'), { pending: 1, done: 0 });
  await assert.rejects(
    s.writeBatch({ endpoints: [{ ...endpointRecord('s', 'h', 104), result: undefined }] }),
    /not JSON-serialisable/,
  );
});

test('endpoints: paged keyset iteration, filters, counts by exposure', async (t) => {
  const s = memory(t);
  await s.upsertFacilities([FACILITY]);
  await s.createScan({ id: 's', scope: 'x', settings: {} });
  await s.createScan({ id: 'other', scope: 'x', settings: {} });
  const levels = ['retrievable', 'queryable', 'writable', 'associable', 'identified', 'none'];
  const endpoints = [];
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
  const sorted = [...all].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port));
  assert.deepEqual(
    keys,
    sorted.map((e) => `${e.host}:${e.port}`),
  );
  assert.ok(all.every((e) => e.scanId === 's'));

  const queryable = await collect(s.endpoints('s', { exposure: 'queryable', pageSize: 10 }));
  assert.equal(queryable.length, 2 * 42);
  assert.ok(queryable.every((e) => e.exposure === 'queryable'));
  assert.equal((await collect(s.endpoints('s', { facilityId: 'hosp-1', pageSize: 3 }))).length, 20);
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
  await assert.rejects(collect(s.endpoints('s', { pageSize: 0 })), /page size/);
});

test('observations and findings: paged, filterable by host and port', async (t) => {
  const s = memory(t);
  await s.createScan({ id: 's', scope: 'x', settings: {} });
  const probes = ['dicom.associate', 'dicom.echo', 'dicom.query-count', 'dicom.phi-categories'];
  const observations = [];
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
  assert.equal((await collect(s.findings('s', { pageSize: 5 }))).length, 40);
  assert.deepEqual(
    (await collect(s.findings('s', { host: hostOf(0) }))).map((f) => f.findingId),
    ['a', 'b'],
  );
});

test('a second connection reads while the first writes (WAL), and waits for the write lock', async (t) => {
  const file = path.join(tempDir(t), 'w.db');
  const writer: Repository = await openStore(file);
  const reader: Repository = await openStore(file, { busyTimeoutMs: 2000 });
  t.after(async () => {
    await writer.close();
    await reader.close();
  });
  await writer.createScan({ id: 's', scope: 'x', settings: {} });
  await writer.writeBatch({ endpoints: [endpointRecord('s', 'h1', 104)] });
  assert.equal((await collect(reader.endpoints('s'))).length, 1);
  await reader.writeBatch({ endpoints: [endpointRecord('s', 'h2', 104)] });
  assert.equal((await collect(writer.endpoints('s'))).length, 2);
});

test('a scan cursor moves only with its batch, last write per scan wins, and rejects non-integers', async (t) => {
  const store = memory(t);
  await store.createScan({ id: 'c', scope: '10.0.0.0/8', settings: {} });
  assert.equal((await store.getScan('c'))?.cursor, null);
  await store.writeBatch({
    endpoints: [endpointRecord('c', '10.0.0.1', 104)],
    cursors: [
      { scanId: 'c', position: '7' },
      { scanId: 'c', position: '18446744073709551621' },
    ],
  });
  assert.equal((await store.getScan('c'))?.cursor, '18446744073709551621');
  await assert.rejects(
    store.writeBatch({ endpoints: [endpointRecord('c', '10.0.0.2', 104)], cursors: [{ scanId: 'c', position: '-1' }] }),
    StoreError,
  );
  // The failed batch rolled back whole: neither its endpoint nor its cursor landed.
  assert.equal(await store.getEndpoint('c', '10.0.0.2', 104), null);
  assert.equal((await store.getScan('c'))?.cursor, '18446744073709551621');
});
