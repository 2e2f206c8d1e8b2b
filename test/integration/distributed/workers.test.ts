/**
 * A lab-fleet scan submitted as shards and worked by 3 worker processes equals the same plan run
 * in one process; the scope travels with the plan (a target outside the registry is never
 * contacted by any worker); progress comes from the job table; the scan is finished once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { submitDistributedScan } from '../../../src/distributed/submit.ts';
import { distributedProgress } from '../../../src/distributed/progress.ts';
import { prepareScan } from '../../../src/scan/scan-plan.ts';
import { openStore } from '../../../src/store/open.ts';
import { labSetup, pacsmap, tripwire, type LabSetup } from '../fleet/helpers.ts';
import {
  createTestDb,
  distSubnetByte,
  labPlan,
  referenceScan,
  resultOf,
  spawnWorker,
  statsOf,
  type TestDb,
} from './helpers.ts';

let setup: LabSetup;
let db: TestDb;
const NET = distSubnetByte(0);

before(async () => {
  setup = await labSetup({ hosts: 24, seed: 'distributed-workers', subnetByte: NET });
  db = await createTestDb();
});
after(async () => {
  await setup?.stop();
  await db?.drop();
});

test('3 workers on shards give exactly the one-process result; nothing outside the scope is touched', async () => {
  // A target outside the registry's ranges, listening: the plan names it, the scope refuses it.
  const outside = await tripwire(`127.${NET}.200.1`);
  try {
    const ports = `${setup.ports},${outside.port}`;
    const plan = await labPlan(setup.registry, ports, {
      targets: [...new Set(setup.lab.endpoints.map((e) => e.host)), `127.${NET}.200.1`].map((text, i) => ({
        text,
        origin: `argument ${i + 1}`,
      })),
    });
    const prepared = await prepareScan(plan);
    const store = await openStore(db.url);
    let scanId: string;
    let shardsN: number;
    try {
      const submitted = await submitDistributedScan({
        url: db.url,
        store,
        plan,
        prepared,
        version: 'test',
        shardSize: 7n,
      });
      scanId = submitted.scanId;
      shardsN = submitted.shards;
      assert.equal(shardsN, Math.ceil(Number(prepared.total) / 7));
      const before = await distributedProgress(db.pool, scanId);
      assert.deepEqual(
        { total: before?.shardsTotal, done: before?.shardsDone, queued: before?.shardsQueued },
        { total: shardsN, done: 0, queued: shardsN },
      );
    } finally {
      await store.close();
    }

    const audits = [0, 1, 2].map((i) => path.join(setup.dir, `audit-${i}.jsonl`));
    const workers = audits.map((a) =>
      spawnWorker(db.url, ['--once', '--concurrency', '2', '--poll', '100ms', '--audit', a]),
    );
    const exits = await Promise.all(workers.map((w) => w.exit));
    for (const [i, e] of exits.entries()) assert.equal(e.code, 0, workers[i]!.stderr());
    const stats = workers.map((w) => statsOf(w.stderr())!);
    if (process.env.DEBUG_DIST) for (const w of workers) console.error(w.stderr());
    assert.equal(
      stats.reduce((n, s) => n + s.shards, 0),
      shardsN,
      'every shard worked once (no failure, no retry)',
    );
    assert.equal(
      stats.reduce((n, s) => n + s.scansFinished, 0),
      1,
      'exactly one worker finished the scan',
    );
    // Every unit was worked but the out-of-scope address's (one per port), which were skipped.
    assert.equal(
      stats.reduce((n, s) => n + s.units, 0),
      Number(prepared.total) - ports.split(',').length,
    );

    const check = await openStore(db.url);
    try {
      const scan = (await check.getScan(scanId))!;
      assert.equal(scan.status, 'finished');
      assert.ok(scan.finishedAt);
      const got = await resultOf(check, scanId);
      const want = await referenceScan(plan, path.join(setup.dir, 'reference.db'));
      assert.ok(want.size > 10, 'the reference found endpoints');
      assert.deepEqual([...got.entries()].sort(), [...want.entries()].sort());
      // Every open port of the ground truth is there once.
      const open = setup.lab.endpoints.filter((e) => e.kind !== 'closed').map((e) => `${e.host}:${e.port}`);
      const endpoints: string[] = [];
      for await (const e of check.endpoints(scanId)) endpoints.push(`${e.host}:${e.port}`);
      assert.deepEqual(endpoints.sort(), open.sort());
    } finally {
      await check.close();
    }
    const after = await distributedProgress(db.pool, scanId);
    assert.equal(after?.shardsDone, shardsN);
    assert.equal(after?.shardsActive, 0);
    assert.equal(after?.shardsFailed, 0);

    assert.equal(outside.hits(), 0, 'the out-of-scope target was never contacted');
    const lines = (await Promise.all(audits.map((a) => readFile(a, 'utf8').catch(() => ''))))
      .join('')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { host: string; scanId: string });
    assert.ok(lines.length > 0);
    assert.ok(lines.every((l) => l.scanId === scanId));
    assert.ok(!lines.some((l) => l.host === `127.${NET}.200.1`), 'no worker audited the out-of-scope address');
  } finally {
    await outside.close();
  }
});

test('the scan rate is shared: 3 workers together keep to it', async () => {
  const rate = 40;
  const plan = await labPlan(setup.registry, setup.ports, { rate, seed: 'rate' });
  const prepared = await prepareScan(plan);
  const store = await openStore(db.url);
  let scanId: string;
  try {
    ({ scanId } = await submitDistributedScan({ url: db.url, store, plan, prepared, version: 'test', shardSize: 8n }));
  } finally {
    await store.close();
  }
  const audits = [0, 1, 2].map((i) => path.join(setup.dir, `rate-audit-${i}.jsonl`));
  const workers = audits.map((a) => spawnWorker(db.url, ['--once', '--poll', '100ms', '--audit', a]));
  for (const w of workers) assert.equal((await w.exit).code, 0, w.stderr());
  const perWorker = await Promise.all(
    audits.map(async (a) =>
      (await readFile(a, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { time: string; probe: string; scanId: string })
        .filter((l) => l.probe === 'tcp.connect' && l.scanId === scanId)
        .map((l) => Date.parse(l.time)),
    ),
  );
  assert.ok(perWorker.filter((t) => t.length > 0).length >= 2, 'at least two workers shared the work');
  const starts = perWorker.flat().sort((a, b) => a - b);
  assert.equal(starts.length, Number(prepared.total), 'one connect per work item');
  const burst = Math.max(1, Math.floor(rate / 10));
  // Any window [t_i, t_j] holds at most burst + rate × its length connects. The audit time is when
  // the connect started, which lags the token's grant by the event loop's delay (three processes on
  // two cores): 100 ms of slack on the window, 1 for the ms rounding.
  for (let i = 0; i < starts.length; i++)
    for (let j = i; j < starts.length; j++)
      assert.ok(
        j - i + 1 <= burst + (rate * (starts[j]! - starts[i]! + 100)) / 1000 + 1,
        `${j - i + 1} connects in ${starts[j]! - starts[i]!} ms`,
      );
  // And the whole run took at least what the rate imposes (unlimited, it takes well under a second).
  const spanMs = starts.at(-1)! - starts[0]!;
  assert.ok(spanMs >= ((starts.length - burst - 1) * 1000) / rate - 100, `${starts.length} connects in ${spanMs} ms`);
});

test('through the command line: scan --distributed queues shards, pacsmap worker works them, scans shows the shards', async () => {
  // The lab's registry is the scope; four ports of it make a handful of shards.
  const ports = setup.ports;
  const sub = await pacsmap([
    'scan',
    '--facilities',
    setup.registry,
    '-p',
    ports,
    '--db',
    db.url,
    '--distributed',
    '--shard-size',
    '40',
  ]);
  assert.equal(sub.code, 0, sub.err);
  const m = /^scan (\S+): (\d+) work items in (\d+) shards of 40, queued$/m.exec(sub.out);
  assert.ok(m, sub.out);
  const [, scanId, , shards] = m;
  const refused = await pacsmap([
    'scan',
    '--facilities',
    setup.registry,
    '--distributed',
    '--db',
    path.join(setup.dir, 'x.db'),
  ]);
  assert.equal(refused.code, 64, 'a distributed scan needs PostgreSQL');
  const queued = await pacsmap(['scans', '--db', db.url]);
  assert.match(queued.out, new RegExp(`shards 0/${shards}`));
  const w = spawnWorker(db.url, ['--once', '--concurrency', '2', '--poll', '100ms', '--audit', 'none']);
  assert.equal((await w.exit).code, 0, w.stderr());
  const done = await pacsmap(['scans', '--db', db.url]);
  const row = done.out.split('\n').find((l) => scanId!.startsWith(l.split(/\s+/)[0]!) && l.includes('finished'));
  assert.ok(row, done.out);
  assert.match(row, new RegExp(`shards ${shards}/${shards}`));
  const again = await pacsmap(['scan', '--resume', scanId!, '--db', db.url]);
  assert.equal(again.code, 2, 'a finished distributed scan is not resumed by hand');
});
