/** `pacsmap notify SCAN_ID --smtp URL`: each facility's findings summary to its registry contact. */
import { parseArgs } from 'node:util';
import { notifyFacilities } from '../notify/notify.ts';
import { SEVERITY_ORDER } from '../report/aggregate.ts';
import { ScanLookupError, resolveScan } from '../report/scans.ts';
import { openForCommand } from '../report/sink.ts';
import { terminalSafe } from '../report/table.ts';
import { DEFAULT_DB } from '../store/open.ts';
import { UsageError } from './args.ts';
import type { Io } from './io.ts';

export const NOTIFY_USAGE = `Usage: pacsmap notify SCAN_ID --smtp URL --from ADDRESS [options]

Emails each facility of a stored scan a summary of its findings (what a stranger can reach, the
findings worst first with what to do, its endpoints) at the security contact of the facility
registry. Counts only: no patient value is ever sent. Facilities without a contact or without
findings are skipped.

Options:
      --smtp URL           the mail server, e.g. smtp://mail.example:25 or smtps://user:pass@mail.example:465
      --from ADDRESS       the sender address
      --min-severity SEV   only facilities with a finding at SEV or worse (${SEVERITY_ORDER.join(', ')})
      --db URL             the store (default ${DEFAULT_DB}); never created here
  -h, --help               this text

Exit status: 0 sent, 2 no such database or scan, 1 a message could not be sent.
`;

export async function notifyCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      smtp: { type: 'string' },
      from: { type: 'string' },
      'min-severity': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(NOTIFY_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('notify takes exactly one SCAN_ID');
  if (!values.smtp || !/^smtps?:\/\//.test(values.smtp))
    throw new UsageError('--smtp needs an smtp:// or smtps:// URL');
  if (!values.from) throw new UsageError('--from needs the sender address');
  const min = values['min-severity'];
  if (min !== undefined && !SEVERITY_ORDER.includes(min))
    throw new UsageError(`--min-severity is one of ${SEVERITY_ORDER.join(', ')}`);
  const repo = await openForCommand(values.db, io.err);
  if (!repo) return 2;
  try {
    let scanId: string;
    try {
      scanId = (await resolveScan(repo, positionals[0]!)).id;
    } catch (err) {
      if (err instanceof ScanLookupError) {
        io.err(`pacsmap: ${terminalSafe(err.message)}\n`);
        return 2;
      }
      throw err;
    }
    try {
      const r = await notifyFacilities(repo, scanId, {
        smtpUrl: values.smtp,
        from: values.from,
        ...(min !== undefined ? { minSeverity: min } : {}),
      });
      for (const s of r.sent)
        io.out(`sent ${s.findings} finding(s) of ${terminalSafe(s.facilityId)} to ${terminalSafe(s.to)}\n`);
      for (const s of r.skipped) io.out(`skipped ${terminalSafe(s.facilityId)}: ${s.reason}\n`);
      return 0;
    } catch (err) {
      // The SMTP URL may hold a password: name the failure, not the URL.
      io.err(`pacsmap: sending failed: ${terminalSafe((err as Error).message).replace(values.smtp, '(smtp url)')}\n`);
      return 1;
    }
  } finally {
    await repo.close();
  }
}
