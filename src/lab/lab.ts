/**
 * A running lab: the fleet's endpoints bound on their loopback addresses in this one process.
 *
 * `startLab` generates the fleet (fleet.ts), makes or loads the TLS certificate if any endpoint
 * needs it, binds one listener per open endpoint (DICOM, DICOM over TLS, HTTP, tarpit; closed
 * ports get none, so they refuse), and returns the ground truth with the ports actually bound.
 * Only 127.0.0.0/8 addresses are ever bound (fleet.ts refuses any other subnet).
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { serveConnection, type AcceptorLimits } from './acceptor.ts';
import { labCertificate, type LabCertificate } from './certificate.ts';
import { serveHttp, serveTarpit } from './decoys.ts';
import { generateFleet, type Fleet, type FleetEndpoint, type FleetOptions } from './fleet.ts';
import { applyOverrides, type EndpointOverride } from './overrides.ts';
import { archetype } from './profiles.ts';
import { buildGroundTruth, type GroundTruth, type TruthEndpoint } from './truth.ts';
import { newStats, type LabStats } from './types.ts';

export interface LabOptions extends FleetOptions {
  /** Delay applied to every response the lab sends, in ms (default 0). */
  readonly latencyMs?: number | undefined;
  /** Where the TLS certificate is kept (default: the system temp dir's pacsmap-lab). */
  readonly certDir?: string | undefined;
  /** Acceptor deadlines and bounds (tests shorten them). */
  readonly limits?: Partial<AcceptorLimits> | undefined;
  /**
   * When a port below 1024 cannot be bound (no root, no CAP_NET_BIND_SERVICE), bind port + 10000
   * instead and say so in the ground truth (default true); false makes that an error.
   */
  readonly remapPrivilegedPorts?: boolean | undefined;
  /** TLS handshake deadline per connection (default 10 s). */
  readonly tlsHandshakeMs?: number | undefined;
  /** Endpoints closed, made to refuse strangers, or opened (src/lab/overrides.ts). */
  readonly overrides?: readonly EndpointOverride[] | undefined;
}

export interface RunningLab {
  readonly fleet: Fleet;
  readonly groundTruth: GroundTruth;
  /** The ground truth's endpoints, with the ports actually bound. */
  readonly endpoints: readonly TruthEndpoint[];
  readonly stats: LabStats;
  readonly certificate: LabCertificate | null;
  /** Stops listening and drops every connection. Idempotent. */
  stop(): Promise<void>;
}

const PRIVILEGED_REMAP = 10_000;

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true, backlog: 511 }, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

export async function startLab(opts: LabOptions): Promise<RunningLab> {
  const latencyMs = opts.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 60_000)
    throw new RangeError('latency must be 0..60000 ms');
  const fleet = applyOverrides(generateFleet(opts), opts.overrides ?? []);
  const stats = newStats();
  const needsTls = fleet.endpoints.some((e) => e.kind === 'dicom-tls');
  const certificate = needsTls ? await labCertificate(opts.certDir ?? path.join(os.tmpdir(), 'pacsmap-lab')) : null;
  const secureContext = certificate
    ? tls.createSecureContext({ key: certificate.keyPem, cert: certificate.certPem })
    : null;
  const handshakeMs = opts.tlsHandshakeMs ?? 10_000;
  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const boundPorts = new Map<number, number>();

  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    stats.connections++;
    stats.activeConnections++;
    socket.once('close', () => {
      sockets.delete(socket);
      stats.activeConnections--;
    });
  };

  const handlerFor = (ep: FleetEndpoint): ((socket: net.Socket) => void) => {
    switch (ep.kind) {
      case 'dicom':
      case 'dicom-tls': {
        const behaviour = ep.behaviour;
        if (!behaviour) throw new Error(`lab: DICOM endpoint ${ep.id} without a behaviour`);
        const active = { count: 0 };
        const serve = (s: net.Socket | tls.TLSSocket): void =>
          serveConnection(s, { behaviour, latencyMs, stats, limits: opts.limits, active });
        if (ep.kind === 'dicom') {
          return (socket) => {
            track(socket);
            socket.setNoDelay(true);
            serve(socket);
          };
        }
        return (socket) => {
          track(socket);
          socket.setNoDelay(true);
          socket.on('error', () => socket.destroy());
          const t = new tls.TLSSocket(socket, { isServer: true, secureContext: secureContext as tls.SecureContext });
          let secured = false;
          const timer = setTimeout(() => {
            stats.tlsFailures++;
            t.destroy();
            socket.destroy();
          }, handshakeMs);
          t.once('secure', () => {
            clearTimeout(timer);
            secured = true;
            stats.tlsHandshakes++;
            serve(t);
          });
          t.on('error', () => {
            clearTimeout(timer);
            if (!secured) stats.tlsFailures++;
            t.destroy();
            socket.destroy();
          });
          t.once('close', () => {
            clearTimeout(timer);
            socket.destroy();
          });
        };
      }
      case 'http':
        return (socket) => {
          track(socket);
          serveHttp(socket, latencyMs, stats);
        };
      case 'tarpit':
        return (socket) => {
          track(socket);
          serveTarpit(socket, stats);
        };
      case 'closed':
        throw new Error('closed endpoints have no handler');
    }
  };

  const stop = async (): Promise<void> => {
    const closing = servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of sockets) s.destroy();
    await Promise.all(closing);
  };

  try {
    await Promise.all(
      fleet.endpoints
        .filter((ep) => ep.kind !== 'closed')
        .map(async (ep) => {
          const server = net.createServer({ noDelay: true }, handlerFor(ep));
          server.on('error', () => {}); // accept errors (EMFILE…) must not kill the lab
          servers.push(server);
          try {
            await listen(server, ep.host, ep.port);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'EACCES' && ep.port < 1024 && opts.remapPrivilegedPorts !== false) {
              await listen(server, ep.host, ep.port + PRIVILEGED_REMAP);
              boundPorts.set(ep.index, ep.port + PRIVILEGED_REMAP);
              return;
            }
            throw new Error(
              code === 'EADDRINUSE'
                ? `lab: ${ep.id} is already in use (another lab on the same subnet, or a server listening on all addresses on port ${ep.port})`
                : code === 'EMFILE'
                  ? 'lab: out of file descriptors; raise the limit (ulimit -n) or use fewer hosts'
                  : `lab: cannot listen on ${ep.id}: ${code ?? String(err)}`,
            );
          }
        }),
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const groundTruth = buildGroundTruth({
    fleet,
    status: 'ready',
    pid: process.pid,
    startedAt: new Date().toISOString(),
    latencyMs,
    boundPorts,
    certificateFingerprint256: certificate?.fingerprint256 ?? null,
    descriptions: (id) => archetype(id).description,
  });
  return { fleet, groundTruth, endpoints: groundTruth.endpoints, stats, certificate, stop };
}
