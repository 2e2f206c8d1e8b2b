/**
 * The privacy canary over the dashboard with real peers: Orthanc (with its REST API and DICOMweb)
 * and DCMTK dcmqrscp hold synthetic patients whose every personal value carries a marker; after a
 * retrieving scan into the store, every page and API route (including the exports) is fetched as
 * an admin: no marker may appear in any response.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { makeArchive, type SyntheticArchive } from '../../fixtures/studies/synthetic.ts';
import { startDcmqrscp, startOrthanc, type PeerBase } from '../../fixtures/peers/index.ts';
import { canaryHits } from '../../helpers/canary.ts';
import { buildDashboard, type Dashboard } from '../../../src/serve/app.ts';
import { newUser } from '../../../src/serve/users.ts';
import { openStore } from '../../../src/store/open.ts';
import type { Repository } from '../../../src/store/repository.ts';
import { Client } from '../../unit/serve/helpers.ts';
import { pacsmap } from '../fleet/helpers.ts';

const PASSWORD = 'peers canary password';
const peers: PeerBase[] = [];
let dir: string;
let archive: SyntheticArchive;
let repo: Repository;
let dash: Dashboard;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-dash-canary-'));
  archive = await makeArchive({
    patients: 4,
    studiesPerPatient: 2,
    seriesPerStudy: 1,
    instancesPerSeries: 2,
    seed: 303,
    dir: path.join(dir, 'archive'),
  });
  const orthanc = await startOrthanc({ access: 'open', archive });
  peers.push(orthanc);
  const qr = await startDcmqrscp({ aet: 'DCMQRSCP', archive });
  peers.push(qr);
  const db = path.join(dir, 'store.db');
  const r = await pacsmap([
    'scan',
    '127.0.0.1',
    '-p',
    `${orthanc.port},${qr.port},${orthanc.httpPort}`,
    '--called-ae',
    'DCMQRSCP',
    '--depth',
    'retrieve',
    '--db',
    db,
    '--audit',
    path.join(dir, 'audit.jsonl'),
    '--progress',
    'none',
  ]);
  assert.equal(r.code, 0, r.err);
  repo = await openStore(db);
  await repo.createUser(await newUser('admin', 'admin', PASSWORD));
  dash = await buildDashboard({ repo, secureCookies: false });
});
after(async () => {
  await dash?.app.close();
  await repo?.close();
  await Promise.all(peers.map((p) => p.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('no planted value reaches a page or an API response (Orthanc + dcmqrscp)', async () => {
  const [scan] = await repo.listScans();
  assert.ok(scan);
  const [total] = await repo.figures(scan.id, 'total');
  assert.ok(
    total && total.patients >= archive.canaries.length / 10 && total.archivesExposed >= 2,
    'the scan read the records',
  );
  const c = new Client(dash.app);
  assert.equal((await c.login('admin', PASSWORD)).statusCode, 303);
  const id = scan.id;
  const concrete: Record<string, string[]> = {
    '/login': ['/login'],
    '/': ['/'],
    '/scans': ['/scans'],
    '/scans/:id': [`/scans/${id}`],
    '/scans/:id/facilities/:fid': [`/scans/${id}/facilities/none`],
    '/scans/:id/endpoints/:host/:port': [],
    '/diff': ['/diff', `/diff?a=${id}&b=${id}`],
    '/scan/new': ['/scan/new'],
    '/runs': ['/runs'],
    '/runs/:id': ['/runs/x'],
    '/users': ['/users'],
    '/account': ['/account'],
    '/api/me': ['/api/me'],
    '/api/scans': ['/api/scans'],
    '/api/scans/:id': [`/api/scans/${id}`],
    '/api/scans/:id/endpoints': [`/api/scans/${id}/endpoints`],
    '/api/scans/:id/export.json': [`/api/scans/${id}/export.json`],
    '/api/scans/:id/export.csv': [`/api/scans/${id}/export.csv`],
    '/api/trend': ['/api/trend'],
    '/api/diff': [`/api/diff?a=${id}&b=${id}`],
    '/api/runs/:id': ['/api/runs/x'],
  };
  for await (const e of repo.endpoints(id))
    concrete['/scans/:id/endpoints/:host/:port']!.push(`/scans/${id}/endpoints/${e.host}/${e.port}`);
  const gets = dash.routes.filter((r) => r.method === 'GET').map((r) => r.url);
  assert.deepEqual(
    gets.filter((u) => !(u in concrete)),
    [],
    'GET routes not fetched',
  );
  let fetched = 0;
  for (const [template, urls] of Object.entries(concrete)) {
    for (const url of urls) {
      const res = await c.request({ url });
      assert.ok([200, 404, 503].includes(res.statusCode), `${url}: ${res.statusCode}`);
      const body = res.body;
      assert.deepEqual(canaryHits(body, archive), [], `${template} (${url})`);
      // And decoded as latin1 too (a value in another charset would show there).
      assert.deepEqual(canaryHits(Buffer.from(res.rawPayload).toString('latin1'), archive), [], `${url} latin1`);
      fetched++;
    }
  }
  assert.ok(concrete['/scans/:id/endpoints/:host/:port']!.length >= 3);
  assert.ok(fetched >= 22);
});
