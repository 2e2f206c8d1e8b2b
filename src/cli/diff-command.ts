/** `pacsmap diff SCAN_A SCAN_B`: what changed from one stored scan to another. */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatCount } from '../report/aggregate.ts';
import { CHANGE_KINDS, diffScans, type EndpointState, type ScanDiff } from '../report/diff.ts';
import { ScanLookupError, resolveScan } from '../report/scans.ts';
import { openForCommand } from '../report/sink.ts';
import { TextTable, hostPort, terminalSafe } from '../report/table.ts';
import { DEFAULT_DB } from '../store/open.ts';
import { UsageError } from './args.ts';
import type { Io } from './io.ts';

export const DIFF_USAGE = `Usage: pacsmap diff SCAN_A SCAN_B [options]

Compares two stored scans (SCAN_A the earlier): every endpoint is new, fixed, worse, better or
unchanged (by exposure to a stranger, then exposure level, then risk score), and so is every
facility; with the change in patient records, studies and images a stranger can reach. Counts
only: no patient value is ever shown. Scan ids may be unique prefixes of 4+ characters.

Options:
      --db URL       the store: a file path or sqlite:PATH (default ${DEFAULT_DB}); never created here
      --json FILE    write the diff as JSON; "-" for stdout (then it is the whole output)
  -h, --help         this text

Exit status: 0 shown, 2 no such database or scan.
`;

function signed(n: number): string {
  return n > 0 ? `+${formatCount(n)}` : n < 0 ? `-${formatCount(-n)}` : '0';
}

function state(s: EndpointState | null): string {
  if (!s) return 'absent';
  const risk = s.risk === null ? '' : ` risk ${s.risk}`;
  return `${s.exposure}${risk}`;
}

function render(columns: ConstructorParameters<typeof TextTable>[0], rows: readonly string[][]): string {
  const table = new TextTable(columns);
  for (const r of rows) table.measure(r);
  return [table.header(), ...rows.map((r) => table.line(r))].join('\n');
}

/** The diff as text for a terminal (peer-controlled text passes terminalSafe). */
export function formatDiff(d: ScanDiff): string {
  const lines: string[] = [];
  lines.push(`from ${terminalSafe(d.from.id)} (${d.from.createdAt})`);
  lines.push(`to   ${terminalSafe(d.to.id)} (${d.to.createdAt})`);
  lines.push(`endpoints: ${CHANGE_KINDS.map((k) => `${d.counts[k]} ${k}`).join(', ')}`);
  const t = d.total;
  lines.push(`before: ${t.before.text}`);
  lines.push(`after:  ${t.after.text}`);
  lines.push(
    `change: exposed endpoints ${signed(t.exposedEndpointsDelta)}, patient records ${signed(t.patientsDelta)}, studies ${signed(t.studiesDelta)}, images ${signed(t.instancesDelta)}`,
  );
  lines.push('');
  if (d.endpoints.length > 0) {
    const rows = d.endpoints.map((e) => [
      e.change,
      hostPort(e.host, e.port),
      e.facilityId ?? '-',
      state(e.before),
      state(e.after),
      signed(e.patientsDelta),
      signed(e.instancesDelta),
    ]);
    lines.push(
      render(
        [
          { title: 'change' },
          { title: 'endpoint' },
          { title: 'facility', max: 40 },
          { title: 'before' },
          { title: 'after' },
          { title: 'records', align: 'right' },
          { title: 'images', align: 'right' },
        ],
        rows,
      ),
    );
    lines.push('');
  }
  const changed = d.facilities.filter((f) => f.change !== 'unchanged');
  if (changed.length > 0) {
    const rows = changed.map((f) => [
      f.facilityId ?? '(outside the registry)',
      f.change,
      `${f.before?.exposedEndpoints ?? 0} → ${f.after?.exposedEndpoints ?? 0}`,
      signed(f.patientsDelta),
      signed(f.instancesDelta),
    ]);
    lines.push(
      render(
        [
          { title: 'facility', max: 40 },
          { title: 'change' },
          { title: 'exposed', align: 'right' },
          { title: 'records', align: 'right' },
          { title: 'images', align: 'right' },
        ],
        rows,
      ),
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export async function diffCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(DIFF_USAGE);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError('diff takes two scan ids: SCAN_A SCAN_B');
  if (values.json === '') throw new UsageError('--json needs a file name or -');
  const repo = await openForCommand(values.db, io.err);
  if (!repo) return 2;
  try {
    let ids: [string, string];
    try {
      const a = await resolveScan(repo, positionals[0]!);
      const b = await resolveScan(repo, positionals[1]!);
      ids = [a.id, b.id];
    } catch (err) {
      if (err instanceof ScanLookupError) {
        io.err(`pacsmap: ${terminalSafe(err.message)}\n`);
        return 2;
      }
      throw err;
    }
    const diff = await diffScans(repo, ...ids);
    const json = `${JSON.stringify(diff, null, 2)}\n`;
    if (values.json === '-') io.out(json);
    else {
      io.out(formatDiff(diff));
      if (values.json !== undefined) await writeFile(values.json, json);
    }
    return 0;
  } finally {
    await repo.close();
  }
}
