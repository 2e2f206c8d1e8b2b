/** Set-up for the distributed tests: a database of their own, worker processes, a reference scan. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { silentLogger, noAuditLog } from '../../../src/log/logger.ts';
import { runFleetScan } from '../../../src/scan/fleet-scan.ts';
import { fileRef, prepareScan, type ScanPlan } from '../../../src/scan/scan-plan.ts';
import { openStore } from '../../../src/store/open.ts';
import type { Repository } from '../../../src/store/repository.ts';

export const PG_ADMIN = process.env.PACSMAP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDb {
  readonly url: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const name = `pacsmap_dist_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const a = new pg.Client({ connectionString: PG_ADMIN });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

const BIN = path.resolve(import.meta.dirname, '../../../bin/pacsmap.js');

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnWorker(url: string, args: string[]): WorkerProcess {
  const child = spawn(process.execPath, [BIN, 'worker', '--db', url, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => err, exit };
}

export interface WorkerStatsLine {
  shards: number;
  shardsFailed: number;
  units: number;
  queueMs: number;
  workMs: number;
  scansFinished: number;
}

export function statsOf(stderr: string): WorkerStatsLine | null {
  const line = stderr.split('\n').find((l) => l.startsWith('{"workerStats"'));
  return line ? (JSON.parse(line) as { workerStats: WorkerStatsLine }).workerStats : null;
}

export async function labPlan(registry: string, ports: string, extra: Partial<ScanPlan> = {}): Promise<ScanPlan> {
  return {
    planVersion: 1,
    targets: [],
    exclude: [],
    facilities: await fileRef(registry),
    discovery: null,
    ports: ports.split(',').map(Number),
    order: 'random',
    seed: 'distributed-test',
    tls: 'auto',
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    timeouts: { connectMs: 2000, acseMs: 2000, dimseMs: 2000, associationMs: 12_000 },
    maxQueryMatches: 100_000,
    phiSampleSize: 20,
    concurrency: 16,
    perHost: 1,
    rate: 0,
    retries: 0,
    ...extra,
  };
}

/** What must be equal between two runs of one plan: per endpoint, its facts and its probes' statuses. */
export async function resultOf(store: Repository, scanId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of store.endpoints(scanId))
    out.set(`${e.host}:${e.port}`, JSON.stringify([e.service, e.exposure, e.status, e.transport, e.facilityId]));
  const probes = new Map<string, string[]>();
  for await (const o of store.observations(scanId)) {
    const k = `${o.host}:${o.port}`;
    probes.set(k, [...(probes.get(k) ?? []), `${o.probe}=${o.status}`]);
  }
  for (const [k, list] of probes) out.set(`${k} probes`, list.sort().join(' '));
  return out;
}

/** The same plan in one process, on an SQLite store: the reference result. */
export async function referenceScan(plan: ScanPlan, dbFile: string): Promise<Map<string, string>> {
  const store = await openStore(dbFile);
  try {
    const prepared = await prepareScan(plan);
    const scan = await store.createScan({
      scope: prepared.describe,
      settings: { ...plan, workTotal: prepared.total.toString() },
    });
    const registry = prepared.registry!;
    await store.upsertFacilities(
      registry.facilities.map((f) => ({
        id: f.id,
        name: f.name,
        region: f.region,
        country: f.country,
        contactEmail: f.contact,
        ranges: f.ranges.map((r) => r.spec),
        latitude: f.lat,
        longitude: f.lon,
      })),
    );
    await runFleetScan(scan.id, plan, prepared, 0n, { store, log: silentLogger, audit: noAuditLog });
    return await resultOf(store, scan.id);
  } finally {
    await store.close();
  }
}

export async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await fn())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Subnet bytes of their own, away from the fleet tests' 130..203 (one slot per test file). */
export function distSubnetByte(slot: 0 | 1): number {
  return 231 + slot * 10;
}
