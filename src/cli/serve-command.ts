/**
 * `pacsmap serve`: the dashboard (src/serve/). Opens the store, creates the first admin when there
 * is no user, and listens until SIGINT/SIGTERM.
 */
import { distributedProgressAt } from '../distributed/progress.ts';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { LAB_PORTS } from '../lab/fleet.ts';
import { DEFAULT_LAB_DIR } from '../lab/files.ts';
import { buildDashboard } from '../serve/app.ts';
import { childScanStarter } from '../serve/scan-runner.ts';
import { ensureAdmin } from '../serve/users.ts';
import { DEFAULT_DB, describeStoreUrl, openStore, parseStoreUrl } from '../store/open.ts';
import type { Repository } from '../store/repository.ts';
import { UsageError, parsePortList } from './args.ts';
import type { Io } from './io.ts';

export const DEFAULT_LISTEN = '127.0.0.1:8450';

export const SERVE_USAGE = `Usage: pacsmap serve [options]

The dashboard: overview of the latest scan (figures, map, trend), scans and diffs, drill-down
facility → endpoint → findings with remediation, and (operators) starting a scan of the lab or
of one facility's registered ranges. Every page and API call needs a login. Shows counts and
categories only, never a patient value. See docs/dashboard.md.

On first run (no user in the store) it creates the user admin with the password from
PACSMAP_ADMIN_PASSWORD, or a generated one printed once on stdout.

Options:
      --db URL           the store: a file path, sqlite:PATH or postgres://… (default ${DEFAULT_DB})
      --listen HOST:PORT address to listen on (default ${DEFAULT_LISTEN})
      --tls-cert FILE    serve HTTPS with this PEM certificate (with --tls-key); cookies get Secure
      --tls-key FILE     its PEM private key
      --secure-cookies   Secure cookies over plain HTTP (behind a TLS-terminating proxy)
      --lab-dir DIR      lab directory whose facilities.yaml a lab scan uses (default ${DEFAULT_LAB_DIR})
      --scan-ports LIST  ports of a facility scan (default: the scan command's)
      --scan-arg ARG     pass ARG to every started \`pacsmap scan\` (repeatable, e.g. --scan-arg=--timeout=3s)
  -h, --help             this text

Environment: PACSMAP_ADMIN_PASSWORD (first run), PACSMAP_SESSION_SECRET (≥ 32 characters; default
random per start, which logs everyone out on restart).

Sessions are held in memory: run one server process per store.
`;

/** HOST:PORT or [V6]:PORT; port 0 picks a free port (tests). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen needs HOST:PORT: ${text}`);
  return { host: m[1] ?? m[2]!, port };
}

export interface RunningServe {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the server and returns once it listens (tests use this; serveCommand waits for a signal). */
export async function startServe(
  argv: readonly string[],
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningServe | null> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      listen: { type: 'string', default: DEFAULT_LISTEN },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'secure-cookies': { type: 'boolean', default: false },
      'lab-dir': { type: 'string', default: DEFAULT_LAB_DIR },
      'scan-ports': { type: 'string' },
      'scan-arg': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(SERVE_USAGE);
    return null;
  }
  if (positionals.length > 0) throw new UsageError(`serve takes no argument: ${positionals[0]}`);
  const { host, port } = parseListen(values.listen);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  const https =
    values['tls-cert'] !== undefined && values['tls-key'] !== undefined
      ? { cert: readFileSync(values['tls-cert'], 'utf8'), key: readFileSync(values['tls-key'], 'utf8') }
      : null;
  const facilityPorts = values['scan-ports'] === undefined ? null : parsePortList(values['scan-ports']);
  const secret = env['PACSMAP_SESSION_SECRET'];
  if (secret !== undefined && secret.length < 32)
    throw new UsageError('PACSMAP_SESSION_SECRET needs at least 32 characters');

  const repo: Repository = await openStore(values.db);
  try {
    const first = await ensureAdmin(repo, env['PACSMAP_ADMIN_PASSWORD']);
    if (first.created && first.generatedPassword !== null)
      io.out(`created user admin with password ${first.generatedPassword}\n(shown only this once: keep it safe)\n`);
    else if (first.created) io.out('created user admin with the password from PACSMAP_ADMIN_PASSWORD\n');
    const starter = childScanStarter({
      dbUrl: values.db,
      labDir: values['lab-dir'],
      labPorts: LAB_PORTS,
      facilityPorts,
      extraArgs: values['scan-arg'],
    });
    const { app } = await buildDashboard({
      repo,
      secureCookies: https !== null || values['secure-cookies'],
      startScan: starter,
      https,
      ...(parseStoreUrl(values.db).kind === 'postgres'
        ? { shardProgress: (ids: readonly string[]) => distributedProgressAt(values.db, ids) }
        : {}),
      ...(secret !== undefined ? { sessionSecret: secret } : {}),
    });
    await app.listen({ host, port });
    const addr = app.server.address() as net.AddressInfo;
    const url = `${https ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/`;
    io.err(`pacsmap dashboard on ${url} (store ${describeStoreUrl(values.db)})\n`);
    const loopback = host === 'localhost' || (net.isIP(host) !== 0 && /^(127\.|::1$)/.test(host));
    if (!https && !loopback)
      io.err(
        'warning: plain HTTP on a non-loopback address: put a TLS proxy in front (and --secure-cookies) or use --tls-cert\n',
      );
    return {
      url,
      async close() {
        await app.close();
        await repo.close();
      },
    };
  } catch (err) {
    await repo.close();
    throw err;
  }
}

export async function serveCommand(argv: readonly string[], io: Io, _version: string): Promise<number> {
  const server = await startServe(argv, io);
  if (server === null) return 0;
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
