/**
 * Shards of a distributed scan: the scan's work positions [0, total) cut into ranges, one pg-boss
 * job each. A shard is worth a queue round trip (fetch, complete, finish check: a few ms) only if
 * it holds enough work, and there must be enough shards to keep every worker busy and to even out
 * the tail (a worker finishing last holds one small shard, not a twelfth of the scan). So:
 *
 *   size = max(MIN_SHARD_SIZE, ceil(total / (workersHint × SHARDS_PER_WORKER)))
 *
 * With the defaults (256, 16 workers × 16) a scan has at most 256 shards unless it is small, and a
 * /8 over 5 ports (84 M positions) becomes 256 shards of 328 k positions.
 *
 * Job ids are derived from (scan, shard index): submitting the same scan twice (a retried submit
 * after a crash) inserts no duplicate job (pg-boss inserts with ON CONFLICT DO NOTHING).
 */
import { createHash } from 'node:crypto';

export const MIN_SHARD_SIZE = 256n;
export const SHARDS_PER_WORKER = 16n;
export const DEFAULT_WORKERS_HINT = 16;

/** Job data, as strings (positions may exceed 2^53). */
export interface ShardData {
  readonly scanId: string;
  readonly start: string;
  readonly end: string;
}

export interface Shard {
  readonly index: number;
  readonly start: bigint;
  readonly end: bigint;
}

export function shardSize(total: bigint, options: { workersHint?: number; size?: bigint } = {}): bigint {
  if (options.size !== undefined) {
    if (options.size < 1n) throw new RangeError(`shard size must be >= 1, not ${options.size}`);
    return options.size;
  }
  const workers = BigInt(options.workersHint ?? DEFAULT_WORKERS_HINT);
  if (workers < 1n) throw new RangeError('workers hint must be >= 1');
  const parts = workers * SHARDS_PER_WORKER;
  const even = (total + parts - 1n) / parts;
  return even > MIN_SHARD_SIZE ? even : MIN_SHARD_SIZE;
}

export function shardCount(total: bigint, size: bigint): number {
  return Number((total + size - 1n) / size);
}

/** The shards covering [0, total), in order, lazily. */
export function* shards(total: bigint, size: bigint): Generator<Shard> {
  if (size < 1n) throw new RangeError('shard size must be >= 1');
  let index = 0;
  for (let start = 0n; start < total; start += size) {
    const end = start + size < total ? start + size : total;
    yield { index, start, end };
    index += 1;
  }
}

/** A stable UUID (version 8, RFC 9562 "custom") for shard `index` of `scanId`. */
export function shardJobId(scanId: string, index: number): string {
  const h = createHash('sha256').update(`pacsmap-shard\0${scanId}\0${index}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const POSITION = /^(0|[1-9]\d{0,30})$/;

/** Validates job data (it comes from the database: checked, not trusted). */
export function parseShardData(data: unknown): { scanId: string; start: bigint; end: bigint } {
  const d = data as Partial<Record<keyof ShardData, unknown>> | null;
  if (!d || typeof d.scanId !== 'string' || d.scanId === '' || d.scanId.length > 200)
    throw new Error('shard job without a scan id');
  if (typeof d.start !== 'string' || !POSITION.test(d.start) || typeof d.end !== 'string' || !POSITION.test(d.end))
    throw new Error('shard job with invalid positions');
  const start = BigInt(d.start);
  const end = BigInt(d.end);
  if (end <= start) throw new Error('shard job with an empty range');
  return { scanId: d.scanId, start, end };
}
