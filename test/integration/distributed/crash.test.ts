/**
 * Workers die and stop: `kill -9` of a worker mid-shard gives its shard back to the queue (the
 * job's heartbeat lapses) and the final result is still exactly the one-process result, with no
 * duplicate; SIGTERM makes a worker finish the shard in hand, fetch nothing more and exit 0.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { submitDistributedScan } from '../../../src/distributed/submit.ts';
import { distributedProgress } from '../../../src/distributed/progress.ts';
import { prepareScan, type ScanPlan } from '../../../src/scan/scan-plan.ts';
import { openStore } from '../../../src/store/open.ts';
import { labSetup, type LabSetup } from '../fleet/helpers.ts';
import {
  createTestDb,
  distSubnetByte,
  labPlan,
  referenceScan,
  resultOf,
  spawnWorker,
  statsOf,
  waitFor,
  type TestDb,
} from './helpers.ts';

let setup: LabSetup;
let db: TestDb;
let plan: ScanPlan;
let reference: Map<string, string>;

before(async () => {
  setup = await labSetup({ hosts: 12, seed: 'distributed-crash', subnetByte: distSubnetByte(1), latencyMs: 60 });
  db = await createTestDb();
  // Slow shards (few units at a time, latency on every message): a worker is caught mid-shard.
  plan = await labPlan(setup.registry, setup.ports, { concurrency: 2, seed: 'crash' });
  reference = await referenceScan(plan, path.join(setup.dir, 'reference.db'));
});
after(async () => {
  await setup?.stop();
  await db?.drop();
});

async function submit(): Promise<{ scanId: string; shards: number }> {
  const store = await openStore(db.url);
  try {
    const prepared = await prepareScan(plan);
    // The shortest heartbeat pg-boss allows: a dead worker's shard is back after ~10 s.
    return await submitDistributedScan({
      url: db.url,
      store,
      plan,
      prepared,
      version: 'test',
      shardSize: 4n,
      heartbeatSeconds: 10,
    });
  } finally {
    await store.close();
  }
}

async function activeJobs(scanId: string): Promise<Array<{ id: string; retry_count: number }>> {
  const r = await db.pool.query(
    `SELECT id, retry_count FROM pgboss.job WHERE name = 'pacsmap.shards' AND data->>'scanId' = $1 AND state = 'active'`,
    [scanId],
  );
  return r.rows as Array<{ id: string; retry_count: number }>;
}

async function observationCount(scanId: string): Promise<number> {
  const r = await db.pool.query('SELECT COUNT(*)::int AS n FROM observations WHERE scan_id = $1', [scanId]);
  return (r.rows[0] as { n: number }).n;
}

test('kill -9 of a worker mid-shard: the shard comes back, the result is still exact', async (t) => {
  const { scanId } = await submit();
  const victim = spawnWorker(db.url, ['--concurrency', '1', '--poll', '100ms', '--audit', 'none']);
  await waitFor('the victim to hold a shard and write part of it', async () => {
    return (await activeJobs(scanId)).length === 1 && (await observationCount(scanId)) > 0;
  });
  const [held] = await activeJobs(scanId);
  victim.child.kill('SIGKILL');
  const died = await victim.exit;
  assert.equal(died.signal, 'SIGKILL');

  const killedAt = Date.now();
  // How long the queue takes to give the shard back (heartbeat 10 s + supervision 1 s, expected).
  const back = waitFor(
    'the shard to be taken again',
    async () => {
      const r = await db.pool.query('SELECT retry_count FROM pgboss.job WHERE id = $1', [held!.id]);
      return (r.rows[0] as { retry_count: number }).retry_count >= 1;
    },
    600_000,
  ).then(() => t.diagnostic(`shard back in the queue and taken ${Date.now() - killedAt} ms after kill -9`));
  const rescuers = [0, 1].map(() =>
    spawnWorker(db.url, [
      '--once',
      '--poll',
      '200ms',
      '--supervise',
      '1',
      '--audit',
      'none',
      ...(process.env.DEBUG_DIST ? ['-v'] : []),
    ]),
  );
  const exits = await Promise.all(rescuers.map((w) => w.exit));
  for (const [i, e] of exits.entries()) assert.equal(e.code, 0, rescuers[i]!.stderr());
  if (process.env.DEBUG_DIST) for (const w of rescuers) console.error(w.stderr());

  await back;
  const job = await db.pool.query(`SELECT state::text, retry_count FROM pgboss.job WHERE id = $1`, [held!.id]);
  assert.equal(job.rows[0].state, 'completed');
  assert.ok(job.rows[0].retry_count >= 1, 'the killed shard was retried by the queue');

  const store = await openStore(db.url);
  try {
    assert.equal((await store.getScan(scanId))!.status, 'finished');
    const got = await resultOf(store, scanId);
    assert.deepEqual([...got.entries()].sort(), [...reference.entries()].sort());
    // No duplicate: one row per (host, port, probe), as many as the reference.
    const dup = await db.pool.query(
      `SELECT COUNT(*)::int AS n, COUNT(DISTINCT (host, port, probe))::int AS d FROM observations WHERE scan_id = $1`,
      [scanId],
    );
    assert.equal(dup.rows[0].n, dup.rows[0].d);
  } finally {
    await store.close();
  }
  const p = await distributedProgress(db.pool, scanId);
  assert.equal(p?.shardsDone, p?.shardsTotal);
});

test('SIGTERM: the worker finishes its shard, takes no other, exits 0; another worker ends the scan', async () => {
  const { scanId, shards } = await submit();
  const w = spawnWorker(db.url, ['--concurrency', '1', '--poll', '100ms', '--audit', 'none']);
  await waitFor('the worker to hold a shard', async () => (await activeJobs(scanId)).length === 1);
  const [held] = await activeJobs(scanId);
  const during = await distributedProgress(db.pool, scanId);
  assert.equal(during?.shardsActive, 1);
  assert.ok((during?.workersActive ?? 0) >= 1, 'the running worker is counted');
  w.child.kill('SIGTERM');
  const e = await w.exit;
  assert.equal(e.code, 0, w.stderr());
  const stats = statsOf(w.stderr())!;
  assert.equal(stats.shards, 1, 'it finished the shard in hand and took no other');
  const job = await db.pool.query(`SELECT state::text FROM pgboss.job WHERE id = $1`, [held!.id]);
  assert.equal(job.rows[0].state, 'completed');
  const mid = await distributedProgress(db.pool, scanId);
  assert.deepEqual(
    { done: mid?.shardsDone, active: mid?.shardsActive, queued: mid?.shardsQueued },
    { done: 1, active: 0, queued: shards - 1 },
  );

  const rest = spawnWorker(db.url, ['--once', '--poll', '100ms', '--audit', 'none']);
  assert.equal((await rest.exit).code, 0, rest.stderr());
  const store = await openStore(db.url);
  try {
    assert.equal((await store.getScan(scanId))!.status, 'finished');
    assert.deepEqual([...(await resultOf(store, scanId)).entries()].sort(), [...reference.entries()].sort());
  } finally {
    await store.close();
  }
});
