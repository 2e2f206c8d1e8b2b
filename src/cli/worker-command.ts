/**
 * `pacsmap worker --db postgres://…`: works shards of distributed scans (submitted with
 * `pacsmap scan … --distributed`) from the pg-boss queue in the same database, on any machine.
 * SIGTERM or SIGINT: fetch nothing more, finish the shards in hand, exit 0; a second signal stops
 * those shards after their in-flight units and gives them back to the queue.
 */
import { parseArgs } from 'node:util';
import { safe } from '../log/safe-text.ts';
import { fileAuditLog, jsonLogger, noAuditLog } from '../log/logger.ts';
import { describeStoreUrl, parseStoreUrl } from '../store/open.ts';
import { openStore } from '../store/open.ts';
import { newBoss, ensureShardQueue, WORKER_INSTANCE_NAME } from '../distributed/queue.ts';
import { ShardWorker } from '../distributed/worker.ts';
import { UsageError, parsePositiveInt } from './args.ts';
import type { Io } from './io.ts';

export const WORKER_USAGE = `Usage: pacsmap worker --db postgres://… [options]

Works shards of distributed scans (pacsmap scan … --distributed --db postgres://…): takes them
from the job queue in that database, scans them with the scan's own plan, scope and rate (the rate
is shared by all workers), writes the results to the same database. Run one or more per machine.

Options:
      --db URL              the scan database (postgres://user:pass@host:5432/db; PG* environment
                            variables fill what the URL leaves out; default $PACSMAP_DB)
      --concurrency N       shards worked at once (default 2; each runs with its scan's --concurrency)
      --once                exit when no shard is queued or in progress (default: wait for more)
      --poll DURATION       idle polling interval (default 500ms)
      --supervise SECONDS   how often this worker looks for shards of vanished workers (default 10)
      --audit FILE          append one JSON line per probe (default pacsmap-audit.jsonl; "none" to disable)
  -v, --verbose             debug log lines (JSON) on stderr
  -h, --help                this text

SIGTERM/SIGINT: finish the shards in hand, then exit 0; a second signal gives them back to the queue.
`;

const OPTIONS = {
  db: { type: 'string' },
  concurrency: { type: 'string', default: '2' },
  once: { type: 'boolean', default: false },
  poll: { type: 'string', default: '500ms' },
  supervise: { type: 'string', default: '10' },
  audit: { type: 'string', default: 'pacsmap-audit.jsonl' },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function pollMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--poll: not a duration: ${text}`);
  const ms = m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
  if (ms < 50 || ms > 60_000) throw new UsageError('--poll must be between 50ms and 60s');
  return Math.round(ms);
}

export async function workerCommand(argv: readonly string[], io: Io, version: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.out(WORKER_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
  const url = values.db ?? process.env.PACSMAP_DB;
  if (!url) throw new UsageError('--db postgres://… is required (or PACSMAP_DB)');
  if (parseStoreUrl(url).kind !== 'postgres')
    throw new UsageError('a worker needs a PostgreSQL database: --db postgres://…');
  const concurrency = parsePositiveInt(values.concurrency, '--concurrency');
  const supervise = parsePositiveInt(values.supervise, '--supervise');
  const poll = pollMs(values.poll);
  const log = values.verbose ? jsonLogger('debug', io.err) : jsonLogger('warn', io.err);
  const audit = values.audit === 'none' ? noAuditLog : fileAuditLog(values.audit);

  const store = await openStore(url, { poolSize: Math.max(4, concurrency + 2) });
  const boss = newBoss(url, {
    supervise: true,
    superviseIntervalSeconds: supervise,
    // Jobs of vanished workers are re-queued by the monitor pass, which this paces.
    monitorIntervalSeconds: supervise,
    instanceName: WORKER_INSTANCE_NAME,
    instanceHeartbeatSeconds: 10,
    max: concurrency + 3,
  });
  boss.on('error', (err: Error) => log.log('error', safe(`pg-boss: ${err.message}`.slice(0, 300))));
  boss.on('warning', (w: { message: string }) => log.log('debug', safe(`pg-boss: ${w.message}`.slice(0, 300))));
  let worker: ShardWorker | null = null;
  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals === 1) {
      io.err('pacsmap worker: stopping: finishing the shards in hand (signal again to give them back)\n');
      worker?.stop();
    } else {
      io.err('pacsmap worker: giving the shards in hand back to the queue\n');
      worker?.abort();
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await boss.start();
    await ensureShardQueue(boss);
    worker = new ShardWorker({ boss, store, log, audit, concurrency, pollMs: poll, once: values.once });
    if (signals > 0) worker.stop();
    io.err(
      `pacsmap worker ${version} (pid ${process.pid}) on ${describeStoreUrl(url)}, ${concurrency} shards at once\n`,
    );
    const s = await worker.run();
    io.err(
      `pacsmap worker: ${s.shards} shards (${s.units} work items) done, ${s.shardsFailed} given back, ` +
        `${s.scansFinished} scans finished; queue ${s.queueMs.toFixed(0)} ms, work ${s.workMs.toFixed(0)} ms\n`,
    );
    io.err(`${JSON.stringify({ workerStats: s })}\n`);
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await boss.stop({ graceful: true, close: true, timeout: 5000 }).catch(() => undefined);
    await store.close();
  }
}
