/**
 * The dashboard: a fastify app rendering pages server-side (no script, no CDN, no fetch) and a
 * small JSON API, all behind a login. Sessions live in @fastify/session's in-memory store: one
 * server process only (a restart logs everyone out; several instances would not share sessions).
 *
 * Layers, in order: security headers (helmet; CSP with a per-response style nonce, no script
 * allowed), session, authentication (every route but the login form: pages → 302 /login, API →
 * 401), role checks per route, CSRF on every POST. Nothing here reads a patient value: pages show
 * the store's counts, booleans and categories, and every stored string is escaped.
 */
import { distributedSettings, type DistributedProgress } from '../distributed/progress.ts';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import { exportScanCsv, exportScanJson } from '../report/export.ts';
import { ScanLookupError, resolveScan } from '../report/scans.ts';
import { StoreError, type Repository, type ScanRecord, type UserRecord, type UserRole } from '../store/repository.ts';
import { LoginThrottle, type ThrottleOptions } from './throttle.ts';
import { BoundedSessionStore } from './session-store.ts';
import { authenticate, isRole, newUser, passwordStamp, roleAllows, type UserDirectory } from './users.ts';
import type { ScanStarter } from './scan-runner.ts';
import * as pages from './pages.ts';
import { scanFigures } from '../report/aggregate.ts';
import { diffScans, previousScan, scopeKeyOf, trend } from '../report/diff.ts';
import { endpointApiView } from './pages.ts';

declare module 'fastify' {
  interface FastifyRequest {
    user: UserRecord | null;
  }
  interface FastifyReply {
    nonce: string;
  }
  interface Session {
    user?: string;
    /** passwordStamp() of the password this session logged in with. */
    pw?: string;
  }
}

export interface DashboardOptions {
  readonly repo: Repository;
  /** Where users live; defaults to `repo` (tests may pass another). */
  readonly users?: UserDirectory;
  /** Signs session cookies; at least 32 characters. Default: random per process. */
  readonly sessionSecret?: string;
  /** Secure cookie flag (HTTPS, or a TLS proxy in front with --secure-cookies). */
  readonly secureCookies: boolean;
  /** Starts scans (operator); absent: starting scans is not offered. */
  readonly startScan?: ScanStarter;
  readonly throttle?: ThrottleOptions;
  /** Sessions kept in memory at most (default 10 000; the least recently written goes first). */
  readonly maxSessions?: number;
  /** Session lifetime (default 8 h). */
  readonly sessionMaxAgeMs?: number;
  /** fastify's https options when serving TLS directly. */
  readonly https?: { key: string; cert: string } | null;
  readonly logger?: boolean;
  /** Shard progress of distributed scans (PostgreSQL stores with workers): by scan id. */
  readonly shardProgress?: (scanIds: readonly string[]) => Promise<ReadonlyMap<string, DistributedProgress>>;
}

export interface Dashboard {
  readonly app: FastifyInstance;
  /** Every route the app serves (method and URL), for tests that must cover them all. */
  readonly routes: readonly { method: string; url: string; public: boolean }[];
}

const PUBLIC = new Set(['GET /login', 'POST /login']);
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

class HttpError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.statusCode = statusCode;
  }
}

function isApi(req: FastifyRequest): boolean {
  return req.url === '/api' || req.url.startsWith('/api/');
}

export async function buildDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { repo } = options;
  const users: UserDirectory = options.users ?? repo;
  const secret = options.sessionSecret ?? randomBytes(32).toString('base64url');
  if (secret.length < 32) throw new Error('the session secret needs at least 32 characters');
  const throttle = new LoginThrottle(options.throttle);
  const starter = options.startScan ?? null;

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 16 * 1024,
    ...(options.https ? { https: options.https } : {}),
  }) as unknown as FastifyInstance;
  const routes: { method: string; url: string; public: boolean }[] = [];
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods)
      if (m !== 'HEAD') routes.push({ method: m, url: r.url, public: PUBLIC.has(`${m} ${r.url}`) });
  });

  app.decorateRequest('user', null);
  app.decorateReply('nonce', '');
  // The nonce must exist before helmet builds the CSP header (both onRequest, in this order).
  app.addHook('onRequest', async (_req, reply) => {
    reply.nonce = randomBytes(16).toString('base64');
    (reply.raw as unknown as { pacsmapNonce: string }).pacsmapNonce = reply.nonce;
  });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'none'"],
        styleSrc: [(_req: unknown, res: unknown) => `'nonce-${(res as { pacsmapNonce: string }).pacsmapNonce}'`],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    hsts: options.https ? { maxAge: 31_536_000 } : false,
  });
  await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret,
    cookieName: 'pacsmap_session',
    saveUninitialized: false,
    store: new BoundedSessionStore({ maxSessions: options.maxSessions ?? 10_000 }),
    cookie: {
      httpOnly: true,
      sameSite: 'strict',
      secure: options.secureCookies,
      path: '/',
      maxAge: options.sessionMaxAgeMs ?? 8 * 3600_000,
    },
  });
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });

  // Authentication: the user is re-read on every request, so a removed user is out at once.
  app.addHook('onRequest', async (req, reply) => {
    const key = `${req.method === 'HEAD' ? 'GET' : req.method} ${req.routeOptions.url ?? ''}`;
    if (PUBLIC.has(key)) return;
    const name = req.session.get('user');
    req.user = typeof name === 'string' ? await users.getUser(name) : null;
    // A password changed since this session logged in ends it.
    if (req.user && req.session.get('pw') !== passwordStamp(req.user.passwordHash)) req.user = null;
    if (req.user) return;
    if (isApi(req)) return reply.code(401).send({ error: 'authentication required' });
    return reply.redirect('/login', 302);
  });
  // CSRF on every state-changing request (the token in the form's _csrf field or an x-csrf-token header).
  app.addHook('preHandler', (req, reply, done) => {
    if (MUTATING.has(req.method)) app.csrfProtection(req, reply, done);
    else done();
  });

  app.setErrorHandler((err: { statusCode?: number; message?: string }, req, reply) => {
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    // Our own messages for 4xx; a 5xx says nothing about its cause (which could quote a store error).
    const message = status >= 500 ? 'internal error' : (err.message ?? 'error');
    if (status >= 500) req.log.error({ err }, 'request failed');
    reply.code(status);
    if (isApi(req)) return reply.send({ error: message });
    return reply.type('text/html; charset=utf-8').send(pages.errorPage(status, message, ctx(req, reply)));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404);
    if (isApi(req)) return reply.send({ error: 'not found' });
    return reply.type('text/html; charset=utf-8').send(pages.errorPage(404, 'not found', ctx(req, reply)));
  });

  function ctx(req: FastifyRequest, reply: FastifyReply, refreshSeconds?: number): pages.Ctx {
    return {
      nonce: reply.nonce,
      user: req.user,
      csrf: req.user ? reply.generateCsrf() : '',
      starter,
      ...(refreshSeconds ? { refreshSeconds } : {}),
    };
  }

  function html(reply: FastifyReply, body: string): FastifyReply {
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  }

  function need(req: FastifyRequest, role: UserRole): void {
    if (!req.user || !roleAllows(req.user.role, role)) throw new HttpError(403, `this needs the ${role} role`);
  }

  async function scanById(id: string): Promise<ScanRecord> {
    try {
      return await resolveScan(repo, id);
    } catch (err) {
      if (err instanceof ScanLookupError) throw new HttpError(404, 'no such scan');
      throw err;
    }
  }

  async function latestScan(): Promise<ScanRecord | null> {
    return (await repo.listScans())[0] ?? null;
  }

  // ─── login / logout ────────────────────────────────────────────────────────
  app.get('/login', async (req, reply) => {
    const csrf = reply.generateCsrf();
    return html(reply, pages.loginPage({ nonce: reply.nonce, user: null, csrf, starter }, null));
  });

  app.post('/login', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const wait = throttle.retryAfterMs(req.ip);
    const again = (status: number, message: string): FastifyReply =>
      html(
        reply.code(status),
        pages.loginPage({ nonce: reply.nonce, user: null, csrf: reply.generateCsrf(), starter }, message),
      );
    if (wait > 0) {
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return again(429, 'too many failed logins from your address: wait a minute');
    }
    const name = typeof body.name === 'string' ? body.name : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const user = await authenticate(users, name, password);
    if (!user) {
      throttle.fail(req.ip);
      return again(401, 'wrong name or password');
    }
    throttle.succeed(req.ip);
    // A fresh session id at login: a session fixed before login is worth nothing after it.
    await req.session.regenerate();
    req.session.set('user', user.name);
    req.session.set('pw', passwordStamp(user.passwordHash));
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (req, reply) => {
    await req.session.destroy();
    return reply.redirect('/login', 303);
  });

  // ─── pages ─────────────────────────────────────────────────────────────────
  app.get('/', async (req, reply) => {
    const scan = await latestScan();
    if (!scan) return html(reply, pages.noScanPage(ctx(req, reply)));
    return html(
      reply,
      pages.overviewPage(scan, await scanFigures(repo, scan.id), await trend(repo, scopeKeyOf(scan)), ctx(req, reply)),
    );
  });

  app.get('/scans', async (req, reply) => {
    const scans = await repo.listScans();
    const distributed = scans.filter((s) => distributedSettings(s.settings) !== null).map((s) => s.id);
    const shards =
      options.shardProgress && distributed.length > 0
        ? await options.shardProgress(distributed)
        : new Map<string, DistributedProgress>();
    return html(reply, pages.scansPage(scans, ctx(req, reply), shards));
  });

  app.get<{ Params: { id: string } }>('/scans/:id', async (req, reply) => {
    const scan = await scanById(req.params.id);
    return html(
      reply,
      pages.overviewPage(scan, await scanFigures(repo, scan.id), await trend(repo, scopeKeyOf(scan)), ctx(req, reply)),
    );
  });

  app.get<{ Params: { id: string; fid: string } }>('/scans/:id/facilities/:fid', async (req, reply) => {
    const scan = await scanById(req.params.id);
    const facility = await repo.getFacility(req.params.fid);
    if (!facility) throw new HttpError(404, 'no such facility');
    const endpoints = [];
    for await (const e of repo.endpoints(scan.id, { facilityId: facility.id })) endpoints.push(e);
    return html(reply, await pages.facilityPage(repo, scan, facility, endpoints, ctx(req, reply)));
  });

  app.get<{ Params: { id: string; host: string; port: string } }>(
    '/scans/:id/endpoints/:host/:port',
    async (req, reply) => {
      const scan = await scanById(req.params.id);
      const endpoint = await repo.getEndpoint(scan.id, req.params.host, Number(req.params.port));
      if (!endpoint) throw new HttpError(404, 'no such endpoint');
      const findings = [];
      for await (const f of repo.findings(scan.id, { host: endpoint.host, port: endpoint.port })) findings.push(f);
      const facility = endpoint.facilityId ? await repo.getFacility(endpoint.facilityId) : null;
      return html(reply, pages.endpointPage(scan, endpoint, findings, facility, ctx(req, reply)));
    },
  );

  /** The scans asked for, else the latest and the previous scan of its scope (else the one before it). */
  async function diffPair(q: { a?: string; b?: string }): Promise<[ScanRecord, ScanRecord] | null> {
    if (q.a && q.b) return [await scanById(q.a), await scanById(q.b)];
    const scans = await repo.listScans();
    const latest = scans[0];
    if (!latest) return null;
    const before = (await previousScan(repo, latest)) ?? scans[1];
    return before ? [before, latest] : null;
  }

  async function facilityNames(): Promise<Map<string, string>> {
    return new Map((await repo.listFacilities()).map((f) => [f.id, f.name]));
  }

  app.get<{ Querystring: { a?: string; b?: string } }>('/diff', async (req, reply) => {
    const pair = await diffPair(req.query);
    const scans = await repo.listScans();
    const diff = pair ? await diffScans(repo, pair[0].id, pair[1].id) : null;
    return html(reply, pages.diffPage(scans, pair, diff, await facilityNames(), ctx(req, reply)));
  });

  app.get('/scan/new', async (req, reply) => {
    need(req, 'operator');
    return html(reply, pages.newScanPage(await repo.listFacilities(), ctx(req, reply)));
  });

  async function startFrom(req: FastifyRequest, body: Record<string, unknown>) {
    need(req, 'operator');
    if (!starter) throw new HttpError(503, 'starting scans is not configured on this server');
    // One dashboard-started scan at a time: a second click must not double the load on the targets.
    if (starter.list().some((r) => r.state === 'running'))
      throw new HttpError(409, 'a scan started here is still running');
    const target = body.target;
    if (target === 'lab') {
      if (!starter.labAvailable) throw new HttpError(400, 'no lab registry configured (--lab-dir)');
      return starter.start({ kind: 'lab' }, req.user!.name);
    }
    if (target === 'facility' && typeof body.facility === 'string') {
      const facility = await repo.getFacility(body.facility);
      if (!facility) throw new HttpError(400, 'no such facility');
      return starter.start({ kind: 'facility', facility }, req.user!.name);
    }
    throw new HttpError(400, 'say target=lab, or target=facility and facility=ID');
  }

  app.post('/scans', async (req, reply) => {
    const run = await startFrom(req, (req.body ?? {}) as Record<string, unknown>);
    return reply.redirect(`/runs/${encodeURIComponent(run.id)}`, 303);
  });

  app.get('/runs', async (req, reply) => {
    need(req, 'operator');
    return html(reply, pages.runsPage(starter?.list() ?? [], ctx(req, reply)));
  });

  app.get<{ Params: { id: string } }>('/runs/:id', async (req, reply) => {
    need(req, 'operator');
    const run = starter?.get(req.params.id);
    if (!run) throw new HttpError(404, 'no such run');
    const scan = run.scanId ? await repo.getScan(run.scanId) : null;
    const running = run.state === 'running' || scan?.status === 'running';
    return html(reply, pages.runPage(run, scan, ctx(req, reply, running ? 2 : undefined)));
  });

  app.get('/users', async (req, reply) => {
    need(req, 'admin');
    return html(reply, pages.usersPage(await users.listUsers(), null, ctx(req, reply)));
  });

  app.post('/users', async (req, reply) => {
    need(req, 'admin');
    const body = (req.body ?? {}) as Record<string, unknown>;
    let message: string;
    let status = 200;
    try {
      if (!isRole(body.role)) throw new Error('pick a role');
      const user = await newUser(String(body.name ?? ''), body.role, String(body.password ?? ''));
      await users.createUser(user);
      message = `user ${user.name} created (${user.role})`;
    } catch (err) {
      status = 400;
      message = err instanceof StoreError ? 'that name is taken' : (err as Error).message;
    }
    return html(reply.code(status), pages.usersPage(await users.listUsers(), message, ctx(req, reply)));
  });

  app.post<{ Params: { name: string } }>('/users/:name/delete', async (req, reply) => {
    need(req, 'admin');
    const name = req.params.name;
    let message: string;
    let status = 200;
    if (name === req.user!.name) {
      status = 400;
      message = 'you cannot remove yourself';
    } else if (await users.deleteUser(name)) {
      // Their sessions end at their next request: the user is re-read on every one.
      message = `user ${name} removed`;
    } else {
      status = 404;
      message = 'no such user';
    }
    return html(reply.code(status), pages.usersPage(await users.listUsers(), message, ctx(req, reply)));
  });

  app.get('/account', async (req, reply) => html(reply, pages.accountPage(null, ctx(req, reply))));

  app.post('/account/password', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const me = req.user!;
    const current = typeof body.current === 'string' ? body.current : '';
    const next = typeof body.password === 'string' ? body.password : '';
    const again = (status: number, message: string): FastifyReply =>
      html(reply.code(status), pages.accountPage(message, ctx(req, reply)));
    if (!(await authenticate(users, me.name, current))) return again(403, 'the current password is wrong');
    let updated: UserRecord;
    try {
      updated = await newUser(me.name, me.role, next);
    } catch (err) {
      return again(400, (err as Error).message);
    }
    await users.setUserPassword(me.name, updated.passwordHash);
    // This session goes on under the new password; every other one of this user ends.
    await req.session.regenerate();
    req.session.set('user', me.name);
    req.session.set('pw', passwordStamp(updated.passwordHash));
    req.user = { ...me, passwordHash: updated.passwordHash };
    return again(200, 'password changed; your other sessions are logged out');
  });

  // ─── API ───────────────────────────────────────────────────────────────────
  // The CSRF token API clients send back in an x-csrf-token header on POST.
  app.get('/api/me', async (req, reply) => ({
    name: req.user!.name,
    role: req.user!.role,
    csrfToken: reply.generateCsrf(),
  }));

  app.get('/api/scans', async () => (await repo.listScans()).map(pages.scanApiView));

  app.get<{ Params: { id: string } }>('/api/scans/:id', async (req) => {
    const scan = await scanById(req.params.id);
    return pages.figuresApiView(scan, await scanFigures(repo, scan.id));
  });

  app.get<{ Params: { id: string } }>('/api/scans/:id/endpoints', async (req) => {
    const scan = await scanById(req.params.id);
    const out = [];
    for await (const e of repo.endpoints(scan.id)) {
      const fs = [];
      for await (const f of repo.findings(scan.id, { host: e.host, port: e.port })) fs.push(f);
      out.push(endpointApiView(e, fs));
    }
    return out;
  });

  function streamExport(
    reply: FastifyReply,
    type: string,
    run: (write: (chunk: string) => Promise<void>) => Promise<void>,
  ): FastifyReply {
    const stream = new PassThrough();
    const write = async (chunk: string): Promise<void> => {
      if (!stream.write(chunk)) await once(stream, 'drain');
    };
    run(write).then(
      () => stream.end(),
      (err: unknown) => stream.destroy(err as Error),
    );
    return reply.type(type).header('cache-control', 'no-store').send(stream);
  }

  app.get<{ Params: { id: string } }>('/api/scans/:id/export.json', async (req, reply) => {
    const scan = await scanById(req.params.id);
    reply.header('content-disposition', `attachment; filename="pacsmap-${scan.id}.json"`);
    return streamExport(reply, 'application/json', (w) => exportScanJson(repo, scan.id, w));
  });

  app.get<{ Params: { id: string } }>('/api/scans/:id/export.csv', async (req, reply) => {
    const scan = await scanById(req.params.id);
    reply.header('content-disposition', `attachment; filename="pacsmap-${scan.id}.csv"`);
    return streamExport(reply, 'text/csv; charset=utf-8', (w) => exportScanCsv(repo, scan.id, w));
  });

  /** The trend of one scan's scope (default: the latest scan's). */
  app.get<{ Querystring: { scan?: string } }>('/api/trend', async (req) => {
    const scan = req.query.scan ? await scanById(req.query.scan) : await latestScan();
    return scan ? trend(repo, scopeKeyOf(scan)) : [];
  });

  app.get<{ Querystring: { a?: string; b?: string } }>('/api/diff', async (req) => {
    const pair = await diffPair(req.query);
    if (!pair) throw new HttpError(404, 'two scans are needed');
    return diffScans(repo, pair[0].id, pair[1].id);
  });

  app.post('/api/scans', async (req, reply) => {
    const run = await startFrom(req, (req.body ?? {}) as Record<string, unknown>);
    return reply.code(202).send(run);
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (req) => {
    need(req, 'operator');
    const run = starter?.get(req.params.id);
    if (!run) throw new HttpError(404, 'no such run');
    const scan = run.scanId ? await repo.getScan(run.scanId) : null;
    return { ...run, scan: scan ? pages.scanApiView(scan) : null };
  });

  await app.ready();
  return { app, routes };
}
