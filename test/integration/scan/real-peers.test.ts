/**
 * The scanner against real servers that others wrote (Debian's Orthanc and DCMTK), started on
 * loopback ports and loaded with synthetic studies: every figure must equal what was loaded,
 * every refusal must carry the exact reason the server gave.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { makeArchive, type SyntheticArchive } from '../../fixtures/studies/synthetic.ts';
import { startDcmqrscp, startOrthanc, startStorescp, type PeerBase } from '../../fixtures/peers/index.ts';
import { scanEndpoint, type ScanEndpointOptions } from '../../../src/scan/scan-endpoint.ts';
import { testContext } from '../../helpers/probe-context.ts';

const peers: PeerBase[] = [];
let archive: SyntheticArchive;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-scan-'));
  archive = await makeArchive({
    patients: 3,
    studiesPerPatient: 2,
    seriesPerStudy: 2,
    instancesPerSeries: 3,
    seed: 7,
    dir,
  });
});

after(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function track<T extends PeerBase>(p: Promise<T>): Promise<T> {
  const peer = await p;
  peers.push(peer);
  return peer;
}

async function scan(
  port: number,
  calledAe = 'ANY-SCP',
  tls = false,
  opts: Parameters<typeof testContext>[0] = {},
  options: ScanEndpointOptions = {},
) {
  const ctx = testContext(opts);
  const { result } = await scanEndpoint(
    ctx,
    { host: '127.0.0.1', port, tls },
    { calledAe, callingAe: 'PACSMAP' },
    options,
  );
  return { result, ctx };
}

test('Orthanc open to any AE: retrievable, with exact patient, study and instance counts', async () => {
  const orthanc = await track(startOrthanc({ access: 'open', archive }));
  const { result: r, ctx } = await scan(orthanc.port);
  assert.equal(r.status, 'success', JSON.stringify(r.observations));
  assert.equal(r.service, 'dicom');
  assert.equal(r.association.accepted, true);
  assert.equal(r.echo, true);
  assert.equal(r.query.allowed, true);
  assert.equal(r.query.patients, archive.counts.patients);
  assert.equal(r.query.studies, archive.counts.studies);
  assert.equal(r.query.instances, archive.counts.instances);
  assert.equal(r.query.instancesEstimated, false);
  assert.equal(r.query.capped, false);
  for (const c of [
    'patient-id',
    'name',
    'birth-date',
    'sex',
    'exam-date',
    'description',
    'referring-physician',
    'accession-number',
  ]) {
    assert.ok(r.query.phiCategories.includes(c), `category ${c} seen (got ${r.query.phiCategories.join(',')})`);
  }
  assert.deepEqual(
    { find: r.services.find, move: r.services.move, get: r.services.get, store: r.services.store },
    { find: true, move: true, get: true, store: true },
  );
  assert.equal(r.exposure, 'retrievable');
  assert.deepEqual(r.exposureLevels, ['retrievable', 'queryable', 'writable', 'associable', 'identified']);
  assert.equal(r.implementation.versionName, 'OFFIS_DCMTK_367');
  assert.ok(r.product, 'product identified');
  assert.deepEqual(
    ctx.auditLines.map((a) => a.probe),
    ['dicom.associate', 'dicom.echo', 'dicom.query-count', 'dicom.phi-categories'],
  );
});

test('Orthanc with a small sample cap: C-CANCEL after the cap, counts unaffected', async () => {
  const orthanc = await track(startOrthanc({ access: 'open', archive }));
  const { result: r } = await scan(orthanc.port, 'ANY-SCP', false, { phiSampleSize: 1 });
  assert.equal(r.status, 'success', JSON.stringify(r.observations));
  assert.equal(r.query.studies, archive.counts.studies);
  assert.ok(r.query.phiCategories.includes('name'));
  const phi = r.observations.find((o) => o.probe === 'dicom.phi-categories');
  assert.equal(phi?.status, 'success');
});

test('Orthanc with default access: association accepted, C-FIND refused (peer aborts)', async () => {
  const orthanc = await track(startOrthanc({ access: 'default', archive }));
  const { result: r } = await scan(orthanc.port);
  assert.equal(r.association.accepted, true);
  assert.equal(r.echo, true);
  assert.equal(r.query.allowed, false);
  assert.equal(r.query.studies, null);
  assert.equal(r.services.store, true);
  assert.equal(r.exposure, 'writable');
});

test('Orthanc checking the called AE: rejected, reason 7 (called AE not recognised), identified', async () => {
  const orthanc = await track(startOrthanc({ access: 'open', checkCalledAet: true, aet: 'ORTHANC' }));
  // Without AE-title discovery (test/integration/ae covers what discovery then finds).
  const { result: r } = await scan(orthanc.port, 'ANY-SCP', false, {}, { aeDiscovery: { enabled: false } });
  assert.equal(r.status, 'success');
  assert.equal(r.service, 'dicom');
  assert.deepEqual(r.association.reject, {
    result: 1,
    source: 1,
    reason: 7,
    meaning: 'called AE title not recognized',
  });
  assert.equal(r.exposure, 'identified');
  const ok = await scan(orthanc.port, 'ORTHANC');
  assert.equal(ok.result.association.accepted, true, 'the right called AE is accepted');
});

test('Orthanc with a restricted modality list: rejected, reason 3 (calling AE not recognised)', async () => {
  const orthanc = await track(
    startOrthanc({ access: 'known-only', checkCalledAet: true, modalities: { ris: { aet: 'KNOWNRIS' } } }),
  );
  const { result: r } = await scan(orthanc.port, 'ORTHANC');
  assert.deepEqual(r.association.reject, {
    result: 1,
    source: 1,
    reason: 3,
    meaning: 'calling AE title not recognized',
  });
  assert.equal(r.exposure, 'identified');
});

test('dcmqrscp with an open AE: exact counts', async () => {
  const q = await track(startDcmqrscp({ aet: 'DCMQRSCP', archive }));
  const { result: r } = await scan(q.port, 'DCMQRSCP');
  assert.equal(r.status, 'success', JSON.stringify(r.observations));
  assert.equal(r.association.accepted, true);
  assert.equal(r.query.allowed, true);
  assert.equal(r.query.patients, archive.counts.patients);
  assert.equal(r.query.studies, archive.counts.studies);
  assert.equal(r.query.instances, archive.counts.instances);
  assert.equal(r.query.instancesEstimated, false);
  assert.ok(['queryable', 'retrievable'].includes(r.exposure), r.exposure);
  assert.ok(r.product?.name, 'DCMTK fingerprint');
});

test('dcmqrscp with an unknown called AE: rejected, reason 7', async () => {
  const q = await track(startDcmqrscp({ aet: 'DCMQRSCP', archive }));
  const { result: r } = await scan(q.port, 'ANY-SCP');
  assert.equal(r.association.accepted, false);
  assert.equal(r.association.reject?.reason, 7);
  assert.equal(r.association.reject?.source, 1);
  assert.equal(r.exposure, 'identified');
});

test('storescp: writable, query not allowed', async () => {
  const s = await track(startStorescp({}));
  const { result: r } = await scan(s.port);
  assert.equal(r.status, 'success', JSON.stringify(r.observations));
  assert.equal(r.association.accepted, true);
  assert.equal(r.echo, true);
  assert.equal(r.services.store, true);
  assert.equal(r.services.find, false);
  assert.equal(r.query.allowed, false);
  assert.equal(r.exposure, 'writable');
  assert.ok(r.services.storageClasses.includes('CT'));
});

test('storescp over TLS with a self-signed certificate: dicom-tls with the handshake facts', async () => {
  const s = await track(startStorescp({ tls: true }));
  const { result: r } = await scan(s.port, 'ANY-SCP', true);
  assert.equal(r.status, 'success', JSON.stringify(r.observations));
  assert.equal(r.service, 'dicom-tls');
  assert.equal(r.exposure, 'writable');
  const cert = r.tls?.certificate;
  assert.ok(cert);
  assert.equal(cert.fingerprint256, s.tls!.fingerprint256);
  assert.equal(cert.selfSigned, true);
  assert.equal(r.tls?.authorized, false);
  assert.match(r.tls?.protocol ?? '', /^TLSv1\.[23]$/);
  const plain = await scan(s.port, 'ANY-SCP', false);
  assert.equal(plain.result.service, null, 'plaintext DICOM to a TLS port is not DICOM');
});

test('Orthanc with LimitFindResults below the study count: partitioned past the cap, exact counts', async () => {
  const orthanc = await track(startOrthanc({ access: 'open', archive, limitFindResults: 4 }));
  const { result: r } = await scan(orthanc.port);
  assert.equal(r.query.allowed, true);
  assert.ok(archive.counts.studies > 4);
  assert.equal(r.query.studies, archive.counts.studies);
  assert.equal(r.query.patients, archive.counts.patients);
  assert.equal(r.query.instances, archive.counts.instances);
  assert.equal(r.query.capped, false);
  assert.equal(r.query.capDetected, 'server-cancel');
  assert.ok(r.query.partitions > 1);
  assert.equal(r.query.instancesEstimated, false);
});
