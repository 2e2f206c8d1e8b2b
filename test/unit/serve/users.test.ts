/** Passwords, the login throttle, first-run admin creation and `pacsmap serve` start-up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPassword, verifyPassword } from '../../../src/serve/passwords.ts';
import { LoginThrottle } from '../../../src/serve/throttle.ts';
import { authenticate, ensureAdmin, newUser } from '../../../src/serve/users.ts';
import { startServe } from '../../../src/cli/serve-command.ts';
import { openStore } from '../../../src/store/open.ts';

test('scrypt hashes are salted, verify only the right password, and refuse malformed input', async () => {
  const a = await hashPassword('a long passphrase');
  const b = await hashPassword('a long passphrase');
  assert.notEqual(a, b);
  assert.match(a, /^scrypt\$16384\$8\$1\$/);
  assert.ok(!a.includes('a long passphrase'));
  assert.equal(await verifyPassword('a long passphrase', a), true);
  assert.equal(await verifyPassword('a long passphrasE', a), false);
  for (const bad of [
    '',
    'scrypt$1$1$1$x$y',
    a.replace(/\$[^$]+$/, '$AAAA'),
    'bcrypt$...',
    'scrypt$99999999$8$1$c2FsdHNhbHQ$' + 'A'.repeat(43),
  ])
    assert.equal(await verifyPassword('a long passphrase', bad), false, bad);
});

test('the throttle blocks after 5 failures in a minute and forgets them after it', () => {
  let now = 1_000_000;
  const t = new LoginThrottle({ max: 5, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 4; i++) t.fail('1.1.1.1');
  assert.equal(t.retryAfterMs('1.1.1.1'), 0);
  t.fail('1.1.1.1');
  assert.ok(t.retryAfterMs('1.1.1.1') > 59_000);
  assert.equal(t.retryAfterMs('2.2.2.2'), 0);
  now += 60_001;
  assert.equal(t.retryAfterMs('1.1.1.1'), 0);
  const small = new LoginThrottle({ maxKeys: 2, now: () => now });
  small.fail('a');
  small.fail('b');
  small.fail('c');
  // Bounded: the oldest address was dropped.
  for (let i = 0; i < 4; i++) small.fail('c');
  assert.ok(small.retryAfterMs('c') > 0);
});

test('first run creates admin once: a generated password, or the one from the environment', async () => {
  const repo = await openStore(':memory:');
  try {
    const first = await ensureAdmin(repo, undefined);
    assert.equal(first.created, true);
    assert.ok(first.generatedPassword && first.generatedPassword.length >= 20);
    const admin = await repo.getUser('admin');
    assert.equal(admin?.role, 'admin');
    assert.ok(!admin!.passwordHash.includes(first.generatedPassword));
    assert.equal((await authenticate(repo, 'admin', first.generatedPassword))?.name, 'admin');
    assert.equal(await authenticate(repo, 'admin', 'wrong password!'), null);
    assert.deepEqual(await ensureAdmin(repo, 'another password'), { created: false, generatedPassword: null });
  } finally {
    await repo.close();
  }
  const repo2 = await openStore(':memory:');
  try {
    assert.deepEqual(await ensureAdmin(repo2, 'from the environment'), { created: true, generatedPassword: null });
    assert.ok(await authenticate(repo2, 'admin', 'from the environment'));
  } finally {
    await repo2.close();
  }
  await assert.rejects(newUser('bad name!', 'viewer', 'x'.repeat(20)));
  await assert.rejects(newUser('ok', 'viewer', 'short'));
});

test('pacsmap serve prints the generated admin password once, then never again', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-serve-'));
  const db = path.join(dir, 'store.db');
  const outs: string[] = [];
  const io = { out: (t: string) => void outs.push(t), err: () => {} };
  try {
    const s1 = await startServe(['--db', db, '--listen', '127.0.0.1:0', '--lab-dir', dir], io, {});
    assert.ok(s1);
    const printed = outs.join('');
    const m = /created user admin with password (\S+)/.exec(printed);
    assert.ok(m, printed);
    // The server answers, and anonymous requests go to the login page.
    const res = await fetch(s1.url, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/login');
    await s1.close();
    outs.length = 0;
    const s2 = await startServe(['--db', db, '--listen', '127.0.0.1:0'], io, {});
    await s2!.close();
    assert.equal(outs.join(''), '', 'nothing printed on the second start');
    const repo = await openStore(db);
    try {
      assert.ok(await authenticate(repo, 'admin', m[1]!));
      assert.equal((await repo.listUsers()).length, 1);
    } finally {
      await repo.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('over HTTPS (--tls-cert/--tls-key) the session cookie is Secure and HSTS is sent', async () => {
  const { labCertificate } = await import('../../../src/lab/certificate.ts');
  const { writeFile } = await import('node:fs/promises');
  const https = await import('node:https');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-serve-tls-'));
  try {
    const cert = await labCertificate(dir);
    await writeFile(path.join(dir, 'c.pem'), cert.certPem);
    await writeFile(path.join(dir, 'k.pem'), cert.keyPem);
    const io = { out: () => {}, err: () => {} };
    const args = ['--db', path.join(dir, 's.db'), '--listen', '127.0.0.1:0'];
    const s = await startServe(
      [...args, '--tls-cert', path.join(dir, 'c.pem'), '--tls-key', path.join(dir, 'k.pem')],
      io,
      {
        PACSMAP_ADMIN_PASSWORD: 'x'.repeat(16),
      },
    );
    assert.ok(s);
    assert.ok(s.url.startsWith('https://'));
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      https
        .get(`${s.url}login`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.headers);
        })
        .on('error', reject);
    });
    await s.close();
    const cookie = String(headers['set-cookie']);
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(String(headers['strict-transport-security']), /max-age=31536000/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the session store forgets expired sessions and keeps at most maxSessions', async () => {
  const { BoundedSessionStore } = await import('../../../src/serve/session-store.ts');
  let now = 1_000_000;
  const store = new BoundedSessionStore({ maxSessions: 3, now: () => now });
  const session = (expiresIn: number) => ({ cookie: { expires: new Date(now + expiresIn) } }) as never;
  const get = (id: string) => new Promise<unknown>((r) => store.get(id, (_e, s) => r(s)));
  const set = (id: string, s: never) => new Promise<void>((r) => store.set(id, s, () => r()));
  await set('a', session(1000));
  await set('b', session(60_000));
  await set('c', session(60_000));
  assert.ok(await get('a'));
  now += 2000;
  assert.equal(await get('a'), null, 'expired');
  await set('d', session(60_000));
  await set('e', session(60_000));
  assert.equal(store.size, 3);
  assert.equal(await get('b'), null, 'least recently written dropped');
  assert.ok(await get('e'));
});
