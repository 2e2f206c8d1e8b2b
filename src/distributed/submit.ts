/**
 * `pacsmap scan … --distributed`: creates the scan in the PostgreSQL store (status running, the
 * plan as its settings, plus the shard count) and puts one pg-boss job per shard on the shard
 * queue. Workers (`pacsmap worker`) do the scanning; the last one to complete a shard marks the
 * scan finished.
 */
import { randomUUID } from 'node:crypto';
import type { JobInsert } from 'pg-boss';
import { facilityRecord } from '../scan/records.ts';
import type { PreparedScan, ScanPlan } from '../scan/scan-plan.ts';
import { parseStoreUrl } from '../store/open.ts';
import { StoreError, type Repository } from '../store/repository.ts';
import type { DistributedSettings } from './progress.ts';
import { DEFAULT_QUEUE, SHARD_QUEUE, ensureShardQueue, newBoss, type ShardQueueOptions } from './queue.ts';
import { defineBucket } from './shared-rate-limit.ts';
import { shardCount, shardJobId, shardSize, shards, type ShardData } from './shards.ts';
import { finishIfDone } from './worker.ts';

/** Jobs per INSERT round trip. */
const INSERT_BATCH = 1000;

export interface SubmitOptions extends ShardQueueOptions {
  /** The PostgreSQL URL the store was opened with (pg-boss connects to the same database). */
  readonly url: string;
  /** The store, opened on `url`. */
  readonly store: Repository;
  readonly plan: ScanPlan;
  readonly prepared: PreparedScan;
  /** pacsmap's version, recorded with the scan. */
  readonly version: string;
  /** Positions per shard (default: see shards.ts). */
  readonly shardSize?: bigint;
  /** Workers expected, for the default shard size (default 16). */
  readonly workersHint?: number;
  /** Scan id (default: a random UUID). */
  readonly scanId?: string;
}

export interface SubmittedScan {
  readonly scanId: string;
  readonly shards: number;
  readonly shardSize: bigint;
  readonly total: bigint;
}

export async function submitDistributedScan(options: SubmitOptions): Promise<SubmittedScan> {
  if (parseStoreUrl(options.url).kind !== 'postgres')
    throw new StoreError('a distributed scan needs a PostgreSQL store: --db postgres://…');
  const { store, plan, prepared } = options;
  const total = prepared.total;
  const size = shardSize(total, {
    ...(options.workersHint === undefined ? {} : { workersHint: options.workersHint }),
    ...(options.shardSize === undefined ? {} : { size: options.shardSize }),
  });
  const count = shardCount(total, size);
  const q = { ...DEFAULT_QUEUE, ...pick(options) };

  const boss = newBoss(options.url, { supervise: false, max: 2 });
  boss.on('error', () => undefined); // surfaced by the awaited calls below
  await boss.start();
  try {
    await ensureShardQueue(boss);
    if (prepared.registry) await store.upsertFacilities(prepared.registry.facilities.map(facilityRecord));
    const distributed: DistributedSettings = {
      version: 1,
      queue: SHARD_QUEUE,
      shards: count,
      shardSize: size.toString(),
    };
    const scan = await store.createScan({
      id: options.scanId ?? randomUUID(),
      startedAt: new Date().toISOString(),
      status: 'running',
      scope: prepared.describe,
      settings: {
        ...plan,
        workTotal: total.toString(),
        tool: { name: 'pacsmap', version: options.version },
        distributed,
      },
    });
    const db = boss.getDb();
    await defineBucket(db, scan.id, plan.rate);
    let batch: JobInsert<ShardData>[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length > 0) await boss.insert(SHARD_QUEUE, batch);
      batch = [];
    };
    for (const s of shards(total, size)) {
      batch.push({
        id: shardJobId(scan.id, s.index),
        data: { scanId: scan.id, start: s.start.toString(), end: s.end.toString() },
        retryLimit: q.retryLimit,
        retryDelay: 1,
        expireInSeconds: q.expireInSeconds,
        heartbeatSeconds: q.heartbeatSeconds,
      });
      if (batch.length >= INSERT_BATCH) await flush();
    }
    await flush();
    // An empty scope has no shard to complete: finished now.
    if (count === 0) await finishIfDone(db, scan.id);
    return { scanId: scan.id, shards: count, shardSize: size, total };
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}

function pick(o: ShardQueueOptions): ShardQueueOptions {
  return {
    ...(o.retryLimit === undefined ? {} : { retryLimit: o.retryLimit }),
    ...(o.expireInSeconds === undefined ? {} : { expireInSeconds: o.expireInSeconds }),
    ...(o.heartbeatSeconds === undefined ? {} : { heartbeatSeconds: o.heartbeatSeconds }),
  };
}
