/**
 * The web probes' one way to talk to an endpoint: every request is scope-checked first,
 * bounded (body cap, deadlines from ctx.timeouts) and audited as soon as it ends.
 * Once the peer has shown it does not answer (refused, timed out, failed the TLS handshake),
 * later requests are not sent at all: a tarpit costs one deadline, not one per path.
 */
import { httpGet, type HttpResult } from '../../protocol/http/client.ts';
import type { TlsFacts } from '../../protocol/association/transport.ts';
import type { Status } from '../../protocol/status.ts';
import { assertInScope, auditProbe, type Endpoint, type ProbeContext } from '../probe.ts';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const FATAL: readonly Status[] = ['connection-refused', 'connection-timeout', 'io-timeout', 'handshake-error'];

export interface WebGetOptions {
  readonly auth?: { readonly user: string; readonly password: string };
  readonly headers?: Readonly<Record<string, string>>;
  readonly maxBodyBytes?: number;
}

export class WebSession {
  readonly ctx: ProbeContext;
  readonly ep: Endpoint;
  readonly maxBodyBytes: number;
  /** How many requests reached the network. */
  requests = 0;
  /** How many of them got an HTTP response (any status). */
  responses = 0;
  /** TLS facts of the first TLS session seen. */
  tls: TlsFacts | null = null;
  /** Set after a failure that says the peer will not answer; later requests are skipped. */
  private dead: { status: Status; detail: string } | null = null;

  constructor(ctx: ProbeContext, ep: Endpoint, maxBodyBytes = DEFAULT_MAX_BODY_BYTES) {
    this.ctx = ctx;
    this.ep = ep;
    this.maxBodyBytes = maxBodyBytes;
  }

  get answered(): boolean {
    return this.dead === null;
  }

  /** One GET; throws only OutOfScopeError (before any connection), which observe() turns into a status. */
  async get(probe: string, path: string, opts: WebGetOptions = {}): Promise<HttpResult> {
    assertInScope(this.ctx, this.ep.host);
    if (this.dead) {
      return {
        kind: 'failure',
        status: this.dead.status,
        detail: `not sent: peer already failed (${this.dead.detail})`,
        tls: null,
        timings: { connectMs: null, headersMs: null, totalMs: 0 },
      };
    }
    const startedAt = new Date().toISOString();
    this.requests++;
    const t = this.ctx.timeouts;
    const r = await httpGet(
      { host: this.ep.host, port: this.ep.port, tls: this.ep.tls, path },
      {
        ...(opts.auth ? { auth: opts.auth } : {}),
        ...(opts.headers ? { headers: opts.headers } : {}),
        connectTimeoutMs: t.connectMs,
        // A request is one exchange, like one DIMSE message: connect plus one message deadline.
        timeoutMs: t.connectMs + t.dimseMs,
        maxBodyBytes: opts.maxBodyBytes ?? this.maxBodyBytes,
      },
    );
    this.tls ??= r.tls;
    if (r.kind === 'response') this.responses++;
    if (r.kind === 'failure' && FATAL.includes(r.status)) this.dead = { status: r.status, detail: r.detail };
    // The audited path is ours (no query, no peer data); the HTTP status is a protocol fact.
    auditProbe(
      this.ctx,
      this.ep,
      {
        probe: `${probe} GET ${path.split('?')[0]}${opts.auth ? ' (credentials)' : ''}`,
        status: r.kind === 'response' ? 'success' : r.status,
        startedAt,
        durationMs: r.timings.totalMs,
      },
      null,
    );
    return r;
  }
}

/** Parses a JSON body in memory; null when it is not JSON (or was truncated). */
export function parseJson(body: Buffer, truncated: boolean): unknown {
  if (truncated) return null;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

export function isAuthChallenge(status: number): boolean {
  return status === 401 || status === 403;
}

/** The realm of a Basic/Digest challenge, bounded; a realm names a product, not a patient. */
export function authRealm(wwwAuthenticate: string | undefined): string | null {
  if (!wwwAuthenticate) return null;
  const m = /realm="([^"]{0,128})"/i.exec(wwwAuthenticate);
  return m ? (m[1] ?? null) : null;
}
