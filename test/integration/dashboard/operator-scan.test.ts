/**
 * An operator starts a scan of the lab from the browser: the dashboard runs `pacsmap scan` as a
 * child process against the lab registry, the run page follows its progress from the store
 * (reloading itself, no script), and the finished scan becomes the overview's latest.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { dashboardSetup, launch, logIn, type DashboardSetup } from './helpers.ts';

let d: DashboardSetup;
let browser: Browser;

before(async () => {
  [d, browser] = await Promise.all([dashboardSetup({ hosts: 8, seed: 'dashboard-operator', offset: 12 }), launch()]);
});
after(async () => {
  await browser?.close();
  await d?.close();
});

test('an operator starts a lab scan and sees it finish', async () => {
  const page = await browser.newPage();
  await logIn(page, d.url, 'operator');
  await page.click('a[href="/scan/new"]');
  await Promise.all([page.waitForURL(/\/runs\/[0-9a-f-]{36}$/), page.click('#start-lab')]);
  // The page reloads itself every 2 s while the scan runs.
  // (A function, not a string: the pages' CSP forbids eval, which playwright would need for a string.)
  type Doc = { querySelector(s: string): { textContent: string | null } | null };
  await page.waitForFunction(
    () => (globalThis as unknown as { document: Doc }).document.querySelector('#run-state')?.textContent === 'finished',
    null,
    { timeout: 25_000, polling: 250 },
  );
  const scans = await d.repo.listScans();
  assert.equal(scans.length, 2);
  const latest = scans[0]!;
  assert.notEqual(latest.id, d.scanId);
  assert.equal(latest.status, 'finished');
  assert.equal(await page.getAttribute('#run-scan', 'href'), `/scans/${latest.id}`);
  assert.match((await page.textContent('#run-progress')) ?? '', /^100\.0% /);
  // The new scan saw the same fleet as the first.
  const first = await d.repo.getScan(d.scanId);
  assert.equal(latest.counts.endpoints, first!.counts.endpoints);
  assert.match(latest.scope, /facilities/);
  // The overview now shows the new scan.
  await page.goto(d.url);
  assert.ok((await page.locator(`a[href="/scans/${latest.id}"]`).count()) > 0);
  // Two scans of the same registry: the trend has two points, and the diff compares them.
  const trend = (await (await page.request.get(`${d.url}api/trend`)).json()) as { scan: { id: string } }[];
  assert.deepEqual(
    trend.map((p) => p.scan.id),
    [d.scanId, latest.id],
  );
  assert.equal(await page.locator('#trend polyline').count(), 2);
  await page.click('a[href="/diff"]');
  assert.ok((await page.locator(`a[href="/scans/${d.scanId}"]`).count()) > 0);
  const total = await page.$$eval('[data-change]', (els) => els.reduce((a, e) => a + Number(e.textContent), 0));
  assert.equal(total, latest.counts.endpoints, 'every endpoint is classified once');
  await page.close();
});
