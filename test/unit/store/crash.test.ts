/**
 * kill -9 while a child process writes results: what was committed stays (WAL), the file is sound,
 * a target is never done without its results, and resuming finishes with nothing lost or doubled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { BatchWriter } from '../../../src/store/batch-writer.ts';
import { openStore } from '../../../src/store/open.ts';
import { endpointRecord, hostOf, observationRecord, tempDir } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const TOTAL = 20_000;

interface ChildRun {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly committed: number;
  readonly stderr: string;
}

/** Runs the child until it reports `killAfter` committed targets, then SIGKILLs it. */
function runAndKill(dbPath: string, scanId: string, maxRows: number, killAfter: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dbPath, scanId, String(maxRows)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let committed = 0;
    let stderr = '';
    let pending = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^done (\d+)$/.exec(line);
        if (m) committed = Number(m[1]);
      }
      if (committed >= killAfter && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, committed, stderr });
    });
  });
}

function checkAfterCrash(dbPath: string, scanId: string): { done: number; pending: number } {
  const db = new DatabaseSync(dbPath);
  try {
    const integrity = db
      .prepare('PRAGMA integrity_check')
      .all()
      .map((r) => r['integrity_check']);
    assert.deepEqual(integrity, ['ok']);
    const count = (sql: string): number => Number(db.prepare(sql).get(scanId)?.['n']);
    const done = count(`SELECT COUNT(*) AS n FROM targets WHERE scan_id = ? AND state = 'done'`);
    const pending = count(`SELECT COUNT(*) AS n FROM targets WHERE scan_id = ? AND state = 'pending'`);
    assert.equal(done + pending, TOTAL, 'pending + done = all targets');
    assert.equal(
      count(`SELECT COUNT(*) AS n FROM targets t WHERE t.scan_id = ? AND t.state = 'done' AND NOT EXISTS
        (SELECT 1 FROM endpoints e WHERE e.scan_id = t.scan_id AND e.host = t.host AND e.port = t.port)`),
      0,
      'no target is done without its endpoint',
    );
    assert.equal(
      count(`SELECT COUNT(*) AS n FROM targets t WHERE t.scan_id = ? AND t.state = 'done' AND
        (SELECT COUNT(*) FROM observations o WHERE o.scan_id = t.scan_id AND o.host = t.host AND o.port = t.port) <> 2`),
      0,
      'every done target has exactly its two observations',
    );
    for (const table of ['endpoints', 'observations', 'findings']) {
      const key =
        table === 'observations' ? 'host, port, probe' : table === 'findings' ? 'host, port, finding_id' : 'host, port';
      assert.equal(
        count(
          `SELECT COUNT(*) AS n FROM (SELECT ${key} FROM ${table} WHERE scan_id = ? GROUP BY ${key} HAVING COUNT(*) > 1) d`,
        ),
        0,
        `no duplicates in ${table}`,
      );
    }
    return { done, pending };
  } finally {
    db.close();
  }
}

test('kill -9 mid-scan twice, then resume: intact, nothing lost, nothing doubled', async (t) => {
  const dbPath = path.join(tempDir(t), 'crash.db');
  const scanId = 'crash-scan';
  {
    const store = await openStore(dbPath);
    await store.createScan({ id: scanId, scope: `${TOTAL} loopback targets`, settings: {} });
    // Randomised order, as the scheduler adds them.
    const order = Array.from({ length: TOTAL }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    await store.addTargets(
      scanId,
      order.map((i) => ({ host: hostOf(i), port: 104 })),
    );
    await store.close();
  }

  let doneBefore = 0;
  for (const [maxRows, killAfter] of [
    [37, 1500],
    [101, 2000],
  ] as const) {
    const run = await runAndKill(dbPath, scanId, maxRows, killAfter);
    assert.equal(run.signal, 'SIGKILL', `the child was killed mid-way (exit code ${run.code}, stderr ${run.stderr})`);
    assert.equal(run.stderr, '', 'the child printed nothing on stderr (no warnings)');
    const { done, pending } = checkAfterCrash(dbPath, scanId);
    assert.ok(
      done >= doneBefore + run.committed,
      `everything reported committed survived: ${done} >= ${doneBefore} + ${run.committed}`,
    );
    assert.ok(pending > 0, 'killed before the end');
    t.diagnostic(
      `killed (batch ${maxRows} rows): reported committed ${run.committed}, done ${done}, pending ${pending}, pending with results already written ${pendingWithResults(dbPath, scanId)}`,
    );
    doneBefore = done;
  }

  // Resume in this process and finish.
  const store = await openStore(dbPath);
  const writer = new BatchWriter(store, { maxRows: 2000 });
  let resumed = 0;
  for await (const tg of store.pendingTargets(scanId, { pageSize: 1000 })) {
    resumed++;
    writer.endpoint(endpointRecord(scanId, tg.host, tg.port));
    writer.observation(observationRecord(scanId, tg.host, tg.port, 'dicom.associate'));
    writer.observation(observationRecord(scanId, tg.host, tg.port, 'dicom.echo'));
    writer.targetDone({ scanId, host: tg.host, port: tg.port });
  }
  await writer.close();
  await store.updateScan(scanId, { status: 'finished', finishedAt: new Date().toISOString() });
  const scan = await store.getScan(scanId);
  await store.close();

  assert.equal(resumed, TOTAL - doneBefore, 'resume visits exactly the pending targets');
  assert.deepEqual(checkAfterCrash(dbPath, scanId), { done: TOTAL, pending: 0 });
  assert.equal(scan?.counts.endpoints, TOTAL, 'no endpoint lost or doubled');
  assert.equal(scan?.counts.targetsDone, TOTAL);
});

/** Pending targets whose results were already committed (a batch boundary fell before their done mark). */
function pendingWithResults(dbPath: string, scanId: string): number {
  const db = new DatabaseSync(dbPath);
  try {
    return Number(
      db
        .prepare(
          `SELECT COUNT(*) AS n FROM targets t JOIN endpoints e ON e.scan_id = t.scan_id AND e.host = t.host AND e.port = t.port
          WHERE t.scan_id = ? AND t.state = 'pending'`,
        )
        .get(scanId)?.['n'],
    );
  } finally {
    db.close();
  }
}
