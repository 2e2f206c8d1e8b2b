/**
 * A TCP or TLS byte stream to one peer with the guards a scanner needs against hostile peers:
 * a connect deadline, a TLS handshake deadline, a per-connection byte budget, and a PDU reader
 * that never buffers more than one bounded PDU and never waits past a deadline.
 * On any deadline or violation the socket is destroyed, never politely ended.
 */
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { readPdu } from '../ul/codec.ts';
import type { Pdu } from '../ul/pdu.ts';
import { ProtocolError } from '../status.ts';

export interface TlsOptions {
  /** SNI name; omitted for IP literals. */
  readonly servername?: string | undefined;
  /** Scanners observe certificates; they do not trust or distrust them. Default false. */
  readonly rejectUnauthorized?: boolean | undefined;
  readonly ca?: string | Buffer | undefined;
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
}

export interface TransportOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: TlsOptions | undefined;
  readonly connectTimeoutMs: number;
  /** Largest PDU (header included) the reader accepts; larger declared lengths are a protocol error. */
  readonly maxPduBytes: number;
  /** Total bytes the peer may send on this connection before we give up on it. */
  readonly byteBudget: number;
}

/** Facts about a TLS session, as observed. Certificate facts are about the server, never about patients. */
export interface TlsFacts {
  readonly protocol: string | null;
  readonly cipher: string | null;
  readonly authorized: boolean;
  readonly authorizationError: string | null;
  readonly certificate: CertificateFacts | null;
}

export interface CertificateFacts {
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly fingerprint256: string;
  readonly selfSigned: boolean;
  readonly expired: boolean;
  readonly subjectAltName: string | null;
}

type Waiter = {
  resolve: (pdu: Pdu) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
};

export class Transport {
  readonly connectMs: number;
  readonly tlsFacts: TlsFacts | null;
  private readonly socket: net.Socket;
  private readonly maxPduBytes: number;
  private readonly byteBudget: number;
  private buffer: Buffer = Buffer.alloc(0);
  private received = 0;
  private sent = 0;
  private readonly queue: Pdu[] = [];
  private waiter: Waiter | null = null;
  private failure: ProtocolError | null = null;
  private closed = false;

  private constructor(socket: net.Socket, opts: TransportOptions, connectMs: number, tlsFacts: TlsFacts | null) {
    this.socket = socket;
    this.maxPduBytes = opts.maxPduBytes;
    this.byteBudget = opts.byteBudget;
    this.connectMs = connectMs;
    this.tlsFacts = tlsFacts;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.fail(new ProtocolError('connection-closed', 'peer closed the connection')));
    socket.on('close', () => {
      this.closed = true;
      this.fail(new ProtocolError('connection-closed', 'connection closed'));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const status = err.code === 'ETIMEDOUT' ? 'io-timeout' : 'connection-closed';
      this.fail(new ProtocolError(status, `socket error ${err.code ?? err.name}`));
    });
  }

  /** Opens the connection (and TLS session) within the connect deadline. */
  static async connect(opts: TransportOptions): Promise<Transport> {
    const started = performance.now();
    const socket = await openSocket(opts);
    const connectMs = performance.now() - started;
    const facts = socket instanceof tls.TLSSocket ? tlsFactsOf(socket) : null;
    socket.setNoDelay(true);
    return new Transport(socket, opts, connectMs, facts);
  }

  get bytesReceived(): number {
    return this.received;
  }

  get bytesSent(): number {
    return this.sent;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(bytes: Uint8Array): void {
    if (this.failure) throw this.failure;
    this.sent += bytes.length;
    this.socket.write(bytes);
  }

  /** The next PDU from the peer, or a ProtocolError: io-timeout at the deadline, connection-closed, protocol-error. */
  nextPdu(timeoutMs: number): Promise<Pdu> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new ProtocolError('unknown-error', 'concurrent PDU reads'));
    return new Promise<Pdu>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        const err = new ProtocolError('io-timeout', `no PDU within ${timeoutMs} ms`);
        this.fail(err);
        reject(err);
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  /** Flushes what was written, then closes. Bounded: destroys after `graceMs`. */
  async end(graceMs = 200): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, graceMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.closed = true;
    this.socket.destroy();
    this.fail(new ProtocolError('connection-closed', 'destroyed locally'));
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    this.received += chunk.length;
    if (this.received > this.byteBudget) {
      this.fail(new ProtocolError('protocol-error', `peer exceeded the byte budget of ${this.byteBudget} bytes`));
      this.socket.destroy();
      return;
    }
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const r = readPdu(this.buffer, this.maxPduBytes);
      if (r.kind === 'incomplete') return;
      if (r.kind === 'too-large') {
        this.fail(
          new ProtocolError(
            'protocol-error',
            `PDU type 0x${r.pduType.toString(16)} declares ${r.declaredLength} bytes, over the ${this.maxPduBytes} byte limit`,
          ),
        );
        this.socket.destroy();
        return;
      }
      if (r.kind === 'malformed') {
        this.fail(new ProtocolError('protocol-error', `malformed PDU: ${r.reason}`));
        this.socket.destroy();
        return;
      }
      this.buffer = this.buffer.subarray(r.bytesConsumed);
      this.deliver(r.pdu);
    }
  }

  private deliver(pdu: Pdu): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      clearTimeout(w.timer);
      w.resolve(pdu);
    } else {
      this.queue.push(pdu);
    }
  }

  private fail(err: ProtocolError): void {
    if (this.failure) return;
    this.failure = err;
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}

function openSocket(opts: TransportOptions): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    let settled = false;
    const socket: net.Socket = opts.tls
      ? tls.connect({
          host: opts.host,
          port: opts.port,
          servername: opts.tls.servername && net.isIP(opts.tls.servername) === 0 ? opts.tls.servername : undefined,
          rejectUnauthorized: opts.tls.rejectUnauthorized ?? false,
          ca: opts.tls.ca,
          cert: opts.tls.cert,
          key: opts.tls.key,
        })
      : net.connect({ host: opts.host, port: opts.port });
    let tcpUp = false;
    const done = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      if (opts.tls && tcpUp) {
        done(new ProtocolError('handshake-error', `TLS handshake failed: ${err.code ?? 'error'}`));
      } else {
        done(err);
      }
    };
    const timer = setTimeout(() => {
      done(
        opts.tls && tcpUp
          ? new ProtocolError('handshake-error', `TLS handshake not done within ${opts.connectTimeoutMs} ms`)
          : new ProtocolError('connection-timeout', `no connection within ${opts.connectTimeoutMs} ms`),
      );
    }, opts.connectTimeoutMs);
    socket.on('error', onError);
    socket.once('connect', () => {
      tcpUp = true;
      if (!opts.tls) done(null);
    });
    socket.once('close', () =>
      done(new ProtocolError(tcpUp ? 'connection-closed' : 'connection-refused', 'closed while connecting')),
    );
    if (opts.tls) socket.once('secureConnect', () => done(null));
  });
}

export function tlsFactsOf(socket: tls.TLSSocket): TlsFacts {
  const cert = socket.getPeerCertificate(false);
  const hasCert = cert && Object.keys(cert).length > 0;
  const cipher = socket.getCipher();
  const authErr = socket.authorizationError as unknown;
  return {
    protocol: socket.getProtocol() ?? null,
    cipher: cipher?.standardName ?? cipher?.name ?? null,
    authorized: socket.authorized,
    authorizationError: authErr === undefined || authErr === null ? null : String(authErr),
    certificate: hasCert ? certificateFacts(cert) : null,
  };
}

function dn(name: tls.PeerCertificate['subject'] | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}

function certificateFacts(cert: tls.PeerCertificate): CertificateFacts {
  const subject = dn(cert.subject);
  const issuer = dn(cert.issuer);
  const validTo = cert.valid_to;
  return {
    subject,
    issuer,
    validFrom: isoDate(cert.valid_from),
    validTo: isoDate(validTo),
    fingerprint256: cert.fingerprint256,
    selfSigned: subject === issuer,
    expired: Date.parse(validTo) < Date.now(),
    subjectAltName: cert.subjectaltname ?? null,
  };
}

function isoDate(text: string): string {
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : new Date(t).toISOString();
}
