/** The Repository contract against SQLite files (a new file per test). */
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describeRepositoryContract, type SqlRow } from './contract.ts';
import { tempDir } from './helpers.ts';

function withDb<T>(file: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describeRepositoryContract('SQLite', {
  async location(t) {
    return path.join(tempDir(t), 'store.db');
  },
  async sql(file, text) {
    return withDb(file, (db) => db.prepare(text).all() as SqlRow[]);
  },
  async columns(file) {
    return withDb(file, (db) => {
      const tables = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
        .all()
        .map((r) => String(r['name']));
      const out: Record<string, string[]> = {};
      for (const table of tables)
        out[table] = db
          .prepare('SELECT name FROM pragma_table_info(?)')
          .all(table)
          .map((r) => String(r['name']));
      return out;
    });
  },
});
