/**
 * PostgreSQL for the store tests: the real server at 127.0.0.1:5432 (user postgres, trust auth;
 * .ci/run starts one), or PACSMAP_TEST_PG_URL. Each test file creates its own database
 * (pacsmap_test_<random>) and drops it at the end, so files run concurrently; each test gets its
 * own schema in it. An unreachable server FAILS the tests with a clear message, never skips them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ContractBackend, SqlRow } from './contract.ts';

export const PG_ADMIN_URL = process.env['PACSMAP_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** URL of the new database. */
  readonly url: string;
  /** Drops the database (FORCE: disconnects whoever is left). */
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not answering at ${PG_ADMIN_URL} (${(err as Error).message}). The store tests need a real ` +
        'PostgreSQL: start one (bash .ci/run does) or point PACSMAP_TEST_PG_URL at one (a role that may CREATE DATABASE).',
      { cause: err },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `pacsmap_test_${randomBytes(6).toString('hex')}`;
  // template0 + C collation: text keys order by bytes, as in SQLite, whatever the cluster default.
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** The URL of `schema` in a database: search_path set through the startup `options`. */
export function schemaUrl(dbUrl: string, schema: string): string {
  const url = new URL(dbUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

export async function pgQuery(url: string, text: string): Promise<SqlRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<SqlRow>(text)).rows;
  } finally {
    await client.end();
  }
}

/** A contract backend over one test database: a fresh schema per location. */
export function postgresBackend(db: () => TestDatabase): ContractBackend {
  let n = 0;
  return {
    async location() {
      const schema = `t${++n}_${randomBytes(3).toString('hex')}`;
      await pgQuery(db().url, `CREATE SCHEMA ${schema}`);
      return schemaUrl(db().url, schema);
    },
    sql: pgQuery,
    async columns(url) {
      const rows = await pgQuery(
        url,
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()
         ORDER BY table_name, ordinal_position`,
      );
      const out: Record<string, string[]> = {};
      for (const r of rows) (out[String(r['table_name'])] ??= []).push(String(r['column_name']));
      return out;
    },
  };
}
