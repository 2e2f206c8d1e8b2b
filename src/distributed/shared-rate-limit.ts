/**
 * The scan's connection rate, shared by every worker: a token bucket in PostgreSQL, one row per
 * scan. A taker asks for a small batch (a tenth of a second's worth) in one `UPDATE … RETURNING`
 * round trip and hands the tokens out locally, so the database sees ~10 requests per second per
 * busy worker whatever the rate. The row is locked for the statement only.
 *
 * Bound: tokens granted by the database over any interval T never exceed burst + rate × T (the
 * bucket refills at `rate` up to `burst`); a token granted and not yet used is still counted, so
 * connections started across all workers obey the same bound.
 *
 * The table is pacsmap's own (not in the store's migrations: SQLite never needs it), created on
 * first use; it holds a scan id and numbers, nothing from a peer.
 */
import type { Sql } from './sql.ts';

export const RATE_TABLE = 'pacsmap_rate_buckets';

const CREATE = `CREATE TABLE IF NOT EXISTS ${RATE_TABLE} (
  scan_id TEXT NOT NULL PRIMARY KEY,
  rate DOUBLE PRECISION NOT NULL CHECK (rate > 0),
  burst DOUBLE PRECISION NOT NULL CHECK (burst >= 1),
  tokens DOUBLE PRECISION NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
)`;
/** Serialises concurrent CREATE TABLE IF NOT EXISTS (which can otherwise fail on pg_type). */
const CREATE_LOCK = 0x7061_6372_6174;

export async function ensureRateTable(db: Sql): Promise<void> {
  await db.executeSql(`DO $$ BEGIN PERFORM pg_advisory_xact_lock(${CREATE_LOCK}); EXECUTE ${quote(CREATE)}; END $$`);
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The default burst of a rate: a tenth of a second's worth, at least 1 (as the local limiter). */
export function defaultBurst(perSecond: number): number {
  return Math.max(1, Math.floor(perSecond / 10));
}

/** Creates (or resets the rate of) a scan's bucket, starting full. Rate 0 (unlimited) needs none. */
export async function defineBucket(
  db: Sql,
  scanId: string,
  perSecond: number,
  burst = defaultBurst(perSecond),
): Promise<void> {
  if (perSecond <= 0) return;
  await ensureRateTable(db);
  await db.executeSql(
    `INSERT INTO ${RATE_TABLE} (scan_id, rate, burst, tokens, updated_at) VALUES ($1, $2, $3, $3, clock_timestamp())
     ON CONFLICT (scan_id) DO UPDATE SET rate = EXCLUDED.rate, burst = EXCLUDED.burst`,
    [scanId, perSecond, burst],
  );
}

export async function dropBucket(db: Sql, scanId: string): Promise<void> {
  await db.executeSql(`DELETE FROM ${RATE_TABLE} WHERE scan_id = $1`, [scanId]).catch(() => undefined);
}

// Refill; grant a whole batch of $2 tokens (or the whole bucket if smaller) or nothing, so that
// competing workers take turns in batches rather than each round trip winning a token or two.
// GREATEST guards a clock read made before a wait for the row lock.
const TAKE = `WITH b AS (
  SELECT scan_id, rate, burst, clock_timestamp() AS now,
    LEAST(burst, tokens + GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - updated_at)) * rate) AS avail
  FROM ${RATE_TABLE} WHERE scan_id = $1 FOR UPDATE
), g AS (
  SELECT b.*, CASE WHEN FLOOR(avail) >= LEAST($2::float8, burst) THEN LEAST(FLOOR(avail), $2::float8) ELSE 0 END AS granted
  FROM b
)
UPDATE ${RATE_TABLE} r SET tokens = g.avail - g.granted, updated_at = GREATEST(r.updated_at, g.now)
FROM g WHERE r.scan_id = g.scan_id
RETURNING g.granted::int AS granted, g.avail AS avail, g.rate AS rate, g.burst AS burst`;

export interface SharedRateLimiterOptions {
  /** Tokens asked per round trip (default: 100 ms worth of the bucket's rate, at least 1). */
  readonly batch?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class SharedRateLimiter {
  readonly #db: Sql;
  readonly #scanId: string;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Tokens asked per round trip; learnt from the bucket's rate on the first one unless given. */
  #batch: number | null;
  #local = 0;
  #queue: Promise<void> = Promise.resolve();
  /** Round trips made (for the benchmark and tests). */
  requests = 0;

  constructor(db: Sql, scanId: string, options: SharedRateLimiterOptions = {}) {
    this.#db = db;
    this.#scanId = scanId;
    this.#batch = options.batch ?? null;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /** Resolves when one connection may start. Takers are served in arrival order. */
  take(): Promise<void> {
    const turn = this.#queue.then(() => this.#acquire());
    // A failed take must not poison the queue for the next taker.
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #acquire(): Promise<void> {
    for (;;) {
      if (this.#local >= 1) {
        this.#local -= 1;
        return;
      }
      this.requests += 1;
      const { rows } = await this.#db.executeSql(TAKE, [this.#scanId, this.#batch ?? 1]);
      const row = rows[0] as { granted: number; avail: number; rate: number; burst: number } | undefined;
      // No bucket: the scan is unlimited (rate 0), or finished and its bucket dropped.
      if (!row) return;
      const rate = Number(row.rate);
      this.#batch ??= Math.max(1, Math.floor(rate / 10));
      const granted = Number(row.granted);
      if (granted >= 1) {
        this.#local += granted;
        continue;
      }
      // Sleep until a batch (at most a full bucket) has refilled.
      const missing = Math.min(this.#batch, Number(row.burst)) - Number(row.avail);
      await this.#sleep(Math.max(2, Math.ceil((missing * 1000) / rate)));
    }
  }
}
