/**
 * The dashboard in Chromium over a lab fleet scanned into a real store: login, the overview
 * figures equal the store's, the map has a point per facility, the drill-down reaches a finding's
 * remediation; anonymous visitors land on /login; a viewer has no way to start a scan.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { findings as catalogue } from '../../../src/knowledge/findings.ts';
import { scanFigures } from '../../../src/report/aggregate.ts';
import { dashboardSetup, launch, logIn, type DashboardSetup } from './helpers.ts';

let d: DashboardSetup;
let browser: Browser;

before(async () => {
  [d, browser] = await Promise.all([dashboardSetup({ hosts: 16, seed: 'dashboard-browser', offset: 11 }), launch()]);
});
after(async () => {
  await browser?.close();
  await d?.close();
});

const fmt = (n: number): string => n.toLocaleString('en-US');

test('anonymous navigation lands on /login, and the API answers 401', async () => {
  const page = await browser.newPage();
  for (const p of ['', 'scans', `scans/${d.scanId}`, 'scan/new', 'users']) {
    await page.goto(`${d.url}${p}`);
    assert.equal(new URL(page.url()).pathname, '/login', p);
  }
  const api = await page.request.get(`${d.url}api/scans`);
  assert.equal(api.status(), 401);
  await page.close();
});

test('after login the overview shows the store figures and a map point per facility', async () => {
  const page = await browser.newPage();
  await logIn(page, d.url, 'admin');
  const figs = await scanFigures(d.repo, d.scanId);
  const t = figs.total;
  assert.ok(t.endpoints > 0 && t.exposedEndpoints > 0 && t.patients > 0, 'the lab scan exposes something');
  const lb = t.cappedArchives > 0 ? '≥' : '';
  assert.equal(await page.textContent('#fig-systems'), fmt(t.endpoints));
  assert.equal(await page.textContent('#fig-exposed'), fmt(t.exposedEndpoints));
  assert.equal(await page.textContent('#fig-archives'), fmt(t.archivesExposed));
  assert.equal(await page.textContent('#fig-patients'), lb + fmt(t.patients));
  assert.equal(await page.textContent('#fig-studies'), lb + fmt(t.studies));
  assert.equal(await page.textContent('#fig-images'), lb + fmt(t.instances));
  assert.equal(await page.textContent('#headline'), figs.headline.text);
  for (const [level, n] of Object.entries(t.byExposure))
    assert.equal(await page.textContent(`[data-exposure-count="${level}"]`), fmt(n), level);

  const withCoords = figs.facilities.filter((f) => f.latitude !== null && f.longitude !== null).map((f) => f.id);
  assert.ok(withCoords.length > 0);
  const points = await page.$$eval('#map circle.pt', (els) => els.map((e) => e.getAttribute('data-facility')));
  assert.deepEqual([...points].sort(), [...withCoords].sort());
  const world = await page.$$eval('#map-world circle.pt', (els) => els.map((e) => e.getAttribute('data-facility')));
  assert.deepEqual([...world].sort(), [...withCoords].sort());
  // The basemaps are drawn (countries), and every regional point sits inside the frame.
  assert.ok(((await page.getAttribute('#map-world path.land', 'd')) ?? '').length > 10_000);
  assert.ok(((await page.getAttribute('#map path.land', 'd')) ?? '').length > 100);
  const xy = await page.$$eval('#map circle.pt', (els) =>
    els.map((e) => [Number(e.getAttribute('cx')), Number(e.getAttribute('cy'))]),
  );
  for (const [x, y] of xy) assert.ok(x! >= 0 && x! <= 960 && y! >= 0 && y! <= 500, `${x},${y}`);
  assert.ok((await page.$eval('#map', (e) => e.getBoundingClientRect().width)) > 100);
  assert.equal(await page.locator('#trend polyline').count(), 2);
  await page.close();
});

test('drill-down: facility → endpoint → finding with its remediation', async () => {
  const page = await browser.newPage();
  await logIn(page, d.url, 'viewer');
  let target: { host: string; port: number; findingId: string; facilityId: string } | null = null;
  for await (const f of d.repo.findings(d.scanId)) {
    const e = await d.repo.getEndpoint(d.scanId, f.host, f.port);
    const def = catalogue().findings.find((x) => x.id === f.findingId.split(':')[0]);
    if (e?.facilityId && def) {
      target = { host: f.host, port: f.port, findingId: f.findingId, facilityId: e.facilityId };
      break;
    }
  }
  assert.ok(target, 'the lab scan raised a catalogued finding');
  await page.click(`a.facility[href$="/facilities/${target.facilityId}"]`);
  assert.match(page.url(), new RegExp(`/facilities/${target.facilityId}$`));
  await page.click(`a.endpoint[href$="/endpoints/${target.host}/${target.port}"]`);
  assert.match(page.url(), new RegExp(`/endpoints/${target.host.replace(/\./g, '\\.')}/${target.port}$`));
  const def = catalogue().findings.find((x) => x.id === target.findingId.split(':')[0])!;
  const section = page.locator(`section.finding[id="finding-${target.findingId}"]`);
  assert.equal(await section.count(), 1);
  const remediation = await section.locator('ul.remediation li').allTextContents();
  assert.deepEqual(remediation, [...def.remediation]);
  await page.close();
});

test('a viewer sees no start button, and a forged POST with a valid CSRF token is refused', async () => {
  const page = await browser.newPage();
  await logIn(page, d.url, 'viewer');
  assert.equal(await page.locator('a[href="/scan/new"]').count(), 0);
  const res = await page.goto(`${d.url}scan/new`);
  assert.equal(res?.status(), 403);
  assert.equal(await page.locator('#start-lab').count(), 0);
  const token = await page.getAttribute('input[name="_csrf"]', 'value');
  assert.ok(token);
  const post = await page.request.post(`${d.url}scans`, { form: { target: 'lab', _csrf: token } });
  assert.equal(post.status(), 403);
  const api = await page.request.post(`${d.url}api/scans`, {
    form: { target: 'lab' },
    headers: { 'x-csrf-token': token },
  });
  assert.equal(api.status(), 403);
  assert.equal((await d.repo.listScans()).length, 1, 'no scan was started');
  await page.close();
});
