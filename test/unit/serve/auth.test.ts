/** Dashboard access control over fastify's inject: no anonymous route, CSRF, roles, throttling, cookies, headers. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, PASSWORD, fixture, loggedIn, type Fixture } from './helpers.ts';
import type { ScanRun, ScanStarter, ScanTarget } from '../../../src/serve/scan-runner.ts';

const started: ScanTarget[] = [];
const fakeStarter: ScanStarter = {
  labAvailable: true,
  async start(target, startedBy) {
    started.push(target);
    const run: ScanRun = {
      id: `run-${started.length}`,
      target: target.kind,
      startedBy,
      startedAt: new Date().toISOString(),
      state: 'running',
      exitCode: null,
      scanId: null,
    };
    runs.set(run.id, run);
    return run;
  },
  get: (id) => runs.get(id),
  list: () => [...runs.values()],
};
const runs = new Map<string, ScanRun>();

let f: Fixture;
before(async () => {
  f = await fixture({ startScan: fakeStarter });
});
after(() => f?.close());

function concrete(url: string): string {
  return url
    .replace(':id', 'deadbeef-0000-0000-0000-000000000000')
    .replace(':fid', 'F1')
    .replace(':host', '127.0.0.1')
    .replace(':port', '104');
}

test('the app serves pages and API routes, and only the login form is public', () => {
  const pub = f.routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(pub.sort(), ['GET /login', 'POST /login']);
  assert.ok(f.routes.length >= 20, `routes: ${f.routes.length}`);
  assert.ok(f.routes.some((r) => r.url.startsWith('/api/')));
});

test('every non-public route refuses an anonymous request: pages redirect to /login, the API says 401', async () => {
  let checked = 0;
  for (const r of f.routes.filter((x) => !x.public)) {
    const res = await f.app.inject({
      method: r.method as 'GET' | 'POST',
      url: concrete(r.url),
      payload: r.method === 'POST' ? {} : undefined,
    });
    if (r.url.startsWith('/api/')) {
      assert.equal(res.statusCode, 401, `${r.method} ${r.url}`);
      assert.deepEqual(res.json(), { error: 'authentication required' });
    } else {
      assert.equal(res.statusCode, 302, `${r.method} ${r.url}`);
      assert.equal(res.headers.location, '/login');
    }
    checked++;
  }
  // Unknown paths too: nothing tells an anonymous visitor what exists.
  assert.equal((await f.app.inject({ url: '/no/such/page' })).statusCode, 302);
  assert.equal((await f.app.inject({ url: '/api/no/such' })).statusCode, 401);
  assert.ok(checked >= 20);
});

test('a forged session cookie is anonymous', async () => {
  const res = await f.app.inject({ url: '/', headers: { cookie: 'pacsmap_session=abc.def' } });
  assert.equal(res.statusCode, 302);
});

test('login: wrong password and unknown user fail alike; success rotates the session id', async () => {
  const c = new Client(f.app, '10.0.0.1');
  const token = await c.csrf();
  const before = c.cookie;
  assert.ok(before);
  const bad = await c.request({
    method: 'POST',
    url: '/login',
    form: { name: 'viewer', password: 'nope', _csrf: token },
  });
  assert.equal(bad.statusCode, 401);
  assert.match(bad.body, /wrong name or password/);
  const unknown = await c.request({
    method: 'POST',
    url: '/login',
    form: { name: 'ghost', password: 'nope', _csrf: await c.csrf() },
  });
  assert.equal(unknown.statusCode, 401);
  assert.match(unknown.body, /wrong name or password/);
  const preLogin = c.cookie;
  const ok = await c.login('viewer');
  assert.equal(ok.statusCode, 303);
  assert.equal(ok.headers.location, '/');
  assert.notEqual(c.cookie!.split('.')[0], preLogin!.split('.')[0], 'a new session id after login');
  // The pre-login session id is not logged in.
  const old = await f.app.inject({ url: '/', headers: { cookie: preLogin! } });
  assert.equal(old.statusCode, 302);
  assert.equal((await c.request({ url: '/api/me' })).json().name, 'viewer');
});

test('session cookie is HttpOnly and SameSite=Strict, not Secure over plain HTTP unless asked', async () => {
  const res = await f.app.inject({ url: '/login' });
  const raw = String(res.headers['set-cookie']);
  assert.match(raw, /^pacsmap_session=/);
  assert.match(raw, /; HttpOnly/);
  assert.match(raw, /; SameSite=Strict/);
  assert.doesNotMatch(raw, /; Secure/);
});

test('logout ends the session (POST with CSRF)', async () => {
  const c = await loggedIn(f.app, 'viewer');
  const session = c.cookie!;
  const token = await c.csrf('/');
  const res = await c.request({ method: 'POST', url: '/logout', form: { _csrf: token } });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/login');
  assert.equal((await f.app.inject({ url: '/', headers: { cookie: session } })).statusCode, 302);
});

test('CSRF: a POST without a token, or with a wrong one, is refused with 403', async () => {
  const c = await loggedIn(f.app, 'admin');
  const cases: { url: string; form?: Record<string, string>; headers?: Record<string, string> }[] = [
    { url: '/logout', form: {} },
    { url: '/logout', form: { _csrf: 'forged' } },
    { url: '/scans', form: { target: 'lab' } },
    { url: '/scans', form: { target: 'lab', _csrf: 'x'.repeat(40) } },
    { url: '/users', form: { name: 'mallory', role: 'admin', password: 'p'.repeat(20) } },
    { url: '/api/scans', form: { target: 'lab' } },
    { url: '/api/scans', form: { target: 'lab' }, headers: { 'x-csrf-token': 'forged' } },
  ];
  for (const k of cases) {
    const res = await c.request({ method: 'POST', ...k });
    assert.equal(res.statusCode, 403, `${k.url} ${JSON.stringify(k.form)}`);
  }
  assert.equal(started.length, 0, 'no scan was started');
  assert.equal(await f.users.getUser('mallory'), null);
  // A token from another session is wrong for this one.
  const other = new Client(f.app, '10.0.0.9');
  const foreign = await other.csrf();
  assert.equal((await c.request({ method: 'POST', url: '/logout', form: { _csrf: foreign } })).statusCode, 403);
  // The login form is protected too.
  const anon = new Client(f.app, '10.0.0.8');
  await anon.csrf();
  const res = await anon.request({ method: 'POST', url: '/login', form: { name: 'admin', password: PASSWORD } });
  assert.equal(res.statusCode, 403);
});

test('a viewer cannot start a scan (403) nor see the button; an operator can', async () => {
  const viewer = await loggedIn(f.app, 'viewer');
  const home = await viewer.request({ url: '/scans' });
  assert.equal(home.statusCode, 200);
  assert.doesNotMatch(home.body, /Start a scan/);
  assert.equal((await viewer.request({ url: '/scan/new' })).statusCode, 403);
  const token = await viewer.csrf('/');
  assert.equal(
    (await viewer.request({ method: 'POST', url: '/scans', form: { target: 'lab', _csrf: token } })).statusCode,
    403,
  );
  const api = await viewer.request({
    method: 'POST',
    url: '/api/scans',
    form: { target: 'lab' },
    headers: { 'x-csrf-token': token },
  });
  assert.equal(api.statusCode, 403);
  assert.equal(started.length, 0);

  const op = await loggedIn(f.app, 'operator');
  const page = await op.request({ url: '/scan/new' });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /id="start-lab"/);
  const t2 = await op.csrf('/scan/new');
  const res = await op.request({ method: 'POST', url: '/scans', form: { target: 'lab', _csrf: t2 } });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/runs/run-1');
  assert.deepEqual(started, [{ kind: 'lab' }]);
  assert.equal((await op.request({ url: '/runs/run-1' })).statusCode, 200);
  // Viewers do not see runs either.
  assert.equal((await viewer.request({ url: '/runs/run-1' })).statusCode, 403);
});

test('only an admin manages users', async () => {
  const op = await loggedIn(f.app, 'operator');
  assert.equal((await op.request({ url: '/users' })).statusCode, 403);
  const t = await op.csrf('/');
  const denied = await op.request({
    method: 'POST',
    url: '/users',
    form: { name: 'eve', role: 'admin', password: 'p'.repeat(20), _csrf: t },
  });
  assert.equal(denied.statusCode, 403);
  assert.equal(await f.users.getUser('eve'), null);
  const admin = await loggedIn(f.app, 'admin');
  const t2 = await admin.csrf('/users');
  const ok = await admin.request({
    method: 'POST',
    url: '/users',
    form: { name: 'dora', role: 'viewer', password: 'p'.repeat(20), _csrf: t2 },
  });
  assert.equal(ok.statusCode, 200);
  assert.equal((await f.users.getUser('dora'))?.role, 'viewer');
  const dup = await admin.request({
    method: 'POST',
    url: '/users',
    form: { name: 'dora', role: 'admin', password: 'p'.repeat(20), _csrf: await admin.csrf('/users') },
  });
  assert.equal(dup.statusCode, 400);
  assert.equal((await f.users.getUser('dora'))?.role, 'viewer');
  const short = await admin.request({
    method: 'POST',
    url: '/users',
    form: { name: 'flo', role: 'viewer', password: 'short', _csrf: await admin.csrf('/users') },
  });
  assert.equal(short.statusCode, 400);
  // The new user can log in.
  assert.equal((await new Client(f.app, '10.0.0.5').login('dora', 'p'.repeat(20))).statusCode, 303);
});

test('login is throttled per address after 5 failures, even for the right password; other addresses are not', async () => {
  const c = new Client(f.app, '10.0.0.66');
  for (let i = 0; i < 5; i++) assert.equal((await c.login('admin', `wrong-${i}`)).statusCode, 401);
  const blocked = await c.login('admin');
  assert.equal(blocked.statusCode, 429);
  assert.ok(Number(blocked.headers['retry-after']) >= 1);
  assert.equal((await new Client(f.app, '10.0.0.67').login('admin')).statusCode, 303);
});

test('security headers on pages, API answers and redirects', async () => {
  const admin = await loggedIn(f.app, 'admin');
  for (const res of [
    await f.app.inject({ url: '/login' }),
    await f.app.inject({ url: '/' }),
    await admin.request({ url: '/' }),
    await admin.request({ url: '/api/scans' }),
  ]) {
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
  }
  // The style nonce of the CSP is the one on the page's stylesheet, and differs per response.
  const a = await f.app.inject({ url: '/login' });
  const b = await f.app.inject({ url: '/login' });
  const nonce = /'nonce-([^']+)'/.exec(String(a.headers['content-security-policy']))![1]!;
  assert.ok(a.body.includes(`<style nonce="${nonce}">`));
  assert.ok(!b.body.includes(nonce));
  assert.doesNotMatch(a.body, /<script/i);
});

test('API clients get their CSRF token from /api/me; a second start while one runs is refused (409)', async () => {
  const op = await loggedIn(f.app, 'operator');
  const me = (await op.request({ url: '/api/me' })).json() as { name: string; role: string; csrfToken: string };
  assert.equal(me.role, 'operator');
  for (const r of runs.values()) r.state = 'finished';
  const before = started.length;
  const ok = await op.request({
    method: 'POST',
    url: '/api/scans',
    form: { target: 'lab' },
    headers: { 'x-csrf-token': me.csrfToken },
  });
  assert.equal(ok.statusCode, 202);
  assert.equal((ok.json() as { state: string }).state, 'running');
  const again = await op.request({
    method: 'POST',
    url: '/api/scans',
    form: { target: 'lab' },
    headers: { 'x-csrf-token': me.csrfToken },
  });
  assert.equal(again.statusCode, 409);
  assert.equal(started.length, before + 1);
});
