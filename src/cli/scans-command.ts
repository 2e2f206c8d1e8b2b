/** `pacsmap scans`: the scans in the store, newest first. */
import { parseArgs } from 'node:util';
import { openForCommand } from '../report/sink.ts';
import {
  distributedProgressAt,
  distributedSettings,
  formatDistributedProgress,
  type DistributedProgress,
} from '../distributed/progress.ts';
import { parseStoreUrl } from '../store/open.ts';
import { exposedCount, exposureCounts, formatScanProgress, scanProgress, scanSettings } from '../report/scans.ts';
import { TextTable } from '../report/table.ts';
import { DEFAULT_DB } from '../store/open.ts';
import type { ScanRecord } from '../store/repository.ts';
import { UsageError } from './args.ts';
import type { Io } from './io.ts';

export const SCANS_USAGE = `Usage: pacsmap scans [options]

Lists the scans in the store, newest first: id (a unique prefix; pacsmap show accepts it),
when it was created, status, progress, endpoints found, endpoints exposed at any level, scope.

Options:
      --db URL   the store: a file path or sqlite:PATH (default ${DEFAULT_DB}); never created here
      --json     print the list as JSON
  -h, --help     this text
`;

/** Shortest prefix length (at least `min`) that tells every id apart, like git's abbreviated hashes. */
export function uniquePrefixLength(ids: readonly string[], min = 8): number {
  const sorted = [...ids].sort();
  let len = min;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    let common = 0;
    while (common < a.length && common < b.length && a[common] === b[common]) common++;
    len = Math.max(len, common + 1);
  }
  return len;
}

/** "2025-01-31 14:05Z" from an ISO time (as given when it does not parse). */
export function shortTime(iso: string | null): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

interface ScanLine {
  readonly scan: ScanRecord;
  readonly exposure: Record<string, number>;
  /** Shards of a distributed scan, from the job queue (PostgreSQL stores only). */
  readonly shards: DistributedProgress | null;
}

function scanJson(l: ScanLine): object {
  const p = scanProgress(l.scan);
  const workTotal = scanSettings(l.scan)['workTotal'];
  return {
    id: l.scan.id,
    createdAt: l.scan.createdAt,
    startedAt: l.scan.startedAt,
    finishedAt: l.scan.finishedAt,
    status: l.scan.status,
    scope: l.scan.scope,
    cursor: l.scan.cursor,
    workTotal: typeof workTotal === 'string' || typeof workTotal === 'number' ? String(workTotal) : null,
    progress: { done: p.done.toString(), total: p.total === null ? null : p.total.toString() },
    counts: { ...l.scan.counts, exposed: exposedCount(l.exposure), exposure: exposureCounts(l.exposure) },
    distributed: l.shards,
  };
}

export async function scansCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(SCANS_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`scans takes no arguments (got ${positionals[0]})`);
  const repo = await openForCommand(values.db, io.err);
  if (!repo) return 2;
  try {
    const scans = await repo.listScans();
    const distributed = scans.filter((s) => distributedSettings(s.settings) !== null).map((s) => s.id);
    const shards =
      distributed.length > 0 && parseStoreUrl(values.db).kind === 'postgres'
        ? await distributedProgressAt(values.db, distributed)
        : new Map<string, DistributedProgress>();
    const lines: ScanLine[] = [];
    for (const scan of scans)
      lines.push({ scan, exposure: await repo.countsByExposure(scan.id), shards: shards.get(scan.id) ?? null });
    if (values.json) {
      io.out(`${JSON.stringify(lines.map(scanJson), null, 2)}\n`);
      return 0;
    }
    if (lines.length === 0) {
      io.out(`no scans in ${values.db}\n`);
      return 0;
    }
    const idLength = uniquePrefixLength(lines.map((l) => l.scan.id));
    const table = new TextTable([
      { title: 'ID' },
      { title: 'CREATED' },
      { title: 'STATUS' },
      { title: 'PROGRESS', align: 'right' },
      { title: 'ENDPOINTS', align: 'right' },
      { title: 'EXPOSED', align: 'right' },
      { title: 'SCOPE', max: 60 },
    ]);
    const rows = lines.map((l) => [
      l.scan.id.slice(0, idLength),
      shortTime(l.scan.createdAt),
      l.scan.status,
      l.shards ? formatDistributedProgress(l.shards) : formatScanProgress(scanProgress(l.scan)),
      l.scan.counts.endpoints.toLocaleString('en-US'),
      exposedCount(l.exposure).toLocaleString('en-US'),
      l.scan.scope.replace(/\s+/g, ' '),
    ]);
    for (const r of rows) table.measure(r);
    io.out(`${[table.header(), ...rows.map((r) => table.line(r))].join('\n')}\n`);
    return 0;
  } finally {
    await repo.close();
  }
}
