/**
 * `--db` URL → store. A plain path or `sqlite:PATH` opens (creating and migrating) an SQLite file;
 * `postgres://…` / `postgresql://…` opens (and migrates) a PostgreSQL database, with the standard
 * PG* environment variables filling what the URL leaves out (docs/store.md).
 */
import { PostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.ts';
import { StoreError, type Repository } from './repository.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';

export const DEFAULT_DB = './pacsmap.db';

export interface OpenStoreOptions {
  /** SQLite: how long to wait for another process's write lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /** PostgreSQL: connections in the pool (default 4). */
  readonly poolSize?: number;
  /** PostgreSQL: server-side statement timeout in ms (default: none). */
  readonly statementTimeoutMs?: number;
  /** PostgreSQL: how long to wait for a connection in ms (default 10 000). */
  readonly connectTimeoutMs?: number;
}

export type StoreLocation =
  { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };

/** Parses a `--db` value without opening anything. */
export function parseStoreUrl(url: string): StoreLocation {
  const value = url.trim();
  if (value === '') throw new StoreError('empty database location: give a file path, sqlite:PATH or postgres://…');
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', url: value };
  if (/^sqlite:/i.test(value)) {
    const path = value.slice('sqlite:'.length);
    if (path === '') throw new StoreError('sqlite: needs a path, e.g. sqlite:./pacsmap.db');
    return { kind: 'sqlite', path };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme)
    throw new StoreError(`unsupported database URL scheme ${scheme[1]}: use a file path, sqlite:PATH or postgres://…`);
  return { kind: 'sqlite', path: value };
}

/** Describes a location for messages, never echoing a password from a URL. */
export function describeStoreUrl(url: string): string {
  try {
    const loc = parseStoreUrl(url);
    if (loc.kind === 'sqlite') return `sqlite:${loc.path}`;
    const u = new URL(loc.url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid database location)';
  }
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Repository> {
  const loc = parseStoreUrl(url);
  if (loc.kind === 'postgres') {
    const pgOptions: PostgresStoreOptions = {
      label: describeStoreUrl(loc.url),
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
      ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }),
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    };
    return PostgresStore.open(loc.url, pgOptions);
  }
  return SqliteStore.open(
    loc.path,
    options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs },
  );
}
