/**
 * One bounded HTTP(S) GET over undici, for measuring a web service, not for trusting it:
 * - a connect deadline (TCP + TLS), then idle header/body timeouts, under one overall deadline
 *   that destroys the connection when it fires (a slow-drip peer cannot outlive it);
 * - the body is read up to `maxBodyBytes`; past that the connection is destroyed and the
 *   response marked truncated, so memory stays bounded whatever the peer sends;
 * - TLS with rejectUnauthorized false, and the certificate's facts captured from the socket;
 * - redirects are never followed (a redirect is a fact; following one could leave the scope);
 * - one connection per request, closed at the end.
 * It never throws: a failure is a result with a status from the shared vocabulary.
 */
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { Client, buildConnector } from 'undici';
import type { Status } from '../status.ts';
import { tlsFactsOf, type TlsFacts } from '../association/transport.ts';

/** Identifies the scanner and its purpose to whoever reads the server's access log. */
export const USER_AGENT = 'pacsmap (PACS exposure mapping for a health CERT; read-only; no data kept)';

/** The only response headers kept: what product and access-control facts need. */
export const KEPT_HEADERS = [
  'server',
  'content-type',
  'content-length',
  'www-authenticate',
  'location',
  'x-powered-by',
] as const;
export type KeptHeader = (typeof KEPT_HEADERS)[number];

export interface HttpTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Path and query, starting with '/'. */
  readonly path: string;
}

export interface HttpGetOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly auth?: { readonly user: string; readonly password: string };
  /** Overall deadline for the request, connect included. */
  readonly timeoutMs: number;
  /** Deadline for TCP connect + TLS handshake; defaults to timeoutMs. */
  readonly connectTimeoutMs?: number;
  readonly maxBodyBytes: number;
  readonly signal?: AbortSignal;
}

export interface HttpTimings {
  /** TCP (+TLS) established, from the start; null when it never was. */
  readonly connectMs: number | null;
  /** Response headers received, from the start. */
  readonly headersMs: number | null;
  readonly totalMs: number;
}

export interface HttpResponse {
  readonly kind: 'response';
  /** The HTTP status code. */
  readonly status: number;
  readonly headers: Readonly<Partial<Record<KeptHeader, string>>>;
  readonly body: Buffer;
  /** The body went past maxBodyBytes: the rest was not read and the connection was destroyed. */
  readonly truncated: boolean;
  readonly tls: TlsFacts | null;
  readonly timings: HttpTimings;
}

export interface HttpFailure {
  readonly kind: 'failure';
  readonly status: Status;
  /** Our own words (an error code), never peer content. */
  readonly detail: string;
  readonly tls: TlsFacts | null;
  readonly timings: HttpTimings;
}

export type HttpResult = HttpResponse | HttpFailure;

const DEADLINE = Symbol('deadline');
const CALLER = Symbol('caller');

export async function httpGet(target: HttpTarget, opts: HttpGetOptions): Promise<HttpResult> {
  const t0 = performance.now();
  const since = (): number => Math.round((performance.now() - t0) * 100) / 100;
  let connectMs: number | null = null;
  let headersMs: number | null = null;
  let tlsFacts: TlsFacts | null = null;
  let aborted: typeof DEADLINE | typeof CALLER | null = null;
  let client: Client | null = null;
  const timeoutMs = Math.max(1, opts.timeoutMs);
  const connectTimeoutMs = Math.max(1, Math.min(opts.connectTimeoutMs ?? timeoutMs, timeoutMs));
  const ac = new AbortController();
  const timer = setTimeout(() => {
    aborted ??= DEADLINE;
    ac.abort();
    void client?.destroy().catch(() => {});
  }, timeoutMs);
  const onCallerAbort = (): void => {
    aborted ??= CALLER;
    ac.abort();
    void client?.destroy().catch(() => {});
  };
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const fail = (status: Status, detail: string): HttpFailure => ({
    kind: 'failure',
    status,
    detail,
    tls: tlsFacts,
    timings: { connectMs, headersMs, totalMs: since() },
  });
  try {
    if (opts.signal?.aborted) return fail('unknown-error', 'aborted by caller before the request');
    const base = buildConnector({ rejectUnauthorized: false, timeout: connectTimeoutMs });
    const connect: buildConnector.connector = (o, cb) => {
      // undici sends SNI only for names, never for IP literals (RFC 6066 section 3).
      base(o, (...args) => {
        const socket = args[1];
        if (socket) {
          connectMs = since();
          if (socket instanceof tls.TLSSocket) tlsFacts = tlsFactsOf(socket);
        }
        cb(...args);
      });
    };
    const host = net.isIPv6(target.host) ? `[${target.host}]` : target.host;
    const origin = `${target.tls ? 'https' : 'http'}://${host}:${target.port}`;
    client = new Client(origin, {
      connect,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: 1_000,
      pipelining: 1,
      maxHeaderSize: 32 * 1024,
    });
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      accept: '*/*',
      connection: 'close',
      ...opts.headers,
    };
    if (opts.auth) {
      headers.authorization = `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString('base64')}`;
    }
    const res = await client.request({ path: target.path, method: 'GET', headers, signal: ac.signal });
    headersMs = since();
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const room = opts.maxBodyBytes - size;
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        size += Math.max(0, room);
        truncated = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    if (truncated) res.body.destroy();
    return {
      kind: 'response',
      status: res.statusCode,
      headers: keptHeaders(res.headers),
      body: Buffer.concat(chunks, size),
      truncated,
      tls: tlsFacts,
      timings: { connectMs, headersMs, totalMs: since() },
    };
  } catch (err) {
    if (aborted === DEADLINE) {
      return connectMs === null
        ? fail('connection-timeout', `no connection within ${timeoutMs} ms`)
        : fail('io-timeout', `request not complete within ${timeoutMs} ms`);
    }
    if (aborted === CALLER) return fail('unknown-error', 'aborted by caller');
    const [status, detail] = classify(err, connectMs !== null, target.tls);
    return fail(status, detail);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCallerAbort);
    // Destroy, not close: nothing more is wanted from this peer, and close could wait on it.
    if (client) await client.destroy().catch(() => {});
  }
}

function keptHeaders(raw: Record<string, string | string[] | undefined>): Partial<Record<KeptHeader, string>> {
  const out: Partial<Record<KeptHeader, string>> = {};
  for (const name of KEPT_HEADERS) {
    const v = raw[name];
    const text = Array.isArray(v) ? v.join(', ') : v;
    // Bounded: a header is a fact, not a payload.
    if (typeof text === 'string') out[name] = text.slice(0, 512);
  }
  return out;
}

/** Maps undici/node errors to a status and a detail made of the error code only. */
export function classify(err: unknown, connected: boolean, overTls: boolean): [Status, string] {
  const code = String((err as { code?: unknown } | null)?.code ?? (err instanceof Error ? err.name : 'error'));
  if (code === 'ECONNREFUSED') return ['connection-refused', code];
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return ['connection-timeout', code];
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return ['io-timeout', code];
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO') return ['handshake-error', code];
  if (overTls && !connected && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) return ['handshake-error', code];
  if (
    code.startsWith('HPE_') ||
    code === 'HTTPParserError' ||
    code === 'UND_ERR_HEADERS_OVERFLOW' ||
    code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'
  )
    return ['protocol-error', code];
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED')
    return ['connection-closed', code];
  return ['unknown-error', code];
}
