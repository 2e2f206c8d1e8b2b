/**
 * The web probes against real Orthanc 1.10.1 servers (Debian package, DICOMweb plugin 1.7) loaded
 * with synthetic studies that carry canary patients: open, authenticated with a documented
 * default user, authenticated with another user. Counts must equal the archive's; nothing
 * planted may appear in results, observations, audit lines or logs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { makeArchive, type SyntheticArchive } from '../../fixtures/studies/synthetic.ts';
import { startOrthanc, type OrthancPeer } from '../../fixtures/peers/orthanc.ts';
import { assertNoCanaries, canaryHits } from '../../helpers/canary.ts';
import { testContext, type TestContext } from '../../helpers/probe-context.ts';
import { scanWebEndpoint, type WebEndpointScan } from '../../../src/probes/web/scan-web-endpoint.ts';
import { WebSession } from '../../../src/probes/web/session.ts';
import { probeDicomweb } from '../../../src/probes/web/dicomweb.ts';
import { MAX_CREDENTIAL_ATTEMPTS } from '../../../src/probes/web/default-credentials.ts';
import { credentialsFor } from '../../../src/knowledge/default-credentials.ts';

let archive: SyntheticArchive;
let open: OrthancPeer;
let withDefault: OrthancPeer;
let withOther: OrthancPeer;
const dirs: string[] = [];
const OTHER_PASSWORD = 'Not-A-Default-7f3';

before(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-webarch-'));
  dirs.push(dir);
  archive = await makeArchive({
    patients: 4,
    studiesPerPatient: 2,
    seriesPerStudy: 2,
    instancesPerSeries: 2,
    seed: 31,
    dir,
  });
  [open, withDefault, withOther] = await Promise.all([
    startOrthanc({ archive }),
    startOrthanc({ archive, users: { orthanc: 'orthanc' } }),
    startOrthanc({ archive, users: { radiology: OTHER_PASSWORD } }),
  ]);
});

after(async () => {
  await Promise.all([open, withDefault, withOther].filter(Boolean).map((p) => p.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const ep = (p: OrthancPeer) => ({ host: '127.0.0.1', port: p.httpPort!, tls: false });

/** Results, full observations (facts included), audit lines and log lines: no planted value anywhere. */
function assertClean(where: string, ctx: TestContext, scan: WebEndpointScan): void {
  assertNoCanaries(`${where}: result`, JSON.stringify(scan.result), archive);
  assertNoCanaries(`${where}: observations`, JSON.stringify(scan.observations), archive);
  assertNoCanaries(`${where}: audit`, JSON.stringify(ctx.auditLines), archive);
  assertNoCanaries(`${where}: log`, ctx.logLines.join('\n'), archive);
}

test('open Orthanc: REST exposure with the archive’s exact counts, DICOMweb open with personal data, Explorer found', async () => {
  const ctx = testContext();
  const scan = await scanWebEndpoint(ctx, ep(open), { tryDefaultCredentials: false });
  const r = scan.result;
  assert.equal(r.status, 'success');
  assert.equal(r.service, 'http');
  assert.deepEqual(r.product, { name: 'Orthanc', version: '1.10.1', source: 'orthanc-rest' });
  assert.ok(r.orthancRest);
  assert.equal(r.orthancRest.authRequired, false);
  assert.equal(r.orthancRest.version, '1.10.1');
  assert.equal(r.orthancRest.dicomAet, open.aet);
  assert.equal(r.orthancRest.dicomPort, open.port);
  assert.equal(r.orthancRest.pluginsEnabled, true);
  assert.deepEqual(
    {
      patients: r.orthancRest.counts?.patients,
      studies: r.orthancRest.counts?.studies,
      series: r.orthancRest.counts?.series,
      instances: r.orthancRest.counts?.instances,
    },
    archive.counts,
  );
  assert.ok(r.dicomweb);
  assert.equal(r.dicomweb.prefix, '/dicom-web');
  assert.equal(r.dicomweb.authRequired, false);
  assert.equal(r.dicomweb.studies, archive.counts.studies);
  assert.equal(r.dicomweb.capped, false);
  for (const c of ['patient-id', 'name', 'birth-date', 'sex', 'accession-number'])
    assert.ok(r.dicomweb.phiCategories.includes(c), `category ${c} seen`);
  assert.ok(r.viewers.some((v) => v.id === 'orthanc-explorer' && !v.pathOnly));
  // Orthanc 1.10.1 without those plugins: no other viewer may be claimed.
  assert.deepEqual(
    r.viewers.map((v) => v.id),
    ['orthanc-explorer'],
  );
  assert.deepEqual(r.root, { httpStatus: 301, redirect: 'same-origin' });
  for (const h of [
    'orthanc-rest-unauthenticated',
    'archive-counts-readable',
    'dicomweb-unauthenticated',
    'dicomweb-personal-data',
    'viewer-unauthenticated',
    'plaintext-http',
  ] as const)
    assert.ok(r.exposure.includes(h), h);
  assert.ok(!r.exposure.includes('authentication-required'));
  assert.equal(r.defaultCredentials.tried, 0);
  // One audit line per request, each naming this endpoint.
  assert.equal(ctx.auditLines.length, r.requests);
  assert.ok(ctx.auditLines.every((a) => a.host === '127.0.0.1' && a.port === open.httpPort));
  assert.ok(ctx.auditLines.some((a) => a.probe === 'web.dicomweb-qido GET /dicom-web/studies'));
  assertClean('open', ctx, scan);
  // The check has teeth: the very answers the probe read do carry the planted values.
  const raw = await (await open.rest('/dicom-web/studies?limit=3')).text();
  assert.ok(canaryHits(raw, archive).length > 0);
});

test('QIDO paging: distinct studies counted over small pages; a cap marks the count capped', async () => {
  const ctx = testContext();
  const session = new WebSession(ctx, ep(open));
  const paged = await probeDicomweb(session, { pageSize: 3 });
  assert.equal(paged.status, 'success');
  assert.equal(paged.facts?.studies, archive.counts.studies);
  assert.equal(paged.facts?.pages, Math.floor(archive.counts.studies / 3) + 1);
  assert.equal(paged.facts?.capped, false);
  const capped = await probeDicomweb(new WebSession(ctx, ep(open)), { pageSize: 2, maxStudies: 4 });
  assert.equal(capped.facts?.studies, 4);
  assert.equal(capped.facts?.capped, true);
  assertNoCanaries('paging', JSON.stringify([paged, capped, ctx.auditLines]), archive);
});

test('authenticated Orthanc, no opt-in: no exposure, authRequired, and not a single credential sent', async () => {
  const ctx = testContext();
  const scan = await scanWebEndpoint(ctx, ep(withDefault), { tryDefaultCredentials: false });
  const r = scan.result;
  assert.equal(r.service, 'http');
  assert.equal(r.orthancRest?.authRequired, true);
  assert.equal(r.orthancRest?.counts, null);
  assert.equal(r.orthancRest?.version, null);
  assert.deepEqual(r.product, { name: 'Orthanc', version: null, source: 'auth-realm' });
  assert.equal(r.dicomweb?.authRequired, true);
  assert.equal(r.dicomweb?.studies, null);
  assert.deepEqual(r.viewers, []);
  assert.deepEqual(r.defaultCredentials, { tried: 0, worked: null, orthancRest: null });
  assert.ok(r.exposure.includes('authentication-required'));
  for (const h of [
    'orthanc-rest-unauthenticated',
    'dicomweb-unauthenticated',
    'viewer-unauthenticated',
    'default-credentials-accepted',
  ])
    assert.ok(!r.exposure.includes(h as never), h);
  assert.ok(ctx.auditLines.every((a) => !a.probe.includes('(credentials)')));
  assertClean('auth, no opt-in', ctx, scan);
});

test('authenticated Orthanc with the documented default user, opt-in: the entry id is reported, never the password', async () => {
  const ctx = testContext();
  const scan = await scanWebEndpoint(ctx, ep(withDefault), { tryDefaultCredentials: true });
  const r = scan.result;
  assert.equal(r.defaultCredentials.worked, 'orthanc-docker-default');
  assert.equal(r.defaultCredentials.tried, 1);
  assert.ok(r.exposure.includes('default-credentials-accepted'));
  // What the default credentials open: the same counts as the archive.
  assert.equal(r.defaultCredentials.orthancRest?.version, '1.10.1');
  assert.equal(r.defaultCredentials.orthancRest?.counts?.studies, archive.counts.studies);
  assert.equal(r.defaultCredentials.orthancRest?.counts?.patients, archive.counts.patients);
  const all = JSON.stringify([scan, ctx.auditLines, ctx.logLines]);
  assert.ok(!all.includes(Buffer.from('orthanc:orthanc').toString('base64')));
  assert.ok(!/password/i.test(JSON.stringify(scan.result)));
  assertClean('auth, default user', ctx, scan);
});

test('authenticated Orthanc with another user, opt-in: nothing works, attempts bounded', async () => {
  const ctx = testContext();
  const scan = await scanWebEndpoint(ctx, ep(withOther), { tryDefaultCredentials: true });
  const r = scan.result;
  assert.equal(r.defaultCredentials.worked, null);
  const expected = Math.min(credentialsFor('Orthanc').length, MAX_CREDENTIAL_ATTEMPTS);
  assert.ok(expected > 0);
  assert.equal(r.defaultCredentials.tried, expected);
  assert.equal(ctx.auditLines.filter((a) => a.probe.includes('(credentials)')).length, expected);
  assert.ok(!r.exposure.includes('default-credentials-accepted'));
  assert.ok(!JSON.stringify([scan, ctx.auditLines]).includes(OTHER_PASSWORD));
  assertClean('auth, other user', ctx, scan);
});
