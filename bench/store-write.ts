/**
 * Store write micro-benchmark: N observations (default 100 000) written to a fresh SQLite file
 * (WAL, synchronous=NORMAL) through the BatchWriter, versus one transaction per row.
 *
 *   node_modules/.bin/node bench/store-write.ts [--rows N] [--batch ROWS] [--dir DIR]
 *
 * Prints rows/s of each and the ratio. Run on the disk the scans will use (default: the OS temp dir).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { BatchWriter } from '../src/store/batch-writer.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { ObservationRecord } from '../src/store/repository.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '1000' },
    dir: { type: 'string' },
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

async function run(name: string, write: (store: SqliteStore, scanId: string) => Promise<void>): Promise<number> {
  const dir = mkdtempSync(path.join(values.dir ?? tmpdir(), 'pacsmap-bench-'));
  const file = path.join(dir, 'bench.db');
  const store = SqliteStore.open(file);
  try {
    await store.createScan({ id: 'bench', scope: 'bench', settings: {} });
    const t0 = performance.now();
    await write(store, 'bench');
    const ms = performance.now() - t0;
    let n = 0;
    for await (const _ of store.observations('bench', { pageSize: 5000 })) n++;
    if (n !== ROWS) throw new Error(`${name}: expected ${ROWS} rows, found ${n}`);
    const rate = ROWS / (ms / 1000);
    const size = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    console.log(
      `${name.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms  ${rate.toFixed(0).padStart(8)} rows/s  ${(size / 1e6).toFixed(1)} MB`,
    );
    return ms;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sqliteVersion = String(new DatabaseSync(':memory:').prepare('SELECT sqlite_version() AS v').get()?.['v']);
console.log(
  `store-write: ${ROWS} observations, SQLite ${sqliteVersion} (WAL, synchronous=NORMAL), Node ${process.version}`,
);
const batched = await run(`BatchWriter (${BATCH} rows/tx)`, async (store, scanId) => {
  const w = new BatchWriter(store, { maxRows: BATCH });
  for (let i = 0; i < ROWS; i++) {
    w.observation(observation(scanId, i));
    if (i % BATCH === 0) await w.ready();
  }
  await w.close();
});
const perRow = await run('one transaction per row', async (store, scanId) => {
  for (let i = 0; i < ROWS; i++) await store.writeBatch({ observations: [observation(scanId, i)] });
});
console.log(`ratio: batched is ${(perRow / batched).toFixed(1)}x faster than one transaction per row`);
