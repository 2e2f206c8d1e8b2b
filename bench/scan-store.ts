/**
 * Does the store slow a scan? The same engine (sweep, DICOM probes, batch writer) over N work
 * items, every one an open port, once writing to a fresh SQLite file and once to a store that
 * drops every write. Every unit writes an endpoint and its observations, so this is the store's
 * worst case; the ratio is the cost of keeping results.
 *
 *   node_modules/.bin/node bench/scan-store.ts [--units N] [--concurrency C]
 *
 * One listener on 0.0.0.0 (loopback traffic only: every 127/8 address reaches it) accepts and
 * closes each connection at once, so each unit is: connect, association attempt (closed), the
 * same over TLS (closed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { noAuditLog, silentLogger } from '../src/log/logger.ts';
import { runFleetScan } from '../src/scan/fleet-scan.ts';
import { prepareScan, type ScanPlan } from '../src/scan/scan-plan.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Repository } from '../src/store/repository.ts';

const { values } = parseArgs({
  options: { units: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '64' } },
});
const UNITS = Number(values.units);

const server = net.createServer((s) => s.destroy());
await new Promise<void>((r) => server.listen({ host: '0.0.0.0', port: 0 }, r));
const port = (server.address() as net.AddressInfo).port;

// UNITS addresses in 127.91.0.0/16 and beyond, one port each.
const first = 127 * 2 ** 24 + 91 * 2 ** 16;
const ip = (v: number): string => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
// UNITS addresses as last-octet ranges of 256 at most (a.b.c.d-e).
const specs: string[] = [];
for (let v = first, left = UNITS; left > 0;) {
  const n = Math.min(256, left);
  specs.push(`${ip(v)}-${ip(v + n - 1).split('.')[3]}`);
  v += 256;
  left -= n;
}
const realPlan: ScanPlan = {
  planVersion: 1,
  targets: specs.map((text) => ({ text, origin: 'bench' })),
  exclude: [],
  facilities: null,
  discovery: null,
  ports: [port],
  order: 'random',
  seed: 'bench',
  tls: 'auto',
  calledAe: 'ANY-SCP',
  callingAe: 'PACSMAP',
  timeouts: { connectMs: 2000, acseMs: 2000, dimseMs: 2000, associationMs: 10000 },
  maxQueryMatches: 1000,
  phiSampleSize: 5,
  concurrency: Number(values.concurrency),
  perHost: 1,
  rate: 0,
  retries: 0,
};

async function run(store: Repository, label: string): Promise<number> {
  await store.createScan({ id: label, scope: 'bench', settings: realPlan });
  // One SQLite file per round, one scan id per run.
  const prepared = await prepareScan(realPlan);
  const t0 = performance.now();
  const out = await runFleetScan(label, realPlan, prepared, 0n, { store, log: silentLogger, audit: noAuditLog });
  const s = (performance.now() - t0) / 1000;
  if (out.counters.openPorts !== UNITS) throw new Error(`${label}: ${out.counters.openPorts} open of ${UNITS}`);
  console.log(`${label.padEnd(10)} ${UNITS} units in ${s.toFixed(2)} s = ${Math.round(UNITS / s)} units/s`);
  return s;
}

const nullStore = {
  createScan: async () => ({}),
  updateScan: async () => {},
  writeBatch: async () => {},
  close: async () => {},
} as unknown as Repository;

const dir = mkdtempSync(path.join(tmpdir(), 'pacsmap-bench-'));
try {
  await run(nullStore, 'warm-up');
  // Alternating rounds, best of each: a busy machine slows both alike.
  let none = Infinity;
  let sqlite = Infinity;
  for (let round = 1; round <= 3; round++) {
    none = Math.min(none, await run(nullStore, `no-store-${round}`));
    const store = SqliteStore.open(path.join(dir, `bench-${round}.db`));
    sqlite = Math.min(sqlite, await run(store, `sqlite-${round}`));
    await store.close();
  }
  console.log(`store cost: sqlite / no-store time (best of 3 each) = ${(sqlite / none).toFixed(2)}×`);
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
