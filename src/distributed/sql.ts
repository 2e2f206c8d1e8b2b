/**
 * The one SQL shape this folder needs, so that the same code runs on pg-boss's own pool
 * (`boss.getDb()`), a `pg.Pool` or a `pg.Client`.
 */
import type pg from 'pg';

export interface Sql {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export function sqlOf(db: Pick<pg.Pool, 'query'> | Pick<pg.Client, 'query'>): Sql {
  return {
    executeSql: async (text, values) => {
      const r = await (db as pg.Pool).query(text, values as unknown[]);
      return { rows: r.rows };
    },
  };
}
