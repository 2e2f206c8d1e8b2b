/**
 * Pages and API over a small store written here: hostile peer strings are escaped everywhere,
 * the drill-down reaches a finding's remediation from the catalogue, the API gives the store's
 * figures, and exports need a login like everything else.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { findings as catalogue } from '../../../src/knowledge/findings.ts';
import { scanFigures } from '../../../src/report/aggregate.ts';
import { fixture, loggedIn, type Fixture, type Client } from './helpers.ts';

const XSS = '<script>alert(1)</script>';
const ATTR = '"><img src=x onerror=alert(2)>';
let f: Fixture;
let viewer: Client;
let scanA: string;
let scanB: string;

function result(host: string, port: number, exposure: string, patients: number, product: string): unknown {
  return {
    host,
    port,
    status: 'success',
    service: 'dicom',
    exposure: { level: exposure, levels: [exposure] },
    product: { name: product, version: ATTR },
    implementation: { classUid: '1.2.3', versionName: XSS },
    tls: null,
    echo: true,
    query: {
      allowed: exposure === 'queryable',
      patients,
      studies: patients * 2,
      instances: patients * 10,
      phiCategories: ['name'],
    },
    assessment: { score: 80, reasons: [], findings: [{ id: 'dicom-query-unauthenticated', severity: 'high' }] },
  };
}

before(async () => {
  f = await fixture();
  const repo = f.repo;
  await repo.upsertFacilities([
    {
      id: 'F1',
      name: `Clinic ${XSS}`,
      region: `Region ${ATTR}`,
      country: 'AQ',
      contactEmail: 'it@clinic.example',
      ranges: ['127.9.0.0/24'],
      latitude: -75,
      longitude: 10,
    },
  ]);
  const a = await repo.createScan({ scope: `scope ${XSS}`, settings: { ports: [104] }, status: 'finished' });
  const b = await repo.createScan({ scope: 'second', settings: { ports: [104] }, status: 'finished' });
  scanA = a.id;
  scanB = b.id;
  const endpoint = (scanId: string, host: string, exposure: string, patients: number) => ({
    scanId,
    host,
    port: 104,
    transport: 'plaintext',
    status: 'success',
    service: 'dicom',
    exposure,
    facilityId: 'F1',
    result: result(host, 104, exposure, patients, XSS),
  });
  await repo.writeBatch({
    endpoints: [endpoint(a.id, '127.9.0.1', 'queryable', 7), endpoint(a.id, '127.9.0.2', 'identified', 0)],
    findings: [
      {
        scanId: a.id,
        host: '127.9.0.1',
        port: 104,
        findingId: 'dicom-query-unauthenticated',
        severity: 'high',
        evidence: { note: XSS },
      },
    ],
  });
  await repo.writeBatch({
    endpoints: [endpoint(b.id, '127.9.0.1', 'identified', 0), endpoint(b.id, '127.9.0.3', 'queryable', 3)],
  });
  viewer = await loggedIn(f.app, 'viewer');
});
after(() => f?.close());

function assertEscaped(where: string, body: string): void {
  assert.ok(!body.includes(XSS), `${where}: raw script`);
  assert.ok(!body.includes(ATTR), `${where}: raw attribute breaker`);
  assert.doesNotMatch(body, /<script|<img/i, where);
}

test('every page escapes peer and registry strings', async () => {
  const urls = [
    '/',
    '/scans',
    `/scans/${scanA}`,
    `/scans/${scanA}/facilities/F1`,
    `/scans/${scanA}/endpoints/127.9.0.1/104`,
    `/diff?a=${scanA}&b=${scanB}`,
  ];
  let sawEscaped = 0;
  for (const url of urls) {
    const res = await viewer.request({ url });
    assert.equal(res.statusCode, 200, url);
    assertEscaped(url, res.body);
    if (res.body.includes('&lt;script&gt;')) sawEscaped++;
  }
  assert.ok(sawEscaped >= 4, 'the hostile strings are shown, escaped');
});

test('the drill-down reaches the finding with its catalogue remediation and references', async () => {
  const fac = await viewer.request({ url: `/scans/${scanA}/facilities/F1` });
  assert.match(fac.body, new RegExp(`href="/scans/${scanA}/endpoints/127.9.0.1/104"`));
  const res = await viewer.request({ url: `/scans/${scanA}/endpoints/127.9.0.1/104` });
  const def = catalogue().findings.find((d) => d.id === 'dicom-query-unauthenticated')!;
  const html = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  assert.ok(res.body.includes(html(def.title)));
  for (const r of def.remediation) assert.ok(res.body.includes(html(r)), `remediation: ${r}`);
  for (const r of def.references) assert.ok(res.body.includes(html(r)), `reference: ${r}`);
  assert.equal((await viewer.request({ url: `/scans/${scanA}/endpoints/127.9.0.99/104` })).statusCode, 404);
  assert.equal((await viewer.request({ url: '/scans/ffffffff-none' })).statusCode, 404);
});

test('the overview shows the store figures and a map point for the facility', async () => {
  const res = await viewer.request({ url: `/scans/${scanA}` });
  const figs = await scanFigures(f.repo, scanA);
  const fig = (id: string): string => new RegExp(`id="${id}">([^<]*)<`).exec(res.body)?.[1] ?? '';
  assert.equal(fig('fig-systems'), figs.total.endpoints.toLocaleString('en-US'));
  assert.equal(fig('fig-exposed'), figs.total.exposedEndpoints.toLocaleString('en-US'));
  assert.match(res.body, /<svg id="map"[^>]*>.*<circle class="pt x-queryable" data-facility="F1"/s);
  const api = (await viewer.request({ url: `/api/scans/${scanA}` })).json() as { total: { endpoints: number } };
  assert.equal(api.total.endpoints, figs.total.endpoints);
});

test('the diff shows what changed between two scans (src/report/diff.ts)', async () => {
  const res = (await viewer.request({ url: `/api/diff?a=${scanA}&b=${scanB}` })).json() as {
    counts: Record<string, number>;
    endpoints: { host: string; change: string }[];
  };
  // .1 queryable → identified (fixed), .2 identified → gone (better), .3 new.
  assert.deepEqual(res.counts, { new: 1, fixed: 1, worse: 0, better: 1, unchanged: 0 });
  assert.deepEqual(
    res.endpoints.map((r) => `${r.host} ${r.change}`),
    ['127.9.0.1 fixed', '127.9.0.2 better', '127.9.0.3 new'],
  );
  const page = await viewer.request({ url: `/diff?a=${scanA}&b=${scanB}` });
  assert.match(page.body, /<span data-change="fixed">1<\/span>/);
  // Without parameters: the latest scan against the one before it.
  const def = await viewer.request({ url: '/diff' });
  assert.equal(def.statusCode, 200);
  assert.match(def.body, /<span data-change="new">1<\/span>/);
});

test('API and exports answer a logged-in viewer with JSON and CSV', async () => {
  const scans = (await viewer.request({ url: '/api/scans' })).json() as { id: string }[];
  assert.deepEqual(scans.map((s) => s.id).sort(), [scanA, scanB].sort());
  const eps = (await viewer.request({ url: `/api/scans/${scanA}/endpoints` })).json() as {
    host: string;
    findings: unknown[];
  }[];
  assert.equal(eps.length, 2);
  assert.equal(eps.find((e) => e.host === '127.9.0.1')?.findings.length, 1);
  const json = await viewer.request({ url: `/api/scans/${scanA}/export.json` });
  assert.equal(json.statusCode, 200);
  assert.match(String(json.headers['content-type']), /application\/json/);
  assert.ok(JSON.parse(json.body));
  const csv = await viewer.request({ url: `/api/scans/${scanA}/export.csv` });
  assert.equal(csv.statusCode, 200);
  assert.match(csv.body.split('\n')[0]!, /host/);
  // Both scans have their own scope text, so each one's trend holds one point.
  const trend = (await viewer.request({ url: `/api/trend?scan=${scanA}` })).json() as { scan: { id: string } }[];
  assert.deepEqual(
    trend.map((p) => p.scan.id),
    [scanA],
  );
});

test('the scan list shows a distributed scan by its shards (from the job queue), others by their cursor', async () => {
  const g = await fixture({
    shardProgress: async (ids) =>
      new Map(
        ids.map((id) => [
          id,
          { shardsTotal: 10, shardsDone: 3, shardsActive: 2, shardsQueued: 5, shardsFailed: 0, workersActive: 2 },
        ]),
      ),
  });
  try {
    const dist = await g.repo.createScan({
      scope: 'national',
      settings: {
        workTotal: '5000',
        distributed: { version: 1, queue: 'pacsmap.shards', shards: 10, shardSize: '500' },
      },
    });
    await g.repo.createScan({ scope: 'local', settings: { workTotal: '40' } });
    const v = await loggedIn(g.app, 'viewer');
    const page = (await v.request({ url: '/scans' })).body;
    const row = page.split('<tr').find((r) => r.includes(dist.id.slice(0, 8)));
    assert.ok(row, 'the distributed scan is listed');
    assert.match(row, /shards 3\/10/);
    assert.match(row, /2 workers/);
    const other = page.split('<tr').find((r) => r.includes('local'));
    assert.ok(other && !/shards/.test(other), 'a local scan shows its cursor progress');
  } finally {
    await g.close();
  }
});
