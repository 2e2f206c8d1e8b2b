/**
 * A dashboard over a real store: a lab fleet on a private 127.x subnet, scanned by the real
 * command, and the server listening on 127.0.0.1 with a child-process scan starter. Chromium is
 * Debian's (/usr/bin/chromium), driven by playwright-core (which never downloads a browser).
 */
import path from 'node:path';
import net from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildDashboard } from '../../../src/serve/app.ts';
import { childScanStarter } from '../../../src/serve/scan-runner.ts';
import { newUser } from '../../../src/serve/users.ts';
import { openStore } from '../../../src/store/open.ts';
import type { Repository } from '../../../src/store/repository.ts';
import { labSetup, pacsmap, subnetByte, type LabSetup } from '../fleet/helpers.ts';

export const PASSWORD = 'dashboard test password';
export const CHROMIUM = '/usr/bin/chromium';

export interface DashboardSetup {
  readonly lab: LabSetup;
  readonly db: string;
  readonly repo: Repository;
  readonly url: string;
  readonly scanId: string;
  /** Every route the app serves. */
  readonly routes: readonly { method: string; url: string; public: boolean }[];
  close(): Promise<void>;
}

/** `pacsmap scan` options for the lab: quick timeouts, no rate limit, audit kept in the temp dir. */
export function scanOptions(dir: string, tag: string): string[] {
  return ['--timeout', '2s', '--rate', '0', '--concurrency', '32', '--audit', path.join(dir, `audit-${tag}.jsonl`)];
}

export async function dashboardSetup(opts: { hosts: number; seed: string; offset: number }): Promise<DashboardSetup> {
  const lab = await labSetup({ hosts: opts.hosts, seed: opts.seed, subnetByte: subnetByte(opts.offset) });
  const db = path.join(lab.dir, 'store.db');
  const r = await pacsmap([
    'scan',
    '--facilities',
    lab.registry,
    '-p',
    lab.ports,
    '--db',
    db,
    '--progress',
    'none',
    ...scanOptions(lab.dir, 'first'),
  ]);
  if (r.code !== 0) throw new Error(`scan failed: ${r.err}`);
  const repo = await openStore(db);
  for (const role of ['viewer', 'operator', 'admin'] as const)
    await repo.createUser(await newUser(role, role, PASSWORD));
  const scanId = (await repo.listScans())[0]!.id;
  const starter = childScanStarter({
    dbUrl: db,
    labDir: lab.dir,
    labPorts: lab.ports.split(',').map(Number),
    facilityPorts: lab.ports.split(',').map(Number),
    extraArgs: scanOptions(lab.dir, 'dashboard'),
  });
  const { app, routes } = await buildDashboard({ repo, secureCookies: false, startScan: starter });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as net.AddressInfo).port;
  return {
    lab,
    db,
    repo,
    url: `http://127.0.0.1:${port}/`,
    scanId,
    routes,
    async close() {
      await app.close();
      await repo.close();
      await lab.stop();
    },
  };
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function logIn(page: Page, base: string, name: string, password = PASSWORD): Promise<void> {
  await page.goto(`${base}login`);
  await page.fill('#name', name);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(base), page.click('#login')]);
}
