/**
 * Schema migrations: numbered plain-SQL files in ./migrations (`0001_initial.sql`, …), the same
 * files for every backend. Each backend records what it applied in `schema_migrations` and applies
 * the rest in order, each in its own transaction.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { StoreError } from './repository.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Portable DDL for the bookkeeping table (created before any migration runs). */
export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/** Reads and validates the migration files: versions 1, 2, 3… without gaps or duplicates. */
export function loadMigrations(dir: URL = new URL('./migrations/', import.meta.url)): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE.exec(file);
    if (!m) throw new StoreError(`migration file name ${file} does not match NNNN_name.sql`);
    migrations.push({ version: Number(m[1]), name: m[2] ?? '', sql: readFileSync(new URL(file, dir), 'utf8') });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new StoreError(
        `migrations must be numbered 1, 2, 3… without gaps: found ${m.version} at position ${i + 1}`,
      );
  });
  return migrations;
}
