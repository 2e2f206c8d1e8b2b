/**
 * Store write micro-benchmark: N observations (default 100 000) written through the BatchWriter
 * versus one transaction per row, to a fresh SQLite file (WAL, synchronous=NORMAL) and to a fresh
 * PostgreSQL database (created and dropped by the benchmark).
 *
 *   node_modules/.bin/node bench/store-write.ts [--rows N] [--batch ROWS] [--dir DIR]
 *       [--pg postgres://postgres@127.0.0.1:5432/postgres | --pg none]
 *
 * Prints rows/s of each and the ratios. Run on the disk the scans will use (default: the OS temp
 * dir). The per-row PostgreSQL run writes a tenth of the rows (a network round trip per row).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BatchWriter } from '../src/store/batch-writer.ts';
import { describeStoreUrl } from '../src/store/open.ts';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { ObservationRecord, Repository } from '../src/store/repository.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    dir: { type: 'string' },
    pg: {
      type: 'string',
      default: process.env['PACSMAP_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const PROBES = ['dicom.associate', 'dicom.echo', 'dicom.query-count', 'dicom.phi-categories'];

function observation(scanId: string, i: number): ObservationRecord {
  const host = Math.floor(i / PROBES.length);
  return {
    scanId,
    host: `10.${(host >> 16) & 255}.${(host >> 8) & 255}.${host & 255}`,
    port: 104,
    probe: PROBES[i % PROBES.length] ?? 'x',
    status: i % 7 === 0 ? 'connection-refused' : 'success',
    startedAt: new Date(1_700_000_000_000 + i).toISOString(),
    durationMs: (i % 100) / 3,
    detail: i % 7 === 0 ? 'connection refused' : null,
    facts: { accepted: i % 2 === 0, studies: i % 50, phiCategories: ['patient-id', 'name'] },
  };
}

interface Opened {
  readonly store: Repository;
  /** Bytes used, when known. */
  size(): number | null;
  cleanup(): Promise<void>;
}

async function run(
  name: string,
  rows: number,
  open: () => Promise<Opened>,
  write: (store: Repository, scanId: string, rows: number) => Promise<void>,
): Promise<number> {
  const { store, size, cleanup } = await open();
  try {
    await store.createScan({ id: 'bench', scope: 'bench', settings: {} });
    const t0 = performance.now();
    await write(store, 'bench', rows);
    const ms = performance.now() - t0;
    let n = 0;
    for await (const _ of store.observations('bench', { pageSize: 5000 })) n++;
    if (n !== rows) throw new Error(`${name}: expected ${rows} rows, found ${n}`);
    const rate = rows / (ms / 1000);
    const bytes = size();
    console.log(
      `${name.padEnd(40)} ${String(rows).padStart(7)} rows ${ms.toFixed(0).padStart(7)} ms  ${rate.toFixed(0).padStart(8)} rows/s${bytes === null ? '' : `  ${(bytes / 1e6).toFixed(1)} MB`}`,
    );
    return rate;
  } finally {
    await store.close();
    await cleanup();
  }
}

async function sqlite(): Promise<Opened> {
  const dir = mkdtempSync(path.join(values.dir ?? tmpdir(), 'pacsmap-bench-'));
  const file = path.join(dir, 'bench.db');
  return {
    store: SqliteStore.open(file),
    size: () => statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: values.pg });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function postgres(): Promise<Opened> {
  const name = `pacsmap_bench_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(values.pg);
  url.pathname = `/${name}`;
  return {
    store: await PostgresStore.open(url.toString()),
    size: () => null,
    cleanup: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function batched(store: Repository, scanId: string, rows: number): Promise<void> {
  const w = new BatchWriter(store, { maxRows: BATCH });
  for (let i = 0; i < rows; i++) {
    w.observation(observation(scanId, i));
    if (i % BATCH === 0) await w.ready();
  }
  await w.close();
}

async function perRow(store: Repository, scanId: string, rows: number): Promise<void> {
  for (let i = 0; i < rows; i++) await store.writeBatch({ observations: [observation(scanId, i)] });
}

const sqliteVersion = String(new DatabaseSync(':memory:').prepare('SELECT sqlite_version() AS v').get()?.['v']);
console.log(
  `store-write: ${ROWS} observations, SQLite ${sqliteVersion} (WAL, synchronous=NORMAL), Node ${process.version}`,
);
const sqliteBatched = await run(`SQLite BatchWriter (${BATCH} rows/tx)`, ROWS, sqlite, batched);
const sqlitePerRow = await run('SQLite one transaction per row', ROWS, sqlite, perRow);
console.log(`SQLite: batched is ${(sqliteBatched / sqlitePerRow).toFixed(1)}x faster than one transaction per row`);

if (values.pg !== 'none') {
  console.log(`PostgreSQL at ${describeStoreUrl(values.pg)} (default settings: synchronous_commit on)`);
  const pgBatched = await run(`PostgreSQL BatchWriter (${BATCH} rows/tx)`, ROWS, postgres, batched);
  const pgPerRow = await run(
    'PostgreSQL one transaction per row',
    Math.max(1, Math.round(ROWS / 10)),
    postgres,
    perRow,
  );
  console.log(`PostgreSQL: batched is ${(pgBatched / pgPerRow).toFixed(1)}x faster than one transaction per row`);
  console.log(`batched: PostgreSQL writes ${(pgBatched / sqliteBatched).toFixed(2)}x the rows/s of SQLite`);
}
