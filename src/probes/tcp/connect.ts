/**
 * Probe `tcp.connect`: the discovery sweep. A full TCP connect (no raw sockets here), closed at
 * once with a reset-free `destroy()`; nothing is sent. Open = `success`, closed = `connection-refused`,
 * no answer before the deadline (filtered, or nobody there) = `connection-timeout`.
 */
import net from 'node:net';
import { ProtocolError } from '../../protocol/status.ts';
import { observe } from '../dicom/observe.ts';
import { assertInScope, type Observation, type ProbeContext } from '../probe.ts';

export interface ConnectFacts {
  readonly open: boolean;
  readonly connectMs: number;
}

export function probeTcpConnect(ctx: ProbeContext, host: string, port: number): Promise<Observation<ConnectFacts>> {
  return observe('tcp.connect', async () => {
    assertInScope(ctx, host);
    const t0 = performance.now();
    await connectOnce(host, port, ctx.timeouts.connectMs);
    return { status: 'success', facts: { open: true, connectMs: Math.round((performance.now() - t0) * 100) / 100 } };
  });
}

function connectOnce(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ProtocolError('connection-timeout', `no answer to connect within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}
