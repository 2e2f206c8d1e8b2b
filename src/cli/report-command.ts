/** `pacsmap report SCAN_ID`: the ministry's and each facility's self-contained HTML reports, JSON and CSV. */
import { parseArgs } from 'node:util';
import { writeReport } from '../report/html/write-report.ts';
import { ScanLookupError, resolveScan } from '../report/scans.ts';
import { openForCommand } from '../report/sink.ts';
import { terminalSafe } from '../report/table.ts';
import { DEFAULT_DB } from '../store/open.ts';
import { UsageError } from './args.ts';
import type { Io } from './io.ts';

export const REPORT_USAGE = `Usage: pacsmap report SCAN_ID [options]

Writes the reports of a stored scan into a directory:
  ministry.html          summary figures, map, per-state, per-country and per-facility tables, top
                         findings, and the changes since the previous scan of the same scope
  facility-<id>.html     per facility, for its IT team: its endpoints, findings with what to do,
                         what changed
  figures.json/.csv      the same figures as data
Each HTML file is self-contained (no script, no network fetch of any kind). Counts only: no
patient value is ever written. SCAN_ID may be a unique prefix of 4+ characters.

Options:
      --db URL            the store: a file path or sqlite:PATH (default ${DEFAULT_DB}); never created here
      --out DIR           where to write (default ./pacsmap-report-<scan id prefix>)
      --previous SCAN_ID  compare with this scan (default: the latest earlier scan of the same scope)
      --no-previous       do not compare
      --pdf               also print ministry.html to ministry.pdf with /usr/bin/chromium
  -h, --help              this text

Exit status: 0 written, 2 no such database or scan, or the PDF could not be made.
`;

export async function reportCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      out: { type: 'string' },
      previous: { type: 'string' },
      'no-previous': { type: 'boolean', default: false },
      pdf: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(REPORT_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('report takes exactly one SCAN_ID');
  if (values.previous !== undefined && values['no-previous'])
    throw new UsageError('--previous and --no-previous exclude each other');
  if (values.out === '') throw new UsageError('--out needs a directory');
  const repo = await openForCommand(values.db, io.err);
  if (!repo) return 2;
  try {
    let scanId: string;
    let previousScanId: string | null | undefined;
    try {
      scanId = (await resolveScan(repo, positionals[0]!)).id;
      previousScanId = values['no-previous']
        ? null
        : values.previous !== undefined
          ? (await resolveScan(repo, values.previous)).id
          : undefined;
    } catch (err) {
      if (err instanceof ScanLookupError) {
        io.err(`pacsmap: ${terminalSafe(err.message)}\n`);
        return 2;
      }
      throw err;
    }
    const outDir = values.out ?? `pacsmap-report-${scanId.slice(0, 8)}`;
    try {
      const files = await writeReport(repo, scanId, {
        outDir,
        ...(previousScanId !== undefined ? { previousScanId } : {}),
        pdf: values.pdf,
      });
      io.out(
        `wrote ${terminalSafe(files.ministry)}, ${files.facilities.length} facility pages, ${terminalSafe(files.json)}, ${terminalSafe(files.csv)}${
          files.pdf ? `, ${terminalSafe(files.pdf)}` : ''
        }${files.previousScanId ? ` (compared with scan ${terminalSafe(files.previousScanId)})` : ''}\n`,
      );
      return 0;
    } catch (err) {
      if (values.pdf && /chromium/i.test((err as Error).message)) {
        io.err(`pacsmap: ${terminalSafe((err as Error).message)}\n`);
        return 2;
      }
      throw err;
    }
  } finally {
    await repo.close();
  }
}
