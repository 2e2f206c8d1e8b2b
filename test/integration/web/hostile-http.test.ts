/**
 * Hostile and odd HTTP peers (node:net / node:https servers on loopback): the web client and the
 * web scan end each at a deadline or a size bound, with a status, and never follow a peer
 * elsewhere. Also TLS certificate facts and the out-of-scope guard.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { httpGet } from '../../../src/protocol/http/client.ts';
import { scanWebEndpoint } from '../../../src/probes/web/scan-web-endpoint.ts';
import { WebSession } from '../../../src/probes/web/session.ts';
import { OutOfScopeError } from '../../../src/probes/probe.ts';
import { Scope } from '../../../src/scope/scope.ts';
import { makeSelfSignedCert } from '../../fixtures/peers/tls.ts';
import { testContext } from '../../helpers/probe-context.ts';

const servers: net.Server[] = [];
const dirs: string[] = [];
after(async () => {
  for (const s of servers) {
    (s as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    s.close();
  }
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Peer {
  port: number;
  connections: number;
  sockets: net.Socket[];
  closedAt: number[];
}

async function listen(onSocket: (s: net.Socket) => void): Promise<Peer> {
  const peer: Peer = { port: 0, connections: 0, sockets: [], closedAt: [] };
  const server = net.createServer((s) => {
    peer.connections++;
    peer.sockets.push(s);
    s.on('error', () => {});
    s.on('close', () => peer.closedAt.push(performance.now()));
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  peer.port = (server.address() as net.AddressInfo).port;
  return peer;
}

const target = (port: number, p = '/', tls = false) => ({ host: '127.0.0.1', port, tls, path: p });

/** Reads and discards what it is sent, never answers. */
const tarpit = (s: net.Socket): void => void s.resume();

test('tarpit: accepts, never answers → io-timeout at the deadline, connection destroyed', async () => {
  const peer = await listen(tarpit);
  const t0 = performance.now();
  const r = await httpGet(target(peer.port), { timeoutMs: 600, maxBodyBytes: 1024 });
  const elapsed = performance.now() - t0;
  assert.equal(r.kind, 'failure');
  assert.equal(r.status, 'io-timeout');
  assert.ok(elapsed >= 590 && elapsed < 1500, `ended after ${elapsed} ms`);
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(peer.closedAt.length, 1, 'our side closed the connection');
});

test('slow drip: one byte every 100 ms cannot outlive the overall deadline', async () => {
  const peer = await listen((s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n');
    const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write('x')), 100);
    s.on('close', () => clearInterval(t));
  });
  const t0 = performance.now();
  const r = await httpGet(target(peer.port), { timeoutMs: 700, maxBodyBytes: 1 << 20 });
  const elapsed = performance.now() - t0;
  assert.equal(r.status, 'io-timeout');
  assert.ok(elapsed < 1500, `ended after ${elapsed} ms`);
});

test('endless body: truncated at the cap, memory bounded, connection dropped', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  const peer = await listen((s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
    const pump = (): void => {
      while (!s.destroyed) {
        sent += chunk.length;
        if (!s.write(`${chunk.length.toString(16)}\r\n`) || !s.write(chunk) || !s.write('\r\n')) {
          s.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const cap = 256 * 1024;
  const r = await httpGet(target(peer.port), { timeoutMs: 5_000, maxBodyBytes: cap });
  assert.equal(r.kind, 'response');
  assert.ok(r.kind === 'response');
  assert.equal(r.truncated, true);
  assert.equal(r.body.length, cap);
  const heap1 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  assert.ok(heap1 - heap0 < 64 * 1024 * 1024, `memory grew by ${heap1 - heap0} bytes`);
  await new Promise((res) => setTimeout(res, 100));
  const sentThen = sent;
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(sent, sentThen, 'the peer can no longer push bytes to us');
  assert.equal(peer.closedAt.length, 1);
});

test('garbage instead of HTTP → protocol-error, no exception', async () => {
  const peer = await listen((s) => s.end('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\x00\xff\xfe garbage'));
  const r = await httpGet(target(peer.port), { timeoutMs: 2_000, maxBodyBytes: 1024 });
  assert.equal(r.kind, 'failure');
  assert.equal(r.status, 'protocol-error');
});

test('closed port → connection-refused; a web scan of it makes one attempt', async () => {
  const peer = await listen(() => {});
  const port = peer.port;
  await new Promise<void>((r) => servers.pop()!.close(() => r()));
  const r = await httpGet(target(port), { timeoutMs: 2_000, maxBodyBytes: 1024 });
  assert.equal(r.status, 'connection-refused');
  const ctx = testContext();
  const s = await scanWebEndpoint(ctx, { host: '127.0.0.1', port, tls: false }, { tryDefaultCredentials: true });
  assert.equal(s.result.service, null);
  assert.equal(s.result.status, 'connection-refused');
  assert.equal(ctx.auditLines.length, 1);
});

test('redirect to another host is a fact, never followed', async () => {
  const elsewhere = await listen((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  const peer = await listen((s) =>
    s.end(`HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2:${elsewhere.port}/steal\r\nContent-Length: 0\r\n\r\n`),
  );
  const r = await httpGet(target(peer.port), { timeoutMs: 2_000, maxBodyBytes: 1024 });
  assert.ok(r.kind === 'response');
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, `http://127.0.0.2:${elsewhere.port}/steal`);
  const ctx = testContext();
  const s = await scanWebEndpoint(
    ctx,
    { host: '127.0.0.1', port: peer.port, tls: false },
    { tryDefaultCredentials: false },
  );
  assert.equal(s.result.root?.redirect, 'other-origin');
  assert.equal(s.result.service, 'http');
  assert.equal(elsewhere.connections, 0, 'no connection to the redirect target');
  assert.ok(ctx.auditLines.every((a) => a.port === peer.port && a.host === '127.0.0.1'));
});

test('a web scan of a tarpit costs one deadline, not one per path', async () => {
  const peer = await listen(tarpit);
  const ctx = testContext({ timeouts: { connectMs: 300, dimseMs: 400 } });
  const t0 = performance.now();
  const s = await scanWebEndpoint(
    ctx,
    { host: '127.0.0.1', port: peer.port, tls: false },
    { tryDefaultCredentials: true },
  );
  const elapsed = performance.now() - t0;
  assert.equal(s.result.status, 'io-timeout');
  assert.equal(s.result.service, null);
  assert.equal(peer.connections, 1);
  assert.ok(elapsed < 1_500, `ended after ${elapsed} ms`);
});

test('out of scope: no connection is made, by the client session nor by the web scan', async () => {
  const peer = await listen((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  const ctx = testContext({ scope: new Scope().allow('10.0.0.0/8') });
  const ep = { host: '127.0.0.1', port: peer.port, tls: false };
  const s = await scanWebEndpoint(ctx, ep, { tryDefaultCredentials: true });
  assert.notEqual(s.result.status, 'success');
  assert.equal(s.result.service, null);
  assert.match(s.observations[0]?.detail ?? '', /outside the authorised scope/);
  await assert.rejects(new WebSession(ctx, ep).get('web.test', '/'), OutOfScopeError);
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(peer.connections, 0);
  assert.equal(ctx.auditLines.length, 0);
});

test('TLS: certificate facts of a self-signed HTTPS server are captured; plaintext on a TLS port falls back to TLS', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-webtls-'));
  dirs.push(dir);
  const cert = await makeSelfSignedCert(dir, { commonName: 'pacs-web.example', keyType: 'ec' });
  const server = https.createServer(
    { key: await readFile(cert.keyFile), cert: cert.certPem },
    (_req, res) =>
      void res.writeHead(200, { 'content-type': 'text/html', server: 'FixtureHttpd/1.0' }).end('<html></html>'),
  );
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;

  const r = await httpGet(target(port, '/', true), { timeoutMs: 3_000, maxBodyBytes: 1024 });
  assert.ok(r.kind === 'response');
  assert.equal(r.status, 200);
  const c = r.tls?.certificate;
  assert.ok(c);
  assert.equal(c.fingerprint256, cert.fingerprint256);
  assert.equal(c.selfSigned, true);
  assert.equal(c.expired, false);
  assert.match(c.subject, /CN=pacs-web\.example/);
  assert.match(c.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.equal(r.tls?.authorized, false);
  assert.match(r.tls?.protocol ?? '', /^TLSv1\.[23]$/);
  assert.equal(new Date(c.validTo).getTime(), cert.notAfter.getTime());

  for (const tls of [true, false]) {
    const ctx = testContext();
    const s = await scanWebEndpoint(ctx, { host: '127.0.0.1', port, tls }, { tryDefaultCredentials: false });
    assert.equal(s.result.service, 'https', `ep.tls=${tls}`);
    assert.equal(s.result.tls?.certificate?.fingerprint256, cert.fingerprint256);
    assert.ok(s.result.exposure.includes('tls-certificate-self-signed'));
    assert.ok(!s.result.exposure.includes('plaintext-http'));
    assert.equal(s.result.server.header, 'FixtureHttpd/1.0');
    // A catch-all server answers 200 everywhere: path-only viewer fingerprints must not fire.
    assert.deepEqual(s.result.viewers, []);
  }
});

test('a caller abort ends the request at once; IPv6 loopback targets work', async () => {
  const peer = await listen(tarpit);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const t0 = performance.now();
  const r = await httpGet(target(peer.port), { timeoutMs: 5_000, maxBodyBytes: 1024, signal: ac.signal });
  assert.equal(r.status, 'unknown-error');
  assert.ok(performance.now() - t0 < 1_000);

  const server = net.createServer((s) => s.end('HTTP/1.1 204 No Content\r\nServer: v6\r\n\r\n'));
  servers.push(server);
  await new Promise<void>((res) => server.listen(0, '::1', res));
  const port = (server.address() as net.AddressInfo).port;
  const v6 = await httpGet({ host: '::1', port, tls: false, path: '/' }, { timeoutMs: 2_000, maxBodyBytes: 1024 });
  assert.ok(v6.kind === 'response');
  assert.equal(v6.status, 204);
  assert.equal(v6.headers.server, 'v6');
});

test('a peer that hangs up at once: no web service, and two connections (HTTP, then TLS), not one per path', async () => {
  let hits = 0;
  const server = net.createServer((s) => {
    hits += 1;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const ctx = testContext();
    const r = await scanWebEndpoint(ctx, { host: '127.0.0.1', port, tls: false }, { tryDefaultCredentials: false });
    assert.equal(r.result.service, null);
    assert.equal(hits, 2);
    assert.equal(ctx.auditLines.length, 2);
  } finally {
    server.close();
  }
});
