/**
 * CPU per association: pacsmap's requestor vs dcmjs-dimse's client, same process, same peer
 * (DCMTK storescp on loopback), same work (associate, C-ECHO, release). Reported as a ratio, so
 * the number means the same on any machine. Run: npm run bench:echo [-- N]
 */
import { performance } from 'node:perf_hooks';
import dimse from 'dcmjs-dimse';
import { requestAssociation } from '../src/protocol/association/requestor.ts';
import { DimseChannel } from '../src/protocol/dimse/channel.ts';
import { cEcho } from '../src/protocol/dimse/echo.ts';
import { SopClass, TransferSyntax } from '../src/protocol/dimse/constants.ts';
import { startStorescp } from '../test/fixtures/peers/index.ts';

const N = Number(process.argv[2] ?? 300);
// Fair comparison: dcmjs-dimse logs every PDU by default; silence it so only protocol work is timed.
(dimse as unknown as { log: { setLevel(l: string): void } }).log.setLevel('silent');
const peer = await startStorescp({ ignore: true });

async function pacsmapEcho(): Promise<void> {
  const o = await requestAssociation({
    host: '127.0.0.1',
    port: peer.port,
    calledAe: 'STORESCP',
    callingAe: 'PACSMAP',
    presentationContexts: [
      { id: 1, abstractSyntax: SopClass.Verification, transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian] },
    ],
  });
  if (o.kind !== 'accepted') throw new Error(`association ${o.kind}`);
  const r = await cEcho(new DimseChannel(o.association), 1);
  if (r.status !== 0) throw new Error('echo failed');
  await o.association.release();
}

function dimseEcho(): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new dimse.Client();
    const req = new dimse.requests.CEchoRequest();
    let ok = false;
    req.on('response', (rsp: { getStatus(): number }) => (ok = rsp.getStatus() === 0));
    client.addRequest(req);
    client.on('networkError', (e: Error) => reject(e));
    client.on('closed', () => (ok ? resolve() : reject(new Error('echo failed'))));
    client.send('127.0.0.1', peer.port, 'DCMJSDIMSE', 'STORESCP');
  });
}

async function measure(
  name: string,
  fn: () => Promise<void>,
): Promise<{ name: string; cpuUs: number; wallMs: number }> {
  for (let i = 0; i < 20; i++) await fn(); // warm-up
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await fn();
  const c = process.cpuUsage(c0);
  return { name, cpuUs: (c.user + c.system) / N, wallMs: (performance.now() - t0) / N };
}

try {
  const rows: Array<{ name: string; cpuUs: number; wallMs: number }> = [];
  // Alternate to spread any drift of the machine over both.
  for (let round = 0; round < 2; round++) {
    rows.push(await measure('pacsmap', pacsmapEcho));
    rows.push(await measure('dcmjs-dimse', dimseEcho));
  }
  const avg = (n: string, k: 'cpuUs' | 'wallMs'): number =>
    rows.filter((r) => r.name === n).reduce((s, r) => s + r[k], 0) / 2;
  const ours = avg('pacsmap', 'cpuUs');
  const theirs = avg('dcmjs-dimse', 'cpuUs');
  process.stdout.write(
    `associate + C-ECHO + release, ${N} times each, against DCMTK storescp on loopback\n` +
      `pacsmap      ${ours.toFixed(0)} µs CPU/association, ${avg('pacsmap', 'wallMs').toFixed(2)} ms wall\n` +
      `dcmjs-dimse  ${theirs.toFixed(0)} µs CPU/association, ${avg('dcmjs-dimse', 'wallMs').toFixed(2)} ms wall\n` +
      `ratio (dcmjs-dimse / pacsmap CPU): ${(theirs / ours).toFixed(2)}x\n`,
  );
} finally {
  await peer.stop();
}
