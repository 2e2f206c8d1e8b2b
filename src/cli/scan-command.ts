/** `pacsmap scan HOST[:PORT]`: scans one host's DICOM ports and prints what a stranger can do there. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileAuditLog, jsonLogger, noAuditLog, silentLogger } from '../log/logger.ts';
import { scanHost, type TlsMode } from '../scan/scan-host.ts';
import { DEFAULT_TIMEOUTS } from '../protocol/association/requestor.ts';
import { formatReport } from './summary.ts';
import { UsageError, parseAeTitle, parseDuration, parseHostPort, parsePortList, parsePositiveInt } from './args.ts';
import type { Io } from './io.ts';

/** Classic DICOM ports (104, 11112), Orthanc's 4242, IANA DICOM-ISCL 2761 and DICOM-TLS 2762. */
export const DEFAULT_DICOM_PORTS = [104, 11112, 4242, 2761, 2762] as const;

export const SCAN_USAGE = `Usage: pacsmap scan HOST[:PORT] [options]

Scans one host's DICOM ports: connects, asks for an association, echoes, counts what a
stranger's query can reach (patients, studies, instances, categories of personal data) and
which services it is offered. Read-only: nothing is moved or stored. Never prints, logs or
writes a patient value.

Options:
  -p, --ports LIST        ports, e.g. 104,11112 or 4240-4250 (default ${DEFAULT_DICOM_PORTS.join(',')}, or PORT from HOST:PORT)
      --called-ae AE      called AE title (default ANY-SCP)
      --calling-ae AE     calling AE title, identifying the scanner (default PACSMAP)
      --tls               use DICOM over TLS on every port
      --no-tls            never try TLS (by default, a port whose plaintext answer is not DICOM
                          is tried once more over TLS, and 2762 is tried over TLS first)
      --timeout DURATION  deadline for connect, association and each DIMSE response (default 10s)
      --max-matches N     matches a counting query reads before C-CANCEL (default 100000)
      --phi-sample N      matches sampled for personal-data categories (default 20)
      --json FILE         write the result as JSON (docs/scan-json.md); "-" for stdout
      --audit FILE        append one JSON line per probe to FILE (default pacsmap-audit.jsonl; "none" to disable)
  -v, --verbose           debug log lines (JSON) on stderr
  -h, --help              this text
`;

export async function scanCommand(argv: readonly string[], io: Io, version: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      ports: { type: 'string', short: 'p' },
      'called-ae': { type: 'string', default: 'ANY-SCP' },
      'calling-ae': { type: 'string', default: 'PACSMAP' },
      tls: { type: 'boolean', default: false },
      'no-tls': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '10s' },
      'max-matches': { type: 'string', default: '100000' },
      'phi-sample': { type: 'string', default: '20' },
      json: { type: 'string' },
      audit: { type: 'string', default: 'pacsmap-audit.jsonl' },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(SCAN_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('scan takes exactly one HOST[:PORT]');
  if (values.tls && values['no-tls']) throw new UsageError('--tls and --no-tls exclude each other');
  const target = parseHostPort(positionals[0]!);
  if (target.port !== null && values.ports)
    throw new UsageError('give the port either in HOST:PORT or with -p, not both');
  const ports = values.ports
    ? parsePortList(values.ports)
    : target.port !== null
      ? [target.port]
      : [...DEFAULT_DICOM_PORTS];
  const timeoutMs = parseDuration(values.timeout);
  const tls: TlsMode = values.tls ? 'on' : values['no-tls'] ? 'off' : 'auto';
  const report = await scanHost(
    {
      target: target.host,
      ports,
      tls,
      identity: {
        calledAe: parseAeTitle(values['called-ae'], '--called-ae'),
        callingAe: parseAeTitle(values['calling-ae'], '--calling-ae'),
      },
      timeouts: {
        connectMs: timeoutMs,
        acseMs: timeoutMs,
        dimseMs: timeoutMs,
        associationMs: Math.max(DEFAULT_TIMEOUTS.associationMs, 6 * timeoutMs),
      },
      maxQueryMatches: parsePositiveInt(values['max-matches'], '--max-matches'),
      phiSampleSize: parsePositiveInt(values['phi-sample'], '--phi-sample'),
    },
    {
      log: values.verbose ? jsonLogger('debug', io.err) : silentLogger,
      audit: values.audit === 'none' ? noAuditLog : fileAuditLog(values.audit),
      version,
    },
  );
  if (values.json === '-') io.out(`${JSON.stringify(report, null, 2)}\n`);
  else {
    io.out(`${formatReport(report)}\n`);
    if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  }
  return report.scan.error ? 2 : 0;
}
