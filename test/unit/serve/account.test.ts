/**
 * Accounts: every user changes their own password (knowing the current one), which ends their
 * other sessions; an admin removes users, whose sessions end at once; no one removes themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, PASSWORD, fixture, loggedIn } from './helpers.ts';

const NEW_PASSWORD = 'a much longer new secret';

test('a viewer changes their own password: other sessions end, this one goes on, the old password is dead', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  const here = await loggedIn(f.app, 'viewer');
  const elsewhere = await loggedIn(f.app, 'viewer');
  assert.equal((await elsewhere.request({ url: '/scans' })).statusCode, 200);

  const wrong = await here.request({
    method: 'POST',
    url: '/account/password',
    form: { current: 'not the password', password: NEW_PASSWORD, _csrf: await here.csrf('/account') },
  });
  assert.equal(wrong.statusCode, 403);
  const short = await here.request({
    method: 'POST',
    url: '/account/password',
    form: { current: PASSWORD, password: 'short', _csrf: await here.csrf('/account') },
  });
  assert.equal(short.statusCode, 400);
  const noCsrf = await here.request({
    method: 'POST',
    url: '/account/password',
    form: { current: PASSWORD, password: NEW_PASSWORD },
  });
  assert.equal(noCsrf.statusCode, 403);

  const ok = await here.request({
    method: 'POST',
    url: '/account/password',
    form: { current: PASSWORD, password: NEW_PASSWORD, _csrf: await here.csrf('/account') },
  });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /password changed/);
  assert.equal((await here.request({ url: '/scans' })).statusCode, 200, 'this session goes on');
  const other = await elsewhere.request({ url: '/scans' });
  assert.equal(other.statusCode, 302, 'the other session ended');
  assert.equal(other.headers.location, '/login');

  assert.equal((await new Client(f.app, '10.0.0.8').login('viewer', PASSWORD)).statusCode, 401);
  assert.equal((await new Client(f.app, '10.0.0.9').login('viewer', NEW_PASSWORD)).statusCode, 303);
});

test('an admin removes a user (their session ends at once) but not themselves; others cannot remove anyone', async (t) => {
  const f = await fixture();
  t.after(() => f.close());
  const admin = await loggedIn(f.app, 'admin');
  const operator = await loggedIn(f.app, 'operator');
  const viewer = await loggedIn(f.app, 'viewer');

  const refused = await operator.request({
    method: 'POST',
    url: '/users/viewer/delete',
    form: { _csrf: await operator.csrf('/scans') },
  });
  assert.equal(refused.statusCode, 403);
  const self = await admin.request({
    method: 'POST',
    url: '/users/admin/delete',
    form: { _csrf: await admin.csrf('/users') },
  });
  assert.equal(self.statusCode, 400);
  const noCsrf = await admin.request({ method: 'POST', url: '/users/viewer/delete', form: {} });
  assert.equal(noCsrf.statusCode, 403);

  const gone = await admin.request({
    method: 'POST',
    url: '/users/viewer/delete',
    form: { _csrf: await admin.csrf('/users') },
  });
  assert.equal(gone.statusCode, 200);
  assert.match(gone.body, /user viewer removed/);
  assert.equal(await f.repo.getUser('viewer'), null);
  assert.equal((await viewer.request({ url: '/scans' })).statusCode, 302, 'the removed user is out');
  const again = await admin.request({
    method: 'POST',
    url: '/users/viewer/delete',
    form: { _csrf: await admin.csrf('/users') },
  });
  assert.equal(again.statusCode, 404);
});
