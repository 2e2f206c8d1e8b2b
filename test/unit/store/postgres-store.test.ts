/** PostgreSQL-specific behaviour: connection settings, round trips per batch, errors without secrets. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMigrations } from '../../../src/store/migrations.ts';
import { openStore } from '../../../src/store/open.ts';
import { PostgresStore } from '../../../src/store/postgres/postgres-store.ts';
import { StoreError } from '../../../src/store/repository.ts';
import { collect } from './contract.ts';
import { endpointRecord, hostOf, observationRecord } from './helpers.ts';
import { createTestDatabase, pgQuery, schemaUrl, type TestDatabase } from './pg.ts';

let db: TestDatabase | undefined;
before(async () => {
  db = await createTestDatabase();
});
after(() => db?.drop());

function dbUrl(): string {
  if (!db) throw new Error('the test database was not created (see the error of the before hook)');
  return db.url;
}

let schemas = 0;
async function freshSchema(): Promise<string> {
  const schema = `pg${++schemas}`;
  await pgQuery(dbUrl(), `CREATE SCHEMA ${schema}`);
  return schemaUrl(dbUrl(), schema);
}

test('openStore(postgres://…) opens a pool named pacsmap with the given size and statement timeout', async (t) => {
  const url = await freshSchema();
  const store = await openStore(url.replace(/^postgres:/, 'postgresql:'), { poolSize: 3, statementTimeoutMs: 1500 });
  t.after(() => store.close());
  assert.ok(store instanceof PostgresStore);
  const d = await store.diagnostics();
  assert.equal(d.applicationName, 'pacsmap');
  assert.equal(d.statementTimeout, '1500ms');
  assert.equal(d.poolSize, 3);
  assert.equal(d.schemaVersion, loadMigrations().length);
  assert.match(d.schema, /^pg\d+$/, 'the search_path of the URL options is honoured');
  assert.equal(d.collation, 'C', 'the test database orders text by bytes, as SQLite does');
  const other = await PostgresStore.open(`${url}&application_name=worker-7`);
  t.after(() => other.close());
  assert.equal((await other.diagnostics()).applicationName, 'worker-7', "the URL's application_name wins");
  await assert.rejects(PostgresStore.open(url, { poolSize: 0 }), /pool size/);
});

test('the statement timeout is enforced by the server', async (t) => {
  const url = await freshSchema();
  const store = await PostgresStore.open(url, { statementTimeoutMs: 200 });
  t.after(() => store.close());
  await store.createScan({ id: 's', scope: 'x', settings: {} });
  // Hold a row lock from another session: the store's UPDATE waits, then is cancelled at 200 ms.
  const pg = (await import('pg')).default;
  const blocker = new pg.Client({ connectionString: url });
  await blocker.connect();
  t.after(() => blocker.end());
  await blocker.query('BEGIN');
  await blocker.query(`SELECT * FROM scans WHERE id = 's' FOR UPDATE`);
  const t0 = performance.now();
  await assert.rejects(store.updateScan('s', { status: 'finished' }), /statement timeout/);
  assert.ok(performance.now() - t0 < 5000);
  await blocker.query('ROLLBACK');
  await store.updateScan('s', { status: 'finished' });
  assert.equal((await store.getScan('s'))?.status, 'finished');
});

test('the PG* environment variables fill what the URL leaves out', async (t) => {
  const url = new URL(await freshSchema());
  const saved = { ...process.env };
  t.after(() => {
    for (const k of ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGOPTIONS']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  process.env['PGHOST'] = url.hostname;
  process.env['PGPORT'] = url.port || '5432';
  process.env['PGUSER'] = decodeURIComponent(url.username);
  process.env['PGDATABASE'] = url.pathname.slice(1);
  const store = await openStore(`postgres://?${url.searchParams.toString()}`);
  t.after(() => store.close());
  const d = await (store as PostgresStore).diagnostics();
  assert.equal(d.database, url.pathname.slice(1));
});

test('a 1000-row batch is a handful of round trips, and a 12 000-row one a few more', async (t) => {
  const store = await PostgresStore.open(await freshSchema());
  t.after(() => store.close());
  await store.createScan({ id: 's', scope: 'x', settings: {} });
  await store.addTargets(
    's',
    Array.from({ length: 250 }, (_, i) => ({ host: hostOf(i), port: 104 })),
  );
  const before = store.statements;
  await store.writeBatch({
    endpoints: Array.from({ length: 250 }, (_, i) => endpointRecord('s', hostOf(i), 104)),
    observations: Array.from({ length: 500 }, (_, i) => observationRecord('s', hostOf(i >> 1), 104, `p${i & 1}`)),
    findings: Array.from({ length: 0 }),
    targetsDone: Array.from({ length: 250 }, (_, i) => ({ scanId: 's', host: hostOf(i), port: 104 })),
    cursors: [{ scanId: 's', position: '250' }],
  });
  const statements = store.statements - before;
  t.diagnostic(`1000-row batch: ${statements} statements (BEGIN, one per kind of row, cursor, COMMIT)`);
  assert.ok(statements <= 6, `1000 rows took ${statements} statements`);
  assert.deepEqual((await store.getScan('s'))?.counts, { targets: 250, targetsDone: 250, endpoints: 250, findings: 0 });

  const big = store.statements;
  await store.writeBatch({
    observations: Array.from({ length: 12_000 }, (_, i) => observationRecord('s', hostOf(i >> 2), 104, `q${i & 3}`)),
  });
  const bigStatements = store.statements - big;
  t.diagnostic(`12 000-row batch: ${bigStatements} statements`);
  assert.ok(bigStatements <= 5, `12 000 rows took ${bigStatements} statements`);
  assert.equal((await collect(store.observations('s', { pageSize: 5000 }))).length, 500 + 12_000);
});

test('connection failures are StoreErrors that never show the password', async () => {
  const t0 = performance.now();
  await assert.rejects(
    openStore('postgres://pacsmap:s3cretpw@127.0.0.1:1/pacsmap', { connectTimeoutMs: 2000 }),
    (e: Error) => {
      assert.ok(e instanceof StoreError);
      assert.match(e.message, /cannot open PostgreSQL database postgres:\/\/pacsmap:\*\*\*@127\.0\.0\.1:1\/pacsmap/);
      assert.doesNotMatch(e.message, /s3cretpw/);
      return true;
    },
  );
  assert.ok(performance.now() - t0 < 5000, 'fails fast');
  await assert.rejects(openStore('postgres://postgres@127.0.0.1:5432/pacsmap_no_such_db'), (e: Error) => {
    assert.ok(e instanceof StoreError);
    assert.match(e.message, /pacsmap_no_such_db/);
    return true;
  });
});

test('a closed store refuses writes', async () => {
  const store = await PostgresStore.open(await freshSchema());
  await store.close();
  await store.close();
  await assert.rejects(store.writeBatch({ endpoints: [endpointRecord('s', 'h', 1)] }), /closed/);
});

test('a read-only role (a dashboard) opens a migrated database and reads, but cannot write', async (t) => {
  const url = await freshSchema();
  const schema = new URL(url).searchParams.get('options')?.split('=')[1] ?? '';
  const writer = await openStore(url);
  t.after(() => writer.close());
  await writer.createScan({ id: 's', scope: 'x', settings: {} });
  await writer.writeBatch({ endpoints: [endpointRecord('s', 'h', 104)] });

  const role = `pacsmap_ro_${Math.random().toString(36).slice(2, 10)}`;
  await pgQuery(dbUrl(), `CREATE ROLE ${role} LOGIN`);
  t.after(async () => {
    await pgQuery(dbUrl(), `DROP OWNED BY ${role}`);
    await pgQuery(dbUrl(), `DROP ROLE ${role}`);
  });
  await pgQuery(dbUrl(), `GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await pgQuery(dbUrl(), `GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
  const roUrl = new URL(url);
  roUrl.username = role;
  const reader = await openStore(roUrl.toString());
  t.after(() => reader.close());
  assert.equal((await reader.getScan('s'))?.counts.endpoints, 1);
  assert.equal((await collect(reader.endpoints('s'))).length, 1);
  await assert.rejects(reader.writeBatch({ endpoints: [endpointRecord('s', 'h2', 104)] }), /permission denied/);
});
