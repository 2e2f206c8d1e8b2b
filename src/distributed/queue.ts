/**
 * The job queue of distributed scans: one pg-boss queue, `pacsmap.shards`, in the pg-boss schema of
 * the scan database; every job is one shard ({scanId, start, end}). One queue for all scans keeps a
 * worker's loop simple (it needs no list of scans) and lets several scans share a pool of workers.
 */
import { PgBoss, type ConstructorOptions, type Queue } from 'pg-boss';

export const SHARD_QUEUE = 'pacsmap.shards';
export const BOSS_SCHEMA = 'pgboss';
/** Name under which workers register in pg-boss's instance table (counted as workers active). */
export const WORKER_INSTANCE_NAME = 'pacsmap-worker';

export interface ShardQueueOptions {
  /** Attempts after the first, for a shard whose worker failed or vanished (default 5). */
  readonly retryLimit?: number;
  /** A shard held longer than this is taken back even if touched (default 24 h, pg-boss maximum: a stuck worker, not a slow one). */
  readonly expireInSeconds?: number;
  /**
   * A worker touches its shards this often over 2; a shard not touched for this long (a killed
   * worker) goes back to the queue at the next supervision (default 30, pg-boss minimum 10).
   */
  readonly heartbeatSeconds?: number;
}

export const DEFAULT_QUEUE: Required<ShardQueueOptions> = {
  retryLimit: 5,
  expireInSeconds: 24 * 3600,
  heartbeatSeconds: 30,
};

/** Completed shards are kept 30 days: progress of a finished scan reads them. */
const KEEP_COMPLETED_SECONDS = 30 * 86_400;

export function queueSettings(options: ShardQueueOptions = {}): Omit<Queue, 'name'> {
  const o = { ...DEFAULT_QUEUE, ...options };
  return {
    retryLimit: o.retryLimit,
    retryDelay: 1,
    expireInSeconds: o.expireInSeconds,
    heartbeatSeconds: o.heartbeatSeconds,
    deleteAfterSeconds: KEEP_COMPLETED_SECONDS,
  };
}

/** A pg-boss instance on the scan database (not started). */
export function newBoss(url: string, extra: Partial<ConstructorOptions> = {}): PgBoss {
  return new PgBoss({
    connectionString: url,
    schema: BOSS_SCHEMA,
    application_name: 'pacsmap',
    schedule: false,
    ...extra,
  });
}

/** Creates the queue if absent (jobs carry their own retry, expiry and heartbeat settings). */
export async function ensureShardQueue(boss: PgBoss): Promise<void> {
  if (await boss.getQueue(SHARD_QUEUE)) return;
  try {
    await boss.createQueue(SHARD_QUEUE, queueSettings());
  } catch (err) {
    // Another process created it first.
    if (!(await boss.getQueue(SHARD_QUEUE))) throw err;
  }
}
