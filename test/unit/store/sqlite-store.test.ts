/** SQLite-specific behaviour; the Repository contract itself is in contract.ts (sqlite-contract.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openStore, parseStoreUrl, describeStoreUrl } from '../../../src/store/open.ts';
import type { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { loadMigrations } from '../../../src/store/migrations.ts';
import { StoreError, type Repository } from '../../../src/store/repository.ts';
import { endpointRecord, tempDir } from './helpers.ts';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('opening a file sets WAL, synchronous=NORMAL, foreign keys and a busy timeout, and migrates once', async (t) => {
  const file = path.join(tempDir(t), 'a.db');
  const store = (await openStore(`sqlite:${file}`, { busyTimeoutMs: 1234 })) as SqliteStore;
  assert.deepEqual(store.diagnostics(), {
    journalMode: 'wal',
    synchronous: 1,
    foreignKeys: true,
    busyTimeoutMs: 1234,
    schemaVersion: loadMigrations().length,
  });
  await store.createScan({ id: 's1', scope: 'x', settings: {} });
  await store.close();
  await store.close(); // idempotent

  const again = (await openStore(file)) as SqliteStore;
  assert.equal((await again.getScan('s1'))?.id, 's1', 'data kept, migration not re-applied');
  assert.equal(again.diagnostics().schemaVersion, loadMigrations().length);
  await again.close();

  const raw = new DatabaseSync(file);
  const rows = raw.prepare('SELECT version, name FROM schema_migrations').all();
  assert.deepEqual(
    rows.map((r) => ({ ...r })),
    [
      { version: 1, name: 'initial' },
      { version: 2, name: 'scan_cursor' },
      { version: 3, name: 'figures_and_users' },
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

test('openStore: paths and sqlite: URLs open SQLite; postgres:// URLs are recognised, passwords masked', async () => {
  assert.deepEqual(parseStoreUrl('./pacsmap.db'), { kind: 'sqlite', path: './pacsmap.db' });
  assert.deepEqual(parseStoreUrl('sqlite:/tmp/x.db'), { kind: 'sqlite', path: '/tmp/x.db' });
  assert.deepEqual(parseStoreUrl('postgresql://u:p@h/db'), { kind: 'postgres', url: 'postgresql://u:p@h/db' });
  assert.throws(() => parseStoreUrl('mysql://h/db'), /unsupported database URL scheme mysql/);
  assert.throws(() => parseStoreUrl(''), StoreError);
  assert.throws(() => parseStoreUrl('sqlite:'), StoreError);
  assert.equal(describeStoreUrl('postgres://user:secret@db.example/pacsmap'), 'postgres://user:***@db.example/pacsmap');
  assert.equal(describeStoreUrl('postgres://db.example/pacsmap'), 'postgres://db.example/pacsmap');
  assert.equal(describeStoreUrl('http://x'), '(invalid database location)');
  await assert.rejects(openStore('/nonexistent-dir-pacsmap/x.db'), /cannot open SQLite database/);
  const mem = await openStore('sqlite::memory:');
  await mem.close();
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
