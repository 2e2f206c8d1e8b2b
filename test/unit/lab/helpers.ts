/** One lab acceptor on a loopback address, with a hand-made behaviour, for the acceptor's tests. */
import net from 'node:net';
import { serveConnection, type AcceptorLimits } from '../../../src/lab/acceptor.ts';
import { Archive, type CountPolicy } from '../../../src/lab/archive.ts';
import { product, productIdentity } from '../../../src/lab/products.ts';
import { Rng } from '../../../src/lab/random.ts';
import { newStats, type DicomBehaviour, type FindBehaviour, type LabStats } from '../../../src/lab/types.ts';

export interface BehaviourOptions {
  readonly productId?: string;
  readonly aeTitle?: string;
  readonly checkCalled?: boolean;
  readonly callingAllowList?: readonly string[] | null;
  readonly echo?: boolean;
  readonly find?: Partial<FindBehaviour> | null;
  readonly move?: boolean;
  readonly get?: boolean;
  readonly store?: boolean;
  readonly studies?: number;
  readonly counts?: CountPolicy;
  readonly maxAssociations?: number;
  readonly omitKeywords?: readonly string[];
  readonly seed?: string;
}

export function behaviour(o: BehaviourOptions = {}): DicomBehaviour {
  const p = product(o.productId ?? 'orthanc');
  const find: FindBehaviour | null =
    o.find === null
      ? null
      : { studyRoot: true, patientRoot: true, hierarchical: false, refuseStatus: null, limit: null, ...o.find };
  return {
    product: p,
    identity: productIdentity(p),
    ae: {
      aeTitle: o.aeTitle ?? p.defaultAe,
      checkCalled: o.checkCalled ?? false,
      callingAllowList: o.callingAllowList ?? null,
    },
    echo: o.echo ?? true,
    find,
    move: o.move ?? false,
    get: o.get ?? false,
    store: o.store ?? false,
    omitKeywords: o.omitKeywords ?? [],
    archive:
      find === null
        ? null
        : new Archive({
            endpoint: 7,
            fleetTag: 4321,
            studies: o.studies ?? 12,
            counts: o.counts ?? 'always',
            rng: new Rng(o.seed ?? 'unit'),
          }),
    maxAssociations: o.maxAssociations ?? 16,
  };
}

export interface OneEndpoint {
  readonly host: string;
  readonly port: number;
  readonly stats: LabStats;
  readonly behaviour: DicomBehaviour;
  readonly active: { count: number };
  stop(): Promise<void>;
}

let nextHost = 1;

/** Serves `b` on 127.88.0.N, an ephemeral port. */
export async function serveOne(
  b: DicomBehaviour,
  opts: { latencyMs?: number; limits?: Partial<AcceptorLimits> } = {},
): Promise<OneEndpoint> {
  const stats = newStats();
  const active = { count: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    stats.connections++;
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, { behaviour: b, latencyMs: opts.latencyMs ?? 0, stats, limits: opts.limits, active });
  });
  const host = `127.88.${(nextHost >> 8) & 255}.${(nextHost++ & 253) + 1}`;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host,
    port,
    stats,
    behaviour: b,
    active,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
