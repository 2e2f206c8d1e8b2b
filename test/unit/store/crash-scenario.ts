/**
 * kill -9 while a child process writes results, on any backend: what was committed stays, a
 * target is never done without its results, and resuming finishes with nothing lost or doubled.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { BatchWriter } from '../../../src/store/batch-writer.ts';
import { openStore } from '../../../src/store/open.ts';
import type { SqlRow } from './contract.ts';
import { endpointRecord, hostOf, observationRecord } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const SCAN = 'crash-scan';

interface ChildRun {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly committed: number;
  readonly stderr: string;
}

/** Runs the child until it reports `killAfter` committed targets, then SIGKILLs it. */
function runAndKill(location: string, maxRows: number, killAfter: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, location, SCAN, String(maxRows)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let committed = 0;
    let stderr = '';
    let pending = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
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

export interface CrashBackend {
  /** Runs one SQL statement on the location, outside the store. */
  sql(text: string): Promise<SqlRow[]>;
  /** Backend-specific soundness check after a kill (e.g. SQLite's integrity_check). */
  sound?(): Promise<void>;
}

async function count(db: CrashBackend, sql: string): Promise<number> {
  const rows = await db.sql(sql);
  return Number(rows[0]?.['n']);
}

async function checkAfterCrash(db: CrashBackend, total: number): Promise<{ done: number; pending: number }> {
  await db.sound?.();
  const done = await count(db, `SELECT COUNT(*) AS n FROM targets WHERE scan_id = '${SCAN}' AND state = 'done'`);
  const pending = await count(db, `SELECT COUNT(*) AS n FROM targets WHERE scan_id = '${SCAN}' AND state = 'pending'`);
  assert.equal(done + pending, total, 'pending + done = all targets');
  assert.equal(
    await count(
      db,
      `SELECT COUNT(*) AS n FROM targets t WHERE t.scan_id = '${SCAN}' AND t.state = 'done' AND NOT EXISTS
        (SELECT 1 FROM endpoints e WHERE e.scan_id = t.scan_id AND e.host = t.host AND e.port = t.port)`,
    ),
    0,
    'no target is done without its endpoint',
  );
  assert.equal(
    await count(
      db,
      `SELECT COUNT(*) AS n FROM targets t WHERE t.scan_id = '${SCAN}' AND t.state = 'done' AND
        (SELECT COUNT(*) FROM observations o WHERE o.scan_id = t.scan_id AND o.host = t.host AND o.port = t.port) <> 2`,
    ),
    0,
    'every done target has exactly its two observations',
  );
  for (const [table, key] of [
    ['endpoints', 'host, port'],
    ['observations', 'host, port, probe'],
    ['findings', 'host, port, finding_id'],
  ] as const) {
    assert.equal(
      await count(
        db,
        `SELECT COUNT(*) AS n FROM (SELECT ${key} FROM ${table} WHERE scan_id = '${SCAN}' GROUP BY ${key} HAVING COUNT(*) > 1) d`,
      ),
      0,
      `no duplicates in ${table}`,
    );
  }
  return { done, pending };
}

/** Pending targets whose results were already committed (a batch boundary fell before their done mark). */
function pendingWithResults(db: CrashBackend): Promise<number> {
  return count(
    db,
    `SELECT COUNT(*) AS n FROM targets t JOIN endpoints e ON e.scan_id = t.scan_id AND e.host = t.host AND e.port = t.port
     WHERE t.scan_id = '${SCAN}' AND t.state = 'pending'`,
  );
}

/** Two kill -9 runs of a writing child, then a resume in this process. */
export async function crashAndResume(t: TestContext, location: string, db: CrashBackend, total: number): Promise<void> {
  {
    const store = await openStore(location);
    await store.createScan({ id: SCAN, scope: `${total} loopback targets`, settings: {} });
    // Randomised order, as the scheduler adds them.
    const order = Array.from({ length: total }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    await store.addTargets(
      SCAN,
      order.map((i) => ({ host: hostOf(i), port: 104 })),
    );
    await store.close();
  }

  let doneBefore = 0;
  for (const [maxRows, killAfter] of [
    [37, 1500],
    [101, 2000],
  ] as const) {
    const run = await runAndKill(location, maxRows, killAfter);
    assert.equal(run.signal, 'SIGKILL', `the child was killed mid-way (exit code ${run.code}, stderr ${run.stderr})`);
    assert.equal(run.stderr, '', 'the child printed nothing on stderr (no warnings)');
    const { done, pending } = await checkAfterCrash(db, total);
    assert.ok(
      done >= doneBefore + run.committed,
      `everything reported committed survived: ${done} >= ${doneBefore} + ${run.committed}`,
    );
    assert.ok(pending > 0, 'killed before the end');
    t.diagnostic(
      `killed (batch ${maxRows} rows): reported committed ${run.committed}, done ${done}, pending ${pending}, pending with results already written ${await pendingWithResults(db)}`,
    );
    doneBefore = done;
  }

  // Resume in this process and finish.
  const store = await openStore(location);
  const writer = new BatchWriter(store, { maxRows: 2000 });
  let resumed = 0;
  for await (const tg of store.pendingTargets(SCAN, { pageSize: 1000 })) {
    resumed++;
    writer.endpoint(endpointRecord(SCAN, tg.host, tg.port));
    writer.observation(observationRecord(SCAN, tg.host, tg.port, 'dicom.associate'));
    writer.observation(observationRecord(SCAN, tg.host, tg.port, 'dicom.echo'));
    writer.targetDone({ scanId: SCAN, host: tg.host, port: tg.port });
    await writer.ready();
  }
  await writer.close();
  await store.updateScan(SCAN, { status: 'finished', finishedAt: new Date().toISOString() });
  const scan = await store.getScan(SCAN);
  await store.close();

  assert.equal(resumed, total - doneBefore, 'resume visits exactly the pending targets');
  assert.deepEqual(await checkAfterCrash(db, total), { done: total, pending: 0 });
  assert.equal(scan?.counts.endpoints, total, 'no endpoint lost or doubled');
  assert.equal(scan?.counts.targetsDone, total);
}
