/**
 * Distributed scans: the same lab fleet (with network latency) scanned by 1, 2 and 4 worker
 * processes from the pg-boss queue, against one process on SQLite. Reports the scan time (first
 * shard started → last shard completed, from the job table), the throughput ratio versus 1 worker,
 * and the queue's overhead per shard (fetch + complete + finish check, as the workers measured it).
 *
 * Run: node bench/distributed.ts [HOSTS] [LATENCY_MS]   (PostgreSQL: $PACSMAP_TEST_PG or
 * postgres://postgres@127.0.0.1:5432/postgres; a database is created and dropped).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { submitDistributedScan } from '../src/distributed/submit.ts';
import { facilitiesYaml } from '../src/lab/files.ts';
import { startLab } from '../src/lab/lab.ts';
import { noAuditLog, silentLogger } from '../src/log/logger.ts';
import { runFleetScan } from '../src/scan/fleet-scan.ts';
import { prepareScan } from '../src/scan/scan-plan.ts';
import { openStore } from '../src/store/open.ts';
import { createTestDb, labPlan, spawnWorker, statsOf } from '../test/integration/distributed/helpers.ts';

const HOSTS = Number(process.argv[2] ?? 120);
const LATENCY = Number(process.argv[3] ?? 30);
const SHARD = 32n;

const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-bench-dist-'));
const lab = await startLab({
  hosts: HOSTS,
  seed: 'bench-distributed',
  subnet: '127.251.0.0/16',
  certDir: dir,
  latencyMs: LATENCY,
  limits: { artimMs: 3_000, idleMs: 10_000, closeMs: 3_000 },
});
const registry = path.join(dir, 'facilities.yaml');
await writeFile(registry, facilitiesYaml(lab.groundTruth.facilities));
const ports = [...new Set(lab.endpoints.map((e) => e.port))].sort((a, b) => a - b).join(',');
const plan = await labPlan(registry, ports, { concurrency: 8, seed: 'bench' });
const db = await createTestDb();

try {
  const prepared = await prepareScan(plan);
  console.log(
    `lab: ${HOSTS} hosts, ${LATENCY} ms latency per message, ${prepared.total} work items, shards of ${SHARD}; ` +
      `plan concurrency ${plan.concurrency}, 2 shards per worker; ${os.cpus().length} cores`,
  );

  // Same concurrency as one worker (2 shards × plan concurrency) for a fair baseline.
  const wide = { ...plan, concurrency: plan.concurrency * 2 };
  const sqlite2 = await openStore(path.join(dir, 'two.db'));
  const scan2 = await sqlite2.createScan({ scope: prepared.describe, settings: wide });
  await sqlite2.upsertFacilities(
    prepared.registry!.facilities.map((f) => ({
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
  const s1 = performance.now();
  await runFleetScan(scan2.id, wide, await prepareScan(wide), 0n, {
    store: sqlite2,
    log: silentLogger,
    audit: noAuditLog,
  });
  const oneProcessWideMs = performance.now() - s1;
  await sqlite2.close();
  console.log(
    `one process (SQLite), concurrency ${wide.concurrency} (as one worker's 2 shards): ${(oneProcessWideMs / 1000).toFixed(2)} s`,
  );

  const rows: Array<{ workers: number; scanS: number; wallS: number; perShardMs: number; shards: number }> = [];
  for (const n of [1, 2, 4]) {
    const store = await openStore(db.url);
    const { scanId, shards } = await submitDistributedScan({
      url: db.url,
      store,
      plan,
      prepared,
      version: 'bench',
      shardSize: SHARD,
    });
    await store.close();
    const w0 = performance.now();
    const workers = Array.from({ length: n }, () =>
      spawnWorker(db.url, ['--once', '--poll', '200ms', '--audit', 'none']),
    );
    for (const w of workers) {
      const e = await w.exit;
      if (e.code !== 0) throw new Error(`worker exited ${e.code}: ${w.stderr()}`);
    }
    const wallS = (performance.now() - w0) / 1000;
    const t = await db.pool.query(
      `SELECT EXTRACT(EPOCH FROM MAX(completed_on) - MIN(started_on))::float8 AS s FROM pgboss.job WHERE name = 'pacsmap.shards' AND data->>'scanId' = $1`,
      [scanId],
    );
    const stats = workers.map((w) => statsOf(w.stderr())!);
    const done = stats.reduce((a, s) => a + s.shards, 0);
    const queueMs = stats.reduce((a, s) => a + s.queueMs, 0);
    rows.push({ workers: n, scanS: Number(t.rows[0].s), wallS, perShardMs: queueMs / done, shards });
  }
  // The queue alone: 200 one-position shards, each a connect refused at once by a closed loopback port.
  const nullPlan = await labPlan(registry, '9', {
    facilities: null,
    targets: Array.from({ length: 200 }, (_, i) => ({ text: `127.252.${i >> 8}.${i & 255}`, origin: 'bench' })),
    seed: 'null',
  });
  const nullStore = await openStore(db.url);
  const nul = await submitDistributedScan({
    url: db.url,
    store: nullStore,
    plan: nullPlan,
    prepared: await prepareScan(nullPlan),
    version: 'bench',
    shardSize: 1n,
  });
  await nullStore.close();
  const q0 = performance.now();
  const qw = spawnWorker(db.url, ['--once', '--concurrency', '1', '--poll', '200ms', '--audit', 'none']);
  if ((await qw.exit).code !== 0) throw new Error(qw.stderr());
  const qs = statsOf(qw.stderr())!;
  const qt = await db.pool.query(
    `SELECT EXTRACT(EPOCH FROM MAX(completed_on) - MIN(started_on))::float8 AS s FROM pgboss.job WHERE name = 'pacsmap.shards' AND data->>'scanId' = $1`,
    [nul.scanId],
  );
  console.log(
    `queue alone: ${nul.shards} empty shards by 1 worker in ${Number(qt.rows[0].s).toFixed(2)} s ` +
      `(${((Number(qt.rows[0].s) * 1000) / nul.shards).toFixed(1)} ms per shard end to end; queue calls ${(qs.queueMs / qs.shards).toFixed(1)} ms, ` +
      `shard set-up ${(qs.workMs / qs.shards).toFixed(1)} ms; process ${((performance.now() - q0) / 1000).toFixed(1)} s)`,
  );

  const base = rows[0]!.scanS;
  console.log(
    '\nworkers  shards  scan time  wall (incl. process start)  throughput vs 1 worker  queue overhead per shard',
  );
  for (const r of rows)
    console.log(
      `${String(r.workers).padStart(7)}  ${String(r.shards).padStart(6)}  ${r.scanS.toFixed(2).padStart(7)} s  ${r.wallS.toFixed(2).padStart(24)} s  ${(base / r.scanS).toFixed(2).padStart(20)}×  ${r.perShardMs.toFixed(1).padStart(20)} ms`,
    );
  console.log(
    `\n1 worker vs one process at the same concurrency: ${(rows[0]!.scanS / (oneProcessWideMs / 1000)).toFixed(2)}× the time`,
  );
} finally {
  await db.drop();
  await lab.stop();
  await rm(dir, { recursive: true, force: true });
}
