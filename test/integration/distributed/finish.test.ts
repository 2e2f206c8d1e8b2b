/**
 * A scan is finished exactly once, even when the finish check after the last shard was lost: an
 * idle worker's sweep ends it. Submitting an empty scope finishes at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { submitDistributedScan } from '../../../src/distributed/submit.ts';
import { finishIfDone } from '../../../src/distributed/worker.ts';
import { sqlOf } from '../../../src/distributed/sql.ts';
import { prepareScan } from '../../../src/scan/scan-plan.ts';
import { openStore } from '../../../src/store/open.ts';
import { createTestDb, labPlan, spawnWorker, type TestDb } from './helpers.ts';

let db: TestDb;
before(async () => {
  db = await createTestDb();
});
after(() => db?.drop());

async function submit(targets: string[]): Promise<{ scanId: string; shards: number }> {
  const plan = await labPlan('/dev/null', '9', {
    facilities: null,
    targets: targets.map((text) => ({ text, origin: 'test' })),
    exclude: [{ text: '127.0.0.3', origin: 'test' }],
  });
  const store = await openStore(db.url);
  try {
    return await submitDistributedScan({
      url: db.url,
      store,
      plan,
      prepared: await prepareScan(plan),
      version: 't',
      shardSize: 1n,
    });
  } finally {
    await store.close();
  }
}

async function status(scanId: string): Promise<string> {
  return ((await db.pool.query('SELECT status FROM scans WHERE id = $1', [scanId])).rows[0] as { status: string })
    .status;
}

test('finishIfDone: not while a shard is open; then once, and only once', async () => {
  const { scanId, shards } = await submit(['127.0.0.1', '127.0.0.2']);
  assert.equal(shards, 2);
  const sql = sqlOf(db.pool);
  assert.equal(await finishIfDone(sql, scanId), null);
  await db.pool.query(`UPDATE pgboss.job SET state = 'completed' WHERE data->>'scanId' = $1 AND data->>'start' = '0'`, [
    scanId,
  ]);
  assert.equal(await finishIfDone(sql, scanId), null, 'one shard still open');
  await db.pool.query(`UPDATE pgboss.job SET state = 'completed' WHERE data->>'scanId' = $1`, [scanId]);
  const results = await Promise.all(Array.from({ length: 8 }, () => finishIfDone(sql, scanId)));
  assert.deepEqual(
    results.filter((r) => r !== null),
    ['finished'],
    'exactly one caller finishes it',
  );
  assert.equal(await status(scanId), 'finished');
});

test('a failed shard ends the scan as interrupted once nothing is open', async () => {
  const { scanId } = await submit(['127.0.0.1', '127.0.0.2']);
  await db.pool.query(`UPDATE pgboss.job SET state = 'completed' WHERE data->>'scanId' = $1 AND data->>'start' = '0'`, [
    scanId,
  ]);
  await db.pool.query(`UPDATE pgboss.job SET state = 'failed' WHERE data->>'scanId' = $1 AND data->>'start' = '1'`, [
    scanId,
  ]);
  assert.equal(await finishIfDone(sqlOf(db.pool), scanId), 'interrupted');
  assert.equal(await status(scanId), 'interrupted');
});

test('a lost finish check is made good by an idle worker', async () => {
  const { scanId } = await submit(['127.0.0.1']);
  // The last shard completed, and the worker died before its finish check.
  await db.pool.query(`UPDATE pgboss.job SET state = 'completed' WHERE data->>'scanId' = $1`, [scanId]);
  assert.equal(await status(scanId), 'running');
  const w = spawnWorker(db.url, ['--once', '--audit', 'none']);
  assert.equal((await w.exit).code, 0, w.stderr());
  assert.equal(await status(scanId), 'finished');
});

test('an empty scope is finished at submit', async () => {
  const { scanId, shards } = await submit(['127.0.0.3']);
  assert.equal(shards, 0);
  assert.equal(await status(scanId), 'finished');
});
