/**
 * A worker of distributed scans: takes shards from the queue, works each with the same engine as a
 * one-process scan (`runFleetScan` with `shard: {end}`), completes the job, and the one completing
 * a scan's last shard marks the scan finished.
 *
 * - Scope travels with the scan: the plan in the store's settings is prepared here, so the worker's
 *   engine refuses whatever the plan's scope refuses. Files the plan names (registry, import) must
 *   be present at the same path on the worker and unchanged (checked by fingerprint).
 * - A vanished worker's shard comes back: each job has a heartbeat, touched while the shard is
 *   worked; pg-boss's supervision re-queues a job whose heartbeat stopped. A retried shard rewrites
 *   the same rows (upserts keyed by scan, host, port, probe): nothing counts twice.
 * - The rate is the scan's, shared with every other worker through PostgreSQL.
 * - Stopping (`stop()`, SIGTERM): fetch nothing more, finish the shards in hand. Aborting (a second
 *   signal): stop the shards in hand after their in-flight units and fail them back to the queue.
 */
import { correlateScan } from '../scan/correlate.ts';
import { safe } from '../log/safe-text.ts';
import type { AuditLog, Logger } from '../log/logger.ts';
import { runFleetScan } from '../scan/fleet-scan.ts';
import { prepareScan, type PreparedScan, type ScanPlan } from '../scan/scan-plan.ts';
import type { Repository } from '../store/repository.ts';
import type { PgBoss, Job } from 'pg-boss';
import { BOSS_SCHEMA, SHARD_QUEUE } from './queue.ts';
import { SharedRateLimiter, dropBucket } from './shared-rate-limit.ts';
import { parseShardData, type ShardData } from './shards.ts';
import type { Sql } from './sql.ts';
import { distributedSettings } from './progress.ts';

export interface ShardWorkerOptions {
  readonly boss: PgBoss;
  readonly store: Repository;
  readonly log: Logger;
  readonly audit: AuditLog;
  /** Shards worked at once (each runs with its plan's concurrency). Default 2. */
  readonly concurrency?: number;
  /** Idle poll interval (default 500 ms). */
  readonly pollMs?: number;
  /** Return once no shard is queued or active (instead of waiting for new scans). */
  readonly once?: boolean;
}

export interface WorkerStats {
  shards: number;
  shardsFailed: number;
  units: number;
  /** Time spent in queue calls for shards worked (fetch, complete, finish check), in ms. */
  queueMs: number;
  /** Time spent working shards, in ms. */
  workMs: number;
  scansFinished: number;
}

const PLAN_CACHE = 8;

export class ShardWorker {
  readonly #o: ShardWorkerOptions;
  readonly #db: Sql;
  readonly #stopping = new AbortController();
  readonly #aborting = new AbortController();
  readonly #plans = new Map<string, Promise<{ plan: ScanPlan; prepared: PreparedScan }>>();
  readonly #rates = new Map<string, SharedRateLimiter>();
  #lastSweep = -Infinity;
  readonly stats: WorkerStats = { shards: 0, shardsFailed: 0, units: 0, queueMs: 0, workMs: 0, scansFinished: 0 };

  constructor(options: ShardWorkerOptions) {
    this.#o = options;
    this.#db = options.boss.getDb();
  }

  /** Fetch nothing more; shards in hand are finished. */
  stop(): void {
    this.#stopping.abort();
  }

  /** Also stop the shards in hand (after their in-flight units) and give them back to the queue. */
  abort(): void {
    this.#stopping.abort();
    this.#aborting.abort();
  }

  async run(): Promise<WorkerStats> {
    const slots = Array.from({ length: this.#o.concurrency ?? 2 }, () => this.#slot());
    await Promise.all(slots);
    return this.stats;
  }

  async #slot(): Promise<void> {
    const pollMs = this.#o.pollMs ?? 500;
    while (!this.#stopping.signal.aborted) {
      try {
        const t0 = performance.now();
        const [job] = await this.#o.boss.fetch<ShardData>(SHARD_QUEUE, { batchSize: 1 });
        if (!job) {
          await this.#sweep();
          if (this.#o.once && (await this.#queueIdle())) return;
          await sleep(pollMs, this.#stopping.signal);
          continue;
        }
        this.stats.queueMs += performance.now() - t0;
        await this.#work(job);
      } catch (err) {
        // The database went away a moment: a shard in hand comes back by its heartbeat; try again.
        this.#o.log.log('warn', safe('queue-error'), { reason: safe((err as Error).message.slice(0, 200)) });
        await sleep(Math.max(pollMs, 2000), this.#stopping.signal);
      }
    }
  }

  /**
   * Ends scans whose last shard completed but whose finish check was lost (the database failed
   * between the two): at most every 30 s, when idle.
   */
  async #sweep(): Promise<void> {
    const now = performance.now();
    if (now - this.#lastSweep < 30_000) return;
    this.#lastSweep = now;
    const { rows } = await this.#db.executeSql(
      `SELECT id FROM scans WHERE status = 'running' AND settings LIKE '%"distributed":{"version":1,%'`,
    );
    for (const r of rows as Array<{ id: string }>) {
      const ended = await finishIfDone(this.#db, r.id);
      if (ended === 'finished') await this.#finished(r.id);
    }
  }

  /** No shard queued, retrying or active: nothing more will come without a new submit. */
  async #queueIdle(): Promise<boolean> {
    const { rows } = await this.#db.executeSql(
      `SELECT EXISTS (SELECT 1 FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND state < 'completed') AS busy`,
      [SHARD_QUEUE],
    );
    return !(rows[0] as { busy: boolean }).busy;
  }

  async #work(job: Job<ShardData>): Promise<void> {
    const { boss, log } = this.#o;
    const attempt = { id: job.id, retryCount: job.retryCount };
    let heartbeat: NodeJS.Timeout | null = null;
    if (job.heartbeatSeconds)
      heartbeat = setInterval(
        () => void boss.touch(SHARD_QUEUE, attempt).catch(() => undefined),
        (job.heartbeatSeconds * 1000) / 2,
      );
    const t0 = performance.now();
    let failure: string | null = null;
    let scanId: string | null = null;
    try {
      const shard = parseShardData(job.data);
      scanId = shard.scanId;
      const { plan, prepared } = await this.#plan(shard.scanId);
      if (shard.end > prepared.total) throw new Error('shard beyond the end of its scan');
      const outcome = await runFleetScan(shard.scanId, plan, prepared, shard.start, {
        store: this.#o.store,
        log,
        audit: this.#o.audit,
        shard: { end: shard.end },
        rate: this.#rate(shard.scanId, plan),
        signal: this.#aborting.signal,
      });
      this.stats.units += outcome.counters.done;
      if (outcome.interrupted) failure = 'worker stopped before the end of the shard';
    } catch (err) {
      // Our own errors (store, plan, queue); a probe never throws.
      failure = (err as Error).message;
    } finally {
      if (heartbeat) clearInterval(heartbeat);
    }
    this.stats.workMs += performance.now() - t0;
    const t1 = performance.now();
    if (failure === null) {
      await boss.complete(SHARD_QUEUE, attempt);
      this.stats.shards += 1;
      const ended = scanId ? await finishIfDone(this.#db, scanId) : null;
      if (ended !== null) {
        this.stats.scansFinished += 1;
        this.#forget(scanId!);
        if (ended === 'finished') await this.#finished(scanId!);
      }
    } else {
      this.stats.shardsFailed += 1;
      log.log('warn', safe('shard-failed'), { job: safe(job.id), reason: safe(failure.slice(0, 200)) });
      await boss.fail(SHARD_QUEUE, attempt, { message: failure.slice(0, 500) });
      // A shard out of retries may have been the last one standing.
      if (scanId) await finishIfDone(this.#db, scanId);
    }
    this.stats.queueMs += performance.now() - t1;
  }

  /** The worker that finished a scan applies what its endpoints say about each other, once. */
  async #finished(scanId: string): Promise<void> {
    await dropBucket(this.#db, scanId);
    await correlateScan(this.#o.store, scanId, this.#o.log);
  }

  #plan(scanId: string): Promise<{ plan: ScanPlan; prepared: PreparedScan }> {
    let p = this.#plans.get(scanId);
    if (!p) {
      p = (async () => {
        const scan = await this.#o.store.getScan(scanId);
        if (!scan) throw new Error(`no scan ${scanId} in the store`);
        const plan = scan.settings as ScanPlan | null;
        if (!plan || plan.planVersion !== 1 || !distributedSettings(scan.settings))
          throw new Error(`scan ${scanId} is not a distributed scan of this version`);
        // resuming: files the plan names must be the very ones the scan was planned with.
        const prepared = await prepareScan(plan, { resuming: true });
        if (String(prepared.total) !== String((scan.settings as { workTotal?: string }).workTotal))
          throw new Error(`scan ${scanId}: the work here differs from the work submitted`);
        return { plan, prepared };
      })();
      // A failure (e.g. the store unreachable a moment) is not cached.
      p.catch(() => this.#plans.delete(scanId));
      this.#plans.set(scanId, p);
      if (this.#plans.size > PLAN_CACHE) this.#forget(this.#plans.keys().next().value!);
    }
    return p;
  }

  #rate(scanId: string, plan: ScanPlan): { take(): Promise<void> } {
    if (!(plan.rate > 0)) return { take: () => Promise.resolve() };
    let r = this.#rates.get(scanId);
    if (!r) {
      r = new SharedRateLimiter(this.#db, scanId);
      this.#rates.set(scanId, r);
    }
    return r;
  }

  #forget(scanId: string): void {
    this.#plans.delete(scanId);
    this.#rates.delete(scanId);
  }
}

/**
 * Marks the scan finished once all its shards are completed (or interrupted once every shard has
 * ended and some failed for good). Exactly once: the UPDATE only matches a running scan, and
 * PostgreSQL re-checks that on the locked row, so of two workers completing the last two shards at
 * the same moment, the later check sees both completed and only one UPDATE matches.
 * Returns the new status, or null if the scan goes on (or was already ended).
 */
export async function finishIfDone(db: Sql, scanId: string): Promise<'finished' | 'interrupted' | null> {
  const { rows } = await db.executeSql(
    `WITH jobs AS (
       SELECT COUNT(*) FILTER (WHERE state = 'completed') AS done,
              COUNT(*) FILTER (WHERE state < 'completed') AS open,
              COUNT(*) FILTER (WHERE state > 'completed') AS failed
       FROM ${BOSS_SCHEMA}.job WHERE name = $2 AND data->>'scanId' = $1
     )
     UPDATE scans s SET
       status = CASE WHEN jobs.failed = 0 THEN 'finished' ELSE 'interrupted' END,
       finished_at = CASE WHEN jobs.failed = 0 THEN $3 ELSE NULL END
     FROM jobs
     WHERE s.id = $1 AND s.status = 'running' AND jobs.open = 0
       AND jobs.done + jobs.failed >= ((s.settings::json)->'distributed'->>'shards')::bigint
     RETURNING s.status`,
    [scanId, SHARD_QUEUE, new Date().toISOString()],
  );
  const row = rows[0] as { status: 'finished' | 'interrupted' } | undefined;
  return row?.status ?? null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
