/**
 * Progress of a distributed scan, read from pg-boss's job table (no counter of our own that a
 * retry could inflate): shards by state, and the workers alive now.
 */
import pg from 'pg';
import { BOSS_SCHEMA, WORKER_INSTANCE_NAME } from './queue.ts';
import { sqlOf, type Sql } from './sql.ts';

export interface DistributedSettings {
  readonly version: 1;
  readonly queue: string;
  readonly shards: number;
  /** Positions per shard (decimal text). */
  readonly shardSize: string;
}

export interface DistributedProgress {
  readonly shardsTotal: number;
  readonly shardsDone: number;
  readonly shardsActive: number;
  /** Waiting for a worker (new, or back from a failed attempt). */
  readonly shardsQueued: number;
  /** Out of retries (or cancelled): the scan cannot finish without them. */
  readonly shardsFailed: number;
  /** Workers alive (all scans): registered, not stopped, heard from within three heartbeats. Null if unknown. */
  readonly workersActive: number | null;
}

/** The distributed part of a scan's settings, or null for a scan run in one process. */
export function distributedSettings(settings: unknown): DistributedSettings | null {
  const d = (settings as { distributed?: Partial<DistributedSettings> } | null)?.distributed;
  if (!d || d.version !== 1 || typeof d.shards !== 'number' || typeof d.queue !== 'string') return null;
  return d as DistributedSettings;
}

/**
 * Progress of `scanId`, or null if it is not a distributed scan (or unknown). `db`: a pg.Pool, a
 * pg.Client, or pg-boss's `getDb()`.
 */
export async function distributedProgress(
  db: Sql | Pick<pg.Pool, 'query'>,
  scanId: string,
): Promise<DistributedProgress | null> {
  const sql: Sql = 'executeSql' in db ? db : sqlOf(db);
  const scan = (await sql.executeSql('SELECT status, settings FROM scans WHERE id = $1', [scanId])).rows[0] as
    { status: string; settings: string } | undefined;
  if (!scan) return null;
  const d = distributedSettings(JSON.parse(scan.settings));
  if (!d) return null;
  const states = new Map<string, number>();
  for (const r of (
    await sql.executeSql(
      `SELECT state::text AS state, COUNT(*)::int AS n FROM ${BOSS_SCHEMA}.job
       WHERE name = $1 AND data->>'scanId' = $2 GROUP BY state`,
      [d.queue, scanId],
    )
  ).rows as Array<{ state: string; n: number }>)
    states.set(r.state, r.n);
  const n = (s: string): number => states.get(s) ?? 0;
  // Completed jobs are deleted after their retention: a finished scan is done, whatever is left.
  const shardsDone = scan.status === 'finished' ? d.shards : Math.min(d.shards, n('completed'));
  return {
    shardsTotal: d.shards,
    shardsDone,
    shardsActive: n('active'),
    shardsQueued: n('created') + n('retry'),
    shardsFailed: n('failed') + n('cancelled'),
    workersActive: await workersActive(sql),
  };
}

export async function workersActive(sql: Sql): Promise<number | null> {
  try {
    const { rows } = await sql.executeSql(
      `SELECT COUNT(*)::int AS n FROM ${BOSS_SCHEMA}.instance
       WHERE name = $1 AND stopped_on IS NULL AND heartbeat_on >= now() - heartbeat_seconds * 3 * interval '1 second'`,
      [WORKER_INSTANCE_NAME],
    );
    return (rows[0] as { n: number }).n;
  } catch {
    return null; // an older pg-boss schema without the instance registry
  }
}

/** Opens a connection to `url`, reads the progress of each scan, closes. For `pacsmap scans`. */
export async function distributedProgressAt(
  url: string,
  scanIds: readonly string[],
): Promise<Map<string, DistributedProgress>> {
  const client = new pg.Client({ connectionString: url, application_name: 'pacsmap' });
  await client.connect();
  try {
    const out = new Map<string, DistributedProgress>();
    for (const id of scanIds) {
      const p = await distributedProgress(client, id).catch(() => null);
      if (p) out.set(id, p);
    }
    return out;
  } finally {
    await client.end();
  }
}

/** One line for a scan list, e.g. `shards 40/64 (3 active, 1 failed), 3 workers`. */
export function formatDistributedProgress(p: DistributedProgress): string {
  const extra = [
    p.shardsActive ? `${p.shardsActive} active` : '',
    p.shardsFailed ? `${p.shardsFailed} failed` : '',
  ].filter(Boolean);
  return `shards ${p.shardsDone}/${p.shardsTotal}${extra.length ? ` (${extra.join(', ')})` : ''}${
    p.workersActive === null ? '' : `, ${p.workersActive} worker${p.workersActive === 1 ? '' : 's'}`
  }`;
}
