/** The `pacsmap` command line: dispatches to subcommands. */
import { readFileSync } from 'node:fs';
import { UsageError } from './args.ts';
import { processIo, type Io } from './io.ts';
import { SCAN_USAGE, scanCommand } from './scan-command.ts';
import { LAB_USAGE, labCommand } from './lab-command.ts';
import { SCANS_USAGE, scansCommand } from './scans-command.ts';
import { SHOW_USAGE, showCommand } from './show-command.ts';
import { WORKER_USAGE, workerCommand } from './worker-command.ts';
import { SERVE_USAGE, serveCommand } from './serve-command.ts';
import { DIFF_USAGE, diffCommand } from './diff-command.ts';
import { REPORT_USAGE, reportCommand } from './report-command.ts';
import { NOTIFY_USAGE, notifyCommand } from './notify-command.ts';

const USAGE = `Usage: pacsmap COMMAND [options]

Exposure risk mapping for picture archives (PACS): what can a stranger do with them?

Commands:
  scan TARGET…       find DICOM/PACS endpoints in the authorised scope and tell what a stranger can do there (pacsmap scan --help)
  scans              the scans in the store, newest first (pacsmap scans --help)
  show SCAN_ID       one stored scan: exposure, reachable data, endpoints; --json/--csv exports (pacsmap show --help)
  diff SCAN_A SCAN_B what changed between two stored scans, per endpoint and facility (pacsmap diff --help)
  report SCAN_ID     ministry and per-facility HTML reports, figures.json/.csv, --pdf (pacsmap report --help)
  notify SCAN_ID     e-mail each facility its findings summary (pacsmap notify --help)
  serve              the dashboard: figures, map, drill-down, diffs, start scans; login required (pacsmap serve --help)
  worker             work the shards of distributed scans from a PostgreSQL store (pacsmap worker --help)
  lab up|down|status a simulated fleet of PACS endpoints on loopback, with its ground truth (pacsmap lab --help)
  version            print the version
  help               this text
`;

interface Command {
  readonly usage: string;
  readonly run: (argv: readonly string[], io: Io, version: string) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  scan: { usage: SCAN_USAGE, run: scanCommand },
  scans: { usage: SCANS_USAGE, run: (argv, io) => scansCommand(argv, io) },
  show: { usage: SHOW_USAGE, run: showCommand },
  worker: { usage: WORKER_USAGE, run: workerCommand },
  serve: { usage: SERVE_USAGE, run: serveCommand },
  diff: { usage: DIFF_USAGE, run: (argv, io) => diffCommand(argv, io) },
  report: { usage: REPORT_USAGE, run: (argv, io) => reportCommand(argv, io) },
  notify: { usage: NOTIFY_USAGE, run: (argv, io) => notifyCommand(argv, io) },
  lab: { usage: LAB_USAGE, run: (argv, io) => labCommand(argv, io) },
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  const known = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  try {
    if (known) return await known.run(rest, io, version());
    switch (command) {
      case 'version':
      case '--version':
        io.out(`pacsmap ${version()}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`pacsmap: ${(err as Error).message}\n\n${known?.usage ?? USAGE}`);
      return 64;
    }
    // Our own errors never carry peer data; still, print only the name and message of what we threw.
    io.err(`pacsmap: ${(err as Error).name}: ${(err as Error).message}\n`);
    return 70;
  }
}
