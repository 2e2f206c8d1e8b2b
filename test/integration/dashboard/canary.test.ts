/**
 * The privacy canary over the dashboard: a lab fleet whose archives answer queries with fake
 * patients (LAB^PATIENT…, LABPID…, UIDs under 2.25.31337…) is scanned into the store; then every
 * page and every API route is fetched as an admin — every scan, facility and endpoint page, the
 * exports, the error pages — and no fake patient value may appear in any response.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { LAB_CANARIES } from '../../../src/lab/archive.ts';
import { dashboardSetup, launch, logIn, PASSWORD, type DashboardSetup } from './helpers.ts';

let d: DashboardSetup;
let browser: Browser;

before(async () => {
  [d, browser] = await Promise.all([dashboardSetup({ hosts: 16, seed: 'dashboard-canary', offset: 14 }), launch()]);
});
after(async () => {
  await browser?.close();
  await d?.close();
});

const CANARIES = [...LAB_CANARIES, '2.25.31337'];

test('no page or API response carries a patient value', async () => {
  assert.ok(d.lab.lab.stats.findMatchesSent > 50, 'the lab did send patient data to the scanner');
  const page = await browser.newPage();
  await logIn(page, d.url, 'admin');
  const id = d.scanId;
  const urls = new Map<string, string[]>(); // route template → concrete URLs
  const add = (template: string, ...concrete: string[]): void => {
    urls.set(template, [...(urls.get(template) ?? []), ...concrete]);
  };
  add('/login', '/login');
  add('/', '/');
  add('/scans', '/scans');
  add('/scans/:id', `/scans/${id}`, `/scans/${id.slice(0, 8)}`, '/scans/00000000-nope');
  for (const f of await d.repo.listFacilities())
    add('/scans/:id/facilities/:fid', `/scans/${id}/facilities/${encodeURIComponent(f.id)}`);
  let endpoints = 0;
  for await (const e of d.repo.endpoints(id)) {
    add('/scans/:id/endpoints/:host/:port', `/scans/${id}/endpoints/${e.host}/${e.port}`);
    endpoints++;
  }
  add('/diff', '/diff', `/diff?a=${id}&b=${id}`);
  add('/scan/new', '/scan/new');
  add('/runs', '/runs');
  add('/runs/:id', '/runs/00000000-0000-0000-0000-000000000000');
  add('/users', '/users');
  add('/account', '/account');
  add('/api/me', '/api/me');
  add('/api/scans', '/api/scans');
  add('/api/scans/:id', `/api/scans/${id}`);
  add('/api/scans/:id/endpoints', `/api/scans/${id}/endpoints`);
  add('/api/scans/:id/export.json', `/api/scans/${id}/export.json`);
  add('/api/scans/:id/export.csv', `/api/scans/${id}/export.csv`);
  add('/api/trend', '/api/trend');
  add('/api/diff', `/api/diff?a=${id}&b=${id}`);
  add('/api/runs/:id', '/api/runs/00000000-0000-0000-0000-000000000000');
  // Every GET route of the app is covered.
  const gets = d.routes.filter((r) => r.method === 'GET').map((r) => r.url);
  assert.deepEqual(
    gets.filter((u) => !urls.has(u)),
    [],
    'GET routes not fetched',
  );

  let fetched = 0;
  let bytes = 0;
  let patientsShown = false;
  for (const [template, list] of urls) {
    for (const url of list) {
      const res = await page.request.get(`${d.url}${url.slice(1)}`);
      const body = await res.text();
      assert.ok([200, 404].includes(res.status()), `${url}: ${res.status()}`);
      for (const c of CANARIES) assert.equal(body.includes(c), false, `${template} (${url}) contains ${c}`);
      if (template === '/' && /id="fig-patients">[≥]?[1-9]/.test(body)) patientsShown = true;
      fetched++;
      bytes += body.length;
    }
  }
  // POST answers too: a failed login, a user created, a refused scan start.
  const token = await page.getAttribute('input[name="_csrf"]', 'value');
  const posts = [
    await page.request.post(`${d.url}users`, {
      form: { name: 'newcomer', role: 'viewer', password: PASSWORD, _csrf: token! },
    }),
    await page.request.post(`${d.url}api/scans`, { form: { target: 'nothing' }, headers: { 'x-csrf-token': token! } }),
  ];
  for (const res of posts) {
    const body = await res.text();
    for (const c of CANARIES) assert.equal(body.includes(c), false, `${res.url()} contains ${c}`);
  }
  assert.equal(posts[0]!.status(), 200);
  assert.equal(posts[1]!.status(), 400);
  assert.ok(patientsShown, 'the overview does show exposed patient counts');
  assert.ok(endpoints > 10 && fetched > endpoints + 20, `fetched ${fetched}`);
  console.log(`canary: ${fetched} responses, ${bytes} bytes, ${endpoints} endpoint pages, 0 hits`);
  await page.close();
});
