/** kill -9 of a child writing to an SQLite file (WAL): the file stays sound, nothing lost or doubled. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SqlRow } from './contract.ts';
import { crashAndResume } from './crash-scenario.ts';
import { tempDir } from './helpers.ts';

function withDb<T>(file: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

test('SQLite: kill -9 mid-scan twice, then resume: intact, nothing lost, nothing doubled', async (t) => {
  const file = path.join(tempDir(t), 'crash.db');
  await crashAndResume(
    t,
    file,
    {
      sql: async (text) => withDb(file, (db) => db.prepare(text).all() as SqlRow[]),
      sound: async () =>
        assert.deepEqual(
          withDb(file, (db) =>
            db
              .prepare('PRAGMA integrity_check')
              .all()
              .map((r) => r['integrity_check']),
          ),
          ['ok'],
        ),
    },
    20_000,
  );
});
