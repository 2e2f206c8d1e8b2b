/**
 * `pacsmap lab up|down|status`: a simulated fleet of PACS endpoints on loopback addresses, for
 * demos, training, benchmarks and tests (src/lab/). `up` stays in the foreground unless
 * `--detach`; `down` stops the lab whose pid file is in the lab directory.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLab } from '../lab/lab.ts';
import { DEFAULT_SUBNET, LAB_PORTS, MAX_HOSTS } from '../lab/fleet.ts';
import {
  DEFAULT_LAB_DIR,
  labFiles,
  readGroundTruth,
  readPid,
  removePid,
  setGroundTruthStatus,
  writeFacilities,
  writeGroundTruth,
  writePid,
  type LabFiles,
} from '../lab/files.ts';
import type { GroundTruth } from '../lab/truth.ts';
import type { LabStats } from '../lab/types.ts';
import { UsageError, parseDuration, parsePositiveInt } from './args.ts';
import type { Io } from './io.ts';

export const LAB_USAGE = `Usage: pacsmap lab up --hosts N [options]
       pacsmap lab down [--dir DIR]
       pacsmap lab status [--dir DIR]

A simulated fleet of PACS endpoints in one process, answering real DICOM over real TCP and TLS
on loopback addresses (127.x.y.z; nothing else is ever bound): products (DCMTK, Orthanc,
dcm4chee, Conquest, fo-dicom, pynetdicom, ClearCanvas, Horos), AE policies, services, synthetic
archives (fake patients), plus closed ports, web servers and tarpits on DICOM ports. Every
host has the ports ${LAB_PORTS.join(', ')}, open or closed.

lab up writes into the lab directory: ground-truth.json (every endpoint and what a scan should
find), facilities.yaml and facilities.csv (a matching fictional facility registry), lab.pid.

Options of lab up:
      --hosts N         simulated hosts (1 to ${MAX_HOSTS})
      --seed S          fleet seed (default 1): the same seed gives the same fleet
      --latency MS      delay every response PDU (and HTTP answer) by MS milliseconds (default 0;
                        e.g. 50 or 50ms); TCP and TLS handshakes are not delayed
      --subnet CIDR     loopback block for the hosts (default ${DEFAULT_SUBNET})
      --max-studies N   largest synthetic archive, in studies (default 1200)
      --no-tls          no DICOM-over-TLS endpoints (then openssl is not needed)
      --detach          run in the background (log in DIR/lab.log); print the summary and return
      --dir DIR         lab directory (default ${DEFAULT_LAB_DIR})
Options of lab down:
      --grace DURATION  wait this long after SIGTERM before SIGKILL (default 5s)
  -h, --help            this text

Example:
  pacsmap lab up --hosts 40 --detach
  pacsmap scan 127.77.0.1 -p ${LAB_PORTS.join(',')}
  pacsmap lab down
`;

function parseLatency(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--latency takes milliseconds, e.g. 50 or 50ms: ${text}`);
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  if (ms > 60_000) throw new UsageError('--latency is at most 60 s');
  return Math.round(ms);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatLabSummary(gt: GroundTruth, files: LabFiles | null): string {
  const s = gt.summary;
  const k = s.byKind;
  const x = s.strangerExposure;
  const open = s.endpoints - k.closed;
  const firstHost = gt.endpoints[0]?.host ?? '127.77.0.1';
  const lines = [
    `pacsmap lab ${gt.status} (pid ${gt.pid}): ${fmt(s.hosts)} hosts on ${gt.subnet}, seed ${gt.seed}, latency ${gt.latencyMs} ms`,
    `  facilities: ${fmt(s.facilities)} fictional facilities in ${s.regions} regions`,
    `  ports: ${fmt(s.endpoints)} (${gt.ports.join(', ')} on every host): ${fmt(open)} open — ${fmt(k.dicom)} DICOM, ${fmt(k['dicom-tls'])} DICOM over TLS, ${fmt(k.http)} HTTP, ${fmt(k.tarpit)} tarpits; ${fmt(k.closed)} closed`,
    `  exposure to a stranger (called ${gt.stranger.calledAe}, calling ${gt.stranger.callingAe}): retrievable ${x.retrievable}, queryable ${x.queryable}, writable ${x.writable}, associable ${x.associable}, identified ${x.identified}, none ${x.none}`,
    `  synthetic archives: ${fmt(s.archive.patients)} patients, ${fmt(s.archive.studies)} studies, ${fmt(s.archive.instances)} instances (all fake)`,
  ];
  if (files) {
    lines.push(`  ground truth: ${files.groundTruth}`, `  facilities: ${files.facilitiesYaml} (and .csv)`);
  }
  const ports = [...new Set(gt.endpoints.map((e) => e.port))].sort((a, b) => a - b).join(',');
  lines.push(
    files
      ? `  try: pacsmap scan --facilities ${files.facilitiesYaml} -p ${ports}`
      : `  try: pacsmap scan ${firstHost} -p ${ports}`,
  );
  return `${lines.join('\n')}\n`;
}

function formatStats(s: LabStats): string {
  const rejects = Object.entries(s.rejects)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  return `lab stats: ${fmt(s.connections)} connections (${s.activeConnections} open), ${fmt(s.associationsAccepted)} associations accepted, ${fmt(s.associationsRejected)} rejected${rejects ? ` (${rejects})` : ''}, ${fmt(s.echoes)} echoes, ${fmt(s.finds)} finds (${fmt(s.findMatchesSent)} matches, ${s.findsCropped} cropped, ${s.cancels} cancels), ${s.stores} stores, ${s.tlsHandshakes} TLS handshakes (${s.tlsFailures} failed), ${s.httpRequests} HTTP, ${s.tarpitConnections} tarpitted, ${s.protocolErrors} protocol errors, ${s.timeouts} timeouts, ${s.lingeringAfterReject} clients lingered after RJ/RP (max ${s.maxLingerAfterRejectMs} ms)\n`;
}

/** True if `pid` runs and (where /proc tells) is a pacsmap lab. */
function labProcess(pid: number): 'lab' | 'other' | 'gone' {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'other' : 'gone';
  }
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    const isLab = cmd.includes('up') && cmd.some((a) => a === 'lab' || a.endsWith('lab-command.ts'));
    return isLab ? 'lab' : 'other';
  } catch {
    return 'lab'; // no /proc: trust the pid file
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function up(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: false,
    strict: true,
    options: {
      hosts: { type: 'string' },
      seed: { type: 'string', default: '1' },
      latency: { type: 'string', default: '0' },
      subnet: { type: 'string', default: DEFAULT_SUBNET },
      'max-studies': { type: 'string', default: '1200' },
      'no-tls': { type: 'boolean', default: false },
      detach: { type: 'boolean', default: false },
      dir: { type: 'string', default: DEFAULT_LAB_DIR },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  void positionals;
  if (values.help) {
    io.out(LAB_USAGE);
    return 0;
  }
  if (values.hosts === undefined) throw new UsageError('lab up needs --hosts N');
  const hosts = parsePositiveInt(values.hosts, '--hosts');
  if (hosts > MAX_HOSTS) throw new UsageError(`--hosts is at most ${MAX_HOSTS}`);
  const latencyMs = parseLatency(values.latency);
  const maxStudies = parsePositiveInt(values['max-studies'], '--max-studies');
  const files = labFiles(values.dir);

  const pid = await readPid(files);
  if (pid !== null && pid !== process.pid) {
    if (labProcess(pid) === 'lab') {
      io.err(`pacsmap: a lab is already running (pid ${pid}) in ${files.dir}; run pacsmap lab down first\n`);
      return 1;
    }
    await removePid(files);
  }

  if (values.detach) {
    // This very module is the child's entry point (see the end of the file): the detached lab
    // does not depend on how the top-level command line dispatches.
    const args = [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      'up',
      '--hosts',
      String(hosts),
      '--seed',
      values.seed,
      '--latency',
      String(latencyMs),
      '--subnet',
      values.subnet,
      '--max-studies',
      String(maxStudies),
      '--dir',
      files.dir,
      ...(values['no-tls'] ? ['--no-tls'] : []),
    ];
    await mkdir(files.dir, { recursive: true });
    const log = openSync(files.log, 'a');
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env: process.env });
    closeSync(log);
    let exited: number | null = null;
    child.once('exit', (code) => {
      exited = code ?? 1;
    });
    child.unref();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await sleep(100);
      const gt = await readGroundTruth(files);
      if (gt && gt.pid === child.pid && gt.status === 'ready') {
        io.out(formatLabSummary(gt, files));
        io.out(
          `  running in the background; log ${files.log}; stop with: pacsmap lab down${values.dir === DEFAULT_LAB_DIR ? '' : ` --dir ${values.dir}`}\n`,
        );
        return 0;
      }
      if (exited !== null) break;
    }
    let tail = '';
    try {
      tail = readFileSync(files.log, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      // no log
    }
    if (exited === null && child.pid) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    io.err(
      `pacsmap: the lab did not start${exited !== null ? ` (exit ${exited})` : ' within 120 s'}; last lines of ${files.log}:\n${tail}\n`,
    );
    return 1;
  }

  const lab = await startLab({
    hosts,
    seed: values.seed,
    subnet: values.subnet,
    tls: !values['no-tls'],
    maxStudies,
    latencyMs,
    certDir: files.dir,
  });
  try {
    await writeFacilities(files, lab.fleet.facilities);
    await writeGroundTruth(files, lab.groundTruth);
    await writePid(files, process.pid);
  } catch (err) {
    await lab.stop();
    throw err;
  }
  io.out(formatLabSummary(lab.groundTruth, files));
  io.out(`  running (pid ${process.pid}); Ctrl-C or pacsmap lab down stops it\n`);

  await new Promise<void>((resolve) => {
    const ticker = setInterval(() => io.out(`${new Date().toISOString()} ${formatStats(lab.stats)}`), 60_000);
    const onSignal = (): void => {
      clearInterval(ticker);
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(s, onSignal);
      resolve();
    };
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, onSignal);
  });
  await lab.stop();
  await setGroundTruthStatus(files, 'stopped');
  await removePid(files, process.pid);
  io.out(`${new Date().toISOString()} ${formatStats(lab.stats)}pacsmap lab stopped\n`);
  return 0;
}

async function down(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      dir: { type: 'string', default: DEFAULT_LAB_DIR },
      grace: { type: 'string', default: '5s' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(LAB_USAGE);
    return 0;
  }
  const graceMs = parseDuration(values.grace);
  const files = labFiles(values.dir);
  const pid = await readPid(files);
  if (pid === null) {
    io.err(`pacsmap: no lab pid file in ${files.dir}; nothing to stop\n`);
    return 1;
  }
  const state = labProcess(pid);
  if (state === 'gone') {
    await removePid(files);
    await setGroundTruthStatus(files, 'stopped');
    io.out(`pacsmap lab was not running (stale pid ${pid}); pid file removed\n`);
    return 0;
  }
  if (state === 'other') {
    io.err(
      `pacsmap: pid ${pid} in ${files.pid} is not a pacsmap lab; not stopping it (remove the pid file if it is stale)\n`,
    );
    return 1;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && labProcess(pid) !== 'gone') await sleep(50);
  let killed = false;
  if (labProcess(pid) !== 'gone') {
    killed = true;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
    for (let i = 0; i < 40 && labProcess(pid) !== 'gone'; i++) await sleep(50);
  }
  await removePid(files, pid);
  const gt = await readGroundTruth(files);
  if (gt && gt.status !== 'stopped') await setGroundTruthStatus(files, 'stopped');
  io.out(`pacsmap lab stopped (pid ${pid}${killed ? `, killed after ${values.grace}` : ''})\n`);
  return 0;
}

async function status(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      dir: { type: 'string', default: DEFAULT_LAB_DIR },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(LAB_USAGE);
    return 0;
  }
  const files = labFiles(values.dir);
  const pid = await readPid(files);
  const gt = await readGroundTruth(files);
  const running = pid !== null && labProcess(pid) === 'lab';
  if (!gt) {
    io.out(`no lab in ${files.dir}\n`);
    return 3;
  }
  io.out(formatLabSummary({ ...gt, status: running ? gt.status : 'stopped' }, files));
  return running ? 0 : 3;
}

export async function labCommand(argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'up':
      return up(rest, io);
    case 'down':
      return down(rest, io);
    case 'status':
      return status(rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out(LAB_USAGE);
      return 0;
    default:
      throw new UsageError(`unknown lab command: ${sub} (up, down or status)`);
  }
}

// Entry point of the detached lab (`lab up --detach` runs `node lab-command.ts up …`).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { processIo } = await import('./io.ts');
  try {
    process.exitCode = await labCommand(process.argv.slice(2), processIo);
  } catch (err) {
    processIo.err(`pacsmap lab: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
