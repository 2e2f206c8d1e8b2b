/**
 * What else answers on DICOM ports in the wild: a web server (an intranet page, a misplaced
 * reverse proxy) and tarpits (accept, never answer). Both must end as a status in a scanner,
 * never as a hang or an exception.
 */
import type { Socket } from 'node:net';
import { Link } from './link.ts';
import type { LabStats } from './types.ts';

const HTTP_WAIT_MS = 10_000;
/** A tarpit keeps a client at most this long (the lab must not run out of descriptors). */
const TARPIT_HOLD_MS = 120_000;

function httpAnswer(request: string): string {
  const isGet = /^(GET|HEAD) /.test(request);
  const body = isGet
    ? '<!doctype html><title>Intranet</title><h1>Radiology intranet</h1><p>Lab decoy page.</p>\n'
    : '<!doctype html><title>400 Bad Request</title><h1>Bad Request</h1>\n';
  return [
    `HTTP/1.1 ${isGet ? '200 OK' : '400 Bad Request'}`,
    'Server: nginx/1.22.1',
    'Content-Type: text/html; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    isGet && request.startsWith('HEAD ') ? '' : body,
  ].join('\r\n');
}

/** Answers the first bytes a client sends like an HTTP server would (400 to a DICOM request), then closes. */
export function serveHttp(socket: Socket, latencyMs: number, stats: LabStats): void {
  const link = new Link(socket, latencyMs);
  let seen = '';
  let answered = false;
  const timer = setTimeout(() => socket.destroy(), HTTP_WAIT_MS);
  socket.on('error', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
  socket.on('data', (chunk: Buffer) => {
    if (answered) return;
    seen += chunk.toString('latin1', 0, Math.min(chunk.length, 4096));
    // An HTTP client ends its head with a blank line; anything else gets its answer at once.
    if (/^[A-Z]+ /.test(seen) && !seen.includes('\r\n\r\n') && seen.length < 8192) return;
    answered = true;
    stats.httpRequests++;
    link.send(Buffer.from(httpAnswer(seen), 'latin1'));
    link.close('destroy');
  });
}

/** Accepts and reads, never answers; drops the client after a long hold. */
export function serveTarpit(socket: Socket, stats: LabStats): void {
  stats.tarpitConnections++;
  const timer = setTimeout(() => socket.destroy(), TARPIT_HOLD_MS);
  timer.unref();
  socket.on('error', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
  socket.on('data', () => {});
}
