/**
 * `pacsmap scan TARGET… | -iL FILE | --facilities FILE | --import FILE`: finds DICOM endpoints in
 * the authorised scope, tells what a stranger can do there, and keeps every result in the store.
 * `pacsmap scan --resume SCAN_ID` carries an interrupted or killed scan to its end.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileAuditLog, jsonLogger, noAuditLog, silentLogger } from '../log/logger.ts';
import { DEFAULT_TIMEOUTS } from '../protocol/association/requestor.ts';
import type { TlsMode } from '../scan/probe-port.ts';
import { runFleetScan, newCounters, type ScanCounters } from '../scan/fleet-scan.ts';
import {
  PlanError,
  excludeSources,
  fileRef,
  prepareScan,
  type PreparedScan,
  type ScanPlan,
} from '../scan/scan-plan.ts';
import { DISCOVERY_FORMATS, type DiscoveryFormat } from '../import/import.ts';
import { DEFAULT_DB, openStore, parseStoreUrl } from '../store/open.ts';
import { distributedSettings } from '../distributed/progress.ts';
import type { Repository, ScanRecord } from '../store/repository.ts';
import { readSpecFile, type SpecSource } from '../targets/spec.ts';
import { DEFAULT_PORTS } from '../targets/ports.ts';
import type { EndpointResult } from '../scan/endpoint-result.ts';
import { facilityRecord } from '../scan/records.ts';
import { formatEndpoint } from './summary.ts';
import { ProgressReporter } from './progress.ts';
import { UsageError, parseAeTitle, parseDuration, parseHostPort, parsePortList, parsePositiveInt } from './args.ts';
import type { Io } from './io.ts';

export const DEFAULT_RATE = 300;
export const DEFAULT_CONCURRENCY = 64;

export const SCAN_USAGE = `Usage: pacsmap scan [TARGET…] [options]
       pacsmap scan --resume SCAN_ID [--db URL]

Finds DICOM/PACS endpoints in the authorised scope (a TCP connect sweep, then DICOM and
DICOM-TLS on every open port), tells what a stranger can do there (echo, query: how many
patients, studies, images and which kinds of personal data; retrieve and store services offered),
and keeps every result in the store. Read-only: nothing is moved or stored on a target. Never
prints, logs or writes a patient value.

Targets and scope (nothing outside the scope is ever contacted):
  TARGET                 address, CIDR (v4 or v6), range 10.0.0.1-40 or 10.0.0-3.1-254, hostname;
                         HOST:PORT scans that port
  -iL FILE               targets from a file, one per line (# comments)
      --exclude LIST     never contact these (comma-separated)
      --exclude-file FILE
      --facilities FILE  facility registry (CSV or YAML): the authorised scope, and the targets
                         when none are given; endpoints are attributed to their facility
      --import FILE      open ports found by masscan (-oJ, -oL), zmap (CSV) or nmap (-oX): probe
                         those (inside the scope), without a sweep
      --import-format F  ${DISCOVERY_FORMATS.join('|')} (default: detected)
      --import-port N    the port of a zmap list that has no port column
  -p, --ports LIST       ports, e.g. 104,11112 or 4240-4250 (default ${DEFAULT_PORTS.join(',')})

Pace (polite by default):
      --rate N           connection attempts per second, all probes together (default ${DEFAULT_RATE}; 0 = unlimited)
      --concurrency N    ports worked on at once (default ${DEFAULT_CONCURRENCY})
      --host-concurrency N  ports of one host worked on at once (default 1)
      --retries N        extra attempts of a connect that timed out (default 1; refusals are final)
      --order ORDER      random (default: spreads load over networks) or sequential
      --seed TEXT        seed of the random order (default: random, kept for --resume)

DICOM:
      --called-ae AE     called AE title (default ANY-SCP)
      --calling-ae AE    calling AE title, identifying the scanner (default PACSMAP)
      --tls              DICOM over TLS on every port
      --no-tls           never try TLS (by default a port whose plaintext answer is not DICOM is
                         tried once more over TLS, and 2762 is tried over TLS first)
      --timeout DURATION deadline for connect, association and each DIMSE response (default 10s)
      --target-timeout DURATION  deadline for all of one port's DICOM probes (default 6 × --timeout, at least 30s)
      --max-matches N    matches a counting query reads before C-CANCEL (default 100000)
      --phi-sample N     matches sampled for personal-data categories (default 20)
      --no-ae-discovery  do not guess AE titles when ours are refused (by default, after a reject
                         for an unknown called AE title, product-default titles are tried:
                         src/knowledge/ae-titles.json)
      --ae-attempts N    guesses per endpoint (default 16)
      --ae-pace DURATION least time between two guesses at one host (default 200ms)
      --guess-calling-ae also guess calling AE titles when ours is refused (we then present
                         another device's title instead of our own; every title is audited)
      --depth LEVEL      negotiate (default): services judged from the association alone;
                         retrieve: INTRUSIVE, pulls one instance by C-GET into memory (counted,
                         checked, dropped) and tries a C-MOVE to an unknown destination (docs/retrieve.md)
      --max-instance-bytes N  largest instance the retrieval proof accepts (default 64 MiB)

Web (DICOMweb, Orthanc REST, viewers; first on 80, 443, 8042, 8080, else when a port answers non-DICOM):
      --no-web           DICOM probes only
      --try-default-credentials  on a web face that demands a login, try its product's documented
                         default login (src/knowledge/default-credentials.json); off by default

Store and output:
      --db URL           the store: a file path or sqlite:PATH (default ${DEFAULT_DB})
      --resume SCAN_ID   carry on an interrupted scan from what it committed
      --distributed      submit the scan as shards to the job queue in the --db PostgreSQL database
                         and return; \`pacsmap worker\` processes on any machine scan them (docs/distributed.md)
      --shard-size N     work items per shard (default max(256, total/256))
      --json FILE        export the scan as JSON (docs/scan-json.md); "-" for stdout
      --csv FILE         export the endpoints as CSV; "-" for stdout
      --audit FILE       append one JSON line per probe (default pacsmap-audit.jsonl; "none" to disable)
      --progress MODE    auto (bar on a terminal, lines otherwise), bar, lines or none (default auto)
  -v, --verbose          debug log lines (JSON) on stderr
  -h, --help             this text

Exit status: 0 finished (or queued with --distributed), 2 nothing scanned (unknown scan, a file
changed since the scan began), 3 interrupted (resume with --resume), 64 bad usage.
Ctrl-C stops taking new work, finishes the ports in progress and commits them.
`;

const OPTIONS = {
  'input-list': { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  'exclude-file': { type: 'string', multiple: true },
  facilities: { type: 'string' },
  import: { type: 'string' },
  'import-format': { type: 'string' },
  'import-port': { type: 'string' },
  ports: { type: 'string', short: 'p' },
  rate: { type: 'string', default: String(DEFAULT_RATE) },
  concurrency: { type: 'string', default: String(DEFAULT_CONCURRENCY) },
  'host-concurrency': { type: 'string', default: '1' },
  retries: { type: 'string', default: '1' },
  order: { type: 'string', default: 'random' },
  seed: { type: 'string' },
  'called-ae': { type: 'string', default: 'ANY-SCP' },
  'calling-ae': { type: 'string', default: 'PACSMAP' },
  tls: { type: 'boolean', default: false },
  'no-tls': { type: 'boolean', default: false },
  timeout: { type: 'string', default: '10s' },
  'target-timeout': { type: 'string' },
  'max-matches': { type: 'string', default: '100000' },
  'phi-sample': { type: 'string', default: '20' },
  'no-ae-discovery': { type: 'boolean', default: false },
  'ae-attempts': { type: 'string', default: '16' },
  'ae-pace': { type: 'string', default: '200ms' },
  'guess-calling-ae': { type: 'boolean', default: false },
  depth: { type: 'string', default: 'negotiate' },
  'max-instance-bytes': { type: 'string' },
  'no-web': { type: 'boolean', default: false },
  'try-default-credentials': { type: 'boolean', default: false },
  db: { type: 'string', default: DEFAULT_DB },
  distributed: { type: 'boolean', default: false },
  'shard-size': { type: 'string' },
  resume: { type: 'string' },
  json: { type: 'string' },
  csv: { type: 'string' },
  audit: { type: 'string', default: 'pacsmap-audit.jsonl' },
  progress: { type: 'string', default: 'auto' },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: readonly string[]) {
  // nmap spells it -iL; parseArgs only knows one-letter short options.
  const args = argv.map((a) => (a === '-iL' ? '--input-list' : a));
  return parseArgs({ args, allowPositionals: true, strict: true, options: OPTIONS });
}

function nonNegativeInt(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a whole number >= 0: ${text}`);
  return Number(text);
}

/** Builds a new scan's plan from the command line. */
async function planFromArgs(values: Values, positionals: readonly string[]): Promise<ScanPlan> {
  if (values.tls && values['no-tls']) throw new UsageError('--tls and --no-tls exclude each other');
  if (values.order !== 'random' && values.order !== 'sequential')
    throw new UsageError(`--order is random or sequential, not ${values.order}`);
  const targets: SpecSource[] = [];
  const portsFromTargets: number[] = [];
  positionals.forEach((text, i) => {
    const origin = `argument ${i + 1}`;
    // HOST:PORT (and [v6]:PORT) names a port; anything else (CIDR, range, v6 address) is a spec.
    const hp = /^\[[^\]]+\]:\d+$|^[^:/\s]+:\d+$/.test(text) ? parseHostPort(text) : null;
    if (hp?.port != null) {
      targets.push({ text: hp.host, origin });
      portsFromTargets.push(hp.port);
    } else targets.push({ text, origin });
  });
  for (const file of values['input-list'] ?? []) targets.push(...(await readSpecFile(file)));
  const exclude = excludeSources(values.exclude ?? []);
  for (const file of values['exclude-file'] ?? []) exclude.push(...(await readSpecFile(file)));
  if (portsFromTargets.length > 0 && values.ports)
    throw new UsageError('give ports either as HOST:PORT or with -p, not both');
  const ports = values.ports
    ? parsePortList(values.ports)
    : portsFromTargets.length > 0
      ? [...new Set(portsFromTargets)]
      : [...DEFAULT_PORTS];
  let discovery: ScanPlan['discovery'] = null;
  if (values.import) {
    if (!values.facilities && targets.length === 0)
      throw new UsageError(
        '--import needs a scope: --facilities FILE or targets (a discovery file is not an authorisation)',
      );
    const format = values['import-format'];
    if (format !== undefined && !(DISCOVERY_FORMATS as readonly string[]).includes(format))
      throw new UsageError(`--import-format is one of ${DISCOVERY_FORMATS.join(', ')}`);
    discovery = {
      ...(await fileRef(values.import)),
      format: (format as DiscoveryFormat | undefined) ?? null,
      port: values['import-port'] ? parsePositiveInt(values['import-port'], '--import-port') : null,
    };
  }
  if (!values.facilities && targets.length === 0)
    throw new UsageError('nothing to scan: give targets, -iL FILE or --facilities FILE');
  const timeoutMs = parseDuration(values.timeout);
  const targetMs = values['target-timeout']
    ? parseDuration(values['target-timeout'])
    : Math.max(DEFAULT_TIMEOUTS.associationMs, 6 * timeoutMs);
  const tls: TlsMode = values.tls ? 'on' : values['no-tls'] ? 'off' : 'auto';
  if (values.depth !== 'negotiate' && values.depth !== 'retrieve')
    throw new UsageError(`--depth is negotiate or retrieve, not ${values.depth}`);
  return {
    planVersion: 1,
    targets,
    exclude,
    facilities: values.facilities ? await fileRef(values.facilities) : null,
    discovery,
    ports,
    order: values.order,
    seed: values.seed ?? randomBytes(8).toString('hex'),
    tls,
    calledAe: parseAeTitle(values['called-ae'], '--called-ae'),
    callingAe: parseAeTitle(values['calling-ae'], '--calling-ae'),
    timeouts: { connectMs: timeoutMs, acseMs: timeoutMs, dimseMs: timeoutMs, associationMs: targetMs },
    maxQueryMatches: parsePositiveInt(values['max-matches'], '--max-matches'),
    phiSampleSize: parsePositiveInt(values['phi-sample'], '--phi-sample'),
    concurrency: parsePositiveInt(values.concurrency, '--concurrency'),
    perHost: parsePositiveInt(values['host-concurrency'], '--host-concurrency'),
    rate: nonNegativeInt(values.rate, '--rate'),
    retries: nonNegativeInt(values.retries, '--retries'),
    aeDiscovery: {
      enabled: !values['no-ae-discovery'],
      maxAttempts: nonNegativeInt(values['ae-attempts'], '--ae-attempts'),
      paceMs: parseDuration(values['ae-pace']),
      guessCalling: values['guess-calling-ae'],
    },
    depth: values.depth,
    ...(values['max-instance-bytes']
      ? { maxInstanceBytes: parsePositiveInt(values['max-instance-bytes'], '--max-instance-bytes') }
      : {}),
    web: !values['no-web'],
    tryDefaultCredentials: values['try-default-credentials'],
  };
}

function planOf(scan: ScanRecord): ScanPlan {
  const s = scan.settings as Partial<ScanPlan> | null;
  if (!s || s.planVersion !== 1) throw new UsageError(`scan ${scan.id} was not made by this version's scan command`);
  return s as ScanPlan;
}

export async function scanCommand(argv: readonly string[], io: Io, version: string): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    io.out(SCAN_USAGE);
    return 0;
  }
  const log = values.verbose ? jsonLogger('debug', io.err) : silentLogger;
  const audit = values.audit === 'none' ? noAuditLog : fileAuditLog(values.audit);
  if (values.distributed && parseStoreUrl(values.db).kind !== 'postgres')
    throw new UsageError('--distributed needs --db postgres://…');
  const store = await openStore(values.db);
  try {
    let scanId: string;
    let plan: ScanPlan;
    let prepared: PreparedScan;
    let start = 0n;
    if (values.resume) {
      if (positionals.length > 0) throw new UsageError('--resume takes the scan as it was planned: no targets');
      const scan = await store.getScan(values.resume);
      if (!scan) {
        io.err(`pacsmap: no scan ${values.resume} in ${values.db}\n`);
        return 2;
      }
      if (scan.status === 'finished') {
        io.err(`pacsmap: scan ${scan.id} is already finished\n`);
        return 2;
      }
      if (distributedSettings(scan.settings)) {
        io.err(`pacsmap: scan ${scan.id} is distributed: its workers carry it on (pacsmap worker --db …)\n`);
        return 2;
      }
      plan = planOf(scan);
      prepared = await prepareScan(plan, { resuming: true });
      start = BigInt(scan.cursor ?? '0');
      scanId = scan.id;
      await store.updateScan(scanId, { status: 'running' });
      io.err(`resuming scan ${scanId} at ${start} of ${prepared.total} work items\n`);
    } else {
      plan = await planFromArgs(values, positionals);
      prepared = await prepareScan(plan);
      if (values.distributed) {
        const { submitDistributedScan } = await import('../distributed/submit.ts');
        const s = await submitDistributedScan({
          url: values.db,
          store,
          plan,
          prepared,
          version,
          ...(values['shard-size']
            ? { shardSize: BigInt(parsePositiveInt(values['shard-size'], '--shard-size')) }
            : {}),
        });
        io.out(`scan ${s.scanId}: ${s.total} work items in ${s.shards} shards of ${s.shardSize}, queued\n`);
        io.err('start workers: pacsmap worker --db URL   (progress: pacsmap scans --db URL)\n');
        return 0;
      }
      if (prepared.registry) await store.upsertFacilities(prepared.registry.facilities.map(facilityRecord));
      const scan = await store.createScan({
        id: randomUUID(),
        startedAt: new Date().toISOString(),
        scope: prepared.describe,
        settings: { ...plan, workTotal: prepared.total.toString(), tool: { name: 'pacsmap', version } },
      });
      scanId = scan.id;
      io.err(`scan ${scanId}: ${prepared.total} work items (${prepared.describe})\n`);
    }
    const counters = newCounters(start);
    const progress = progressReporter(values.progress, io, prepared.total, counters);
    const abort = new AbortController();
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts += 1;
      if (interrupts > 1) process.exit(130);
      io.err(
        `\nstopping: finishing the ports in progress (Ctrl-C again to quit at once; resume with --resume ${scanId})\n`,
      );
      abort.abort();
    };
    process.on('SIGINT', onSigint);
    let outcome;
    progress?.start();
    try {
      outcome = await runFleetScan(
        scanId,
        plan,
        prepared,
        start,
        {
          store,
          log,
          audit,
          signal: abort.signal,
        },
        counters,
      );
    } finally {
      progress?.stop();
      process.off('SIGINT', onSigint);
    }
    await printSummary(io, store, scanId, counters, outcome.interrupted, values.json === '-' || values.csv === '-');
    await writeExports(io, store, scanId, version, values.json, values.csv);
    return outcome.interrupted ? 3 : 0;
  } catch (err) {
    if (err instanceof PlanError) {
      io.err(`pacsmap: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await store.close();
  }
}

/** Progress goes to stderr, so stdout stays clean for `--json -`. */
function progressReporter(mode: string, io: Io, total: bigint, c: ScanCounters): ProgressReporter | null {
  if (!['auto', 'bar', 'lines', 'none'].includes(mode))
    throw new UsageError(`--progress is auto, bar, lines or none, not ${mode}`);
  if (mode === 'none') return null;
  const tty = mode === 'bar' || (mode === 'auto' && process.stderr.isTTY === true);
  const t0 = performance.now();
  return new ProgressReporter({
    write: io.err,
    tty,
    columns: () => process.stderr.columns,
    snapshot: () => ({
      workTotal: total,
      workDone: c.resumedAt + BigInt(c.done),
      workDoneAtStart: c.resumedAt,
      openPorts: c.openPorts,
      dicomEndpoints: c.dicomEndpoints,
      exposed: c.exposed,
      elapsedMs: performance.now() - t0,
    }),
  });
}

const SHOWN = 50;

async function printSummary(
  io: Io,
  store: Repository,
  scanId: string,
  c: ScanCounters,
  interrupted: boolean,
  quiet: boolean,
): Promise<void> {
  const say = quiet ? io.err : io.out;
  const dicom: EndpointResult[] = [];
  let more = 0;
  for await (const e of store.endpoints(scanId)) {
    const r = e.result as EndpointResult;
    if (r.service === null) continue;
    if (dicom.length < SHOWN) dicom.push(r);
    else more += 1;
  }
  for (const r of dicom) say(`${formatEndpoint(r)}\n`);
  if (more > 0) say(`… and ${more} more DICOM endpoints\n`);
  const counts = await store.countsByExposure(scanId);
  const levels = Object.entries(counts)
    .filter(([k]) => k !== 'none')
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  say(
    `\nscan ${scanId} ${interrupted ? 'INTERRUPTED' : 'finished'}: ${c.done} work items this run, ` +
      `${c.openPorts} open ports, ${c.dicomEndpoints} DICOM endpoints, ${c.webEndpoints} PACS web faces, ${c.exposed} exposed` +
      `${levels ? ` (${levels})` : ''}${c.skipped ? `, ${c.skipped} targets outside the scope skipped` : ''}\n`,
  );
  say(interrupted ? `resume with: pacsmap scan --resume ${scanId}\n` : `details: pacsmap show ${scanId}\n`);
}

async function writeExports(
  io: Io,
  store: Repository,
  scanId: string,
  version: string,
  json: string | undefined,
  csv: string | undefined,
): Promise<void> {
  if (json === undefined && csv === undefined) return;
  const { exportScanCsv, exportScanJson } = await import('../report/export.ts');
  const to = async (dest: string, fn: (write: (s: string) => void) => Promise<void>): Promise<void> => {
    if (dest === '-') return fn((s) => io.out(s));
    const parts: string[] = [];
    await fn((s) => void parts.push(s));
    writeFileSync(dest, parts.join(''));
  };
  if (json !== undefined) await to(json, (w) => exportScanJson(store, scanId, w));
  if (csv !== undefined) await to(csv, (w) => exportScanCsv(store, scanId, w));
  void version;
}
