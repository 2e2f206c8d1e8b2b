/**
 * AE-title discovery against real servers (Debian's Orthanc 1.10 and DCMTK 3.6.7 dcmqrscp) on
 * loopback: a server that checks AE titles but keeps a product default is found, and then scanned
 * as exposed as the guessed identity allows; one with a title of its own is left alone after a
 * bounded, paced number of attempts. No planted patient value may reach results, audit or logs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { makeArchive, type SyntheticArchive } from '../../fixtures/studies/synthetic.ts';
import { startDcmqrscp, startOrthanc, type PeerBase } from '../../fixtures/peers/index.ts';
import { scanEndpoint, DEFAULT_AE_DISCOVERY, type ScanEndpointOptions } from '../../../src/scan/scan-endpoint.ts';
import { candidateTitles } from '../../../src/knowledge/ae-titles.ts';
import { assertNoCanaries } from '../../helpers/canary.ts';
import { testContext, type TestContext } from '../../helpers/probe-context.ts';

const peers: PeerBase[] = [];
let archive: SyntheticArchive;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-ae-'));
  archive = await makeArchive({
    patients: 3,
    studiesPerPatient: 2,
    seriesPerStudy: 1,
    instancesPerSeries: 2,
    seed: 31,
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

async function scan(port: number, calledAe: string, callingAe = 'PACSMAP', options: ScanEndpointOptions = {}) {
  const ctx = testContext();
  const t0 = performance.now();
  const { result } = await scanEndpoint(ctx, { host: '127.0.0.1', port, tls: false }, { calledAe, callingAe }, options);
  return { result, ctx, elapsed: performance.now() - t0 };
}

function noCanaries(what: string, ctx: TestContext, result: unknown): void {
  assertNoCanaries(`${what} result`, JSON.stringify(result), archive);
  assertNoCanaries(`${what} audit`, JSON.stringify(ctx.auditLines), archive);
  assertNoCanaries(`${what} log`, ctx.logLines.join('\n'), archive);
}

test('Orthanc checking the called AE with its default title: ORTHANC guessed, then counted like an open archive', async () => {
  const orthanc = await track(startOrthanc({ access: 'open', checkCalledAet: true, aet: 'ORTHANC', archive }));
  const { result: r, ctx } = await scan(orthanc.port, 'ANY-SCP');
  assert.equal(r.status, 'success', JSON.stringify(r.observations));
  assert.deepEqual(r.association.firstReject, {
    result: 1,
    source: 1,
    reason: 7,
    meaning: 'called AE title not recognized',
  });
  assert.equal(r.association.reject, null);
  assert.equal(r.association.accepted, true);
  assert.equal(r.association.calledAe, 'ORTHANC');
  assert.equal(r.association.callingAe, 'PACSMAP');
  assert.equal(r.association.acceptor?.calledAe, 'ORTHANC');
  assert.equal(r.aeDiscovery?.guessed, true);
  assert.deepEqual(r.aeDiscovery?.accepted, { calledAe: 'ORTHANC', callingAe: 'PACSMAP' });
  const expectedAttempts = candidateTitles('called', { exclude: ['ANY-SCP'] }).indexOf('ORTHANC') + 1;
  assert.equal(r.aeDiscovery?.attempts, expectedAttempts);
  assert.equal(r.echo, true);
  assert.equal(r.query.allowed, true);
  assert.equal(r.query.patients, archive.counts.patients);
  assert.equal(r.query.studies, archive.counts.studies);
  assert.equal(r.query.instances, archive.counts.instances);
  assert.ok(r.query.phiCategories.includes('name'));
  assert.equal(r.exposure, 'retrievable');
  assert.ok(r.product, 'the accepted AC identifies the product');
  const probes = ctx.auditLines.map((a) => `${a.probe} ${a.calledAe}`);
  assert.equal(probes[0], 'dicom.associate ANY-SCP');
  assert.equal(probes.at(-1 - 2), 'dicom.echo ORTHANC', 'later probes are audited with the guessed title');
  assert.ok(probes.includes('dicom.ae-discovery ORTHANC'));
  noCanaries('orthanc', ctx, r);
});

test('Orthanc checking the called AE with a title of its own: bounded, paced attempts, still identified', async () => {
  const orthanc = await track(
    startOrthanc({ access: 'open', checkCalledAet: true, aet: 'RAD_ARCH_7F3', http: false, dicomWeb: false }),
  );
  const paceMs = 150;
  const {
    result: r,
    ctx,
    elapsed,
  } = await scan(orthanc.port, 'ANY-SCP', 'PACSMAP', {
    aeDiscovery: { maxAttempts: 5, paceMs },
  });
  assert.equal(r.status, 'success');
  assert.equal(r.aeDiscovery?.attempts, 5);
  assert.equal(r.aeDiscovery?.stoppedBecause, 'max-attempts');
  assert.equal(r.aeDiscovery?.accepted, null);
  assert.equal(r.aeDiscovery?.guessed, false);
  assert.equal(r.association.accepted, false);
  assert.equal(r.association.reject?.reason, 7);
  assert.equal(r.association.firstReject?.reason, 7);
  assert.equal(r.association.calledAe, 'ANY-SCP');
  assert.equal(r.exposure, 'identified');
  const attempts = ctx.auditLines.filter((a) => String(a.probe) === 'dicom.ae-discovery');
  assert.equal(attempts.length, 5);
  const times = ctx.auditLines.map((a) => Date.parse(a.time));
  for (let i = 1; i < times.length; i++) {
    assert.ok(times[i]! - times[i - 1]! >= paceMs - 1, `gap ${i}: ${times[i]! - times[i - 1]!} ms`);
  }
  assert.ok(elapsed >= 5 * paceMs, `${elapsed} ms`);

  // With the defaults: every bundled called title once (fewer than the attempt bound), then stop.
  const all = await scan(orthanc.port, 'ANY-SCP');
  const expected = Math.min(
    DEFAULT_AE_DISCOVERY.maxAttempts,
    candidateTitles('called', { exclude: ['ANY-SCP'] }).length,
  );
  assert.equal(all.result.aeDiscovery?.attempts, expected);
  assert.equal(all.result.aeDiscovery?.stoppedBecause, 'list-exhausted');
  assert.ok(all.elapsed >= expected * DEFAULT_AE_DISCOVERY.paceMs, `${all.elapsed} ms`);
  assert.equal(all.result.exposure, 'identified');
  // Orthanc 1.10 serves nobody while a refused client lingers: it still answers the right title.
  const ok = await scan(orthanc.port, 'RAD_ARCH_7F3', 'PACSMAP', { aeDiscovery: { enabled: false } });
  assert.equal(ok.result.association.accepted, true);
});

test('dcmqrscp with the title of DCMTK’s example configuration (COMMON): found, exact counts', async () => {
  const q = await track(startDcmqrscp({ aet: 'COMMON', archive }));
  const { result: r, ctx } = await scan(q.port, 'ANY-SCP');
  assert.equal(r.status, 'success', JSON.stringify(r.observations));
  assert.equal(r.association.firstReject?.reason, 7);
  assert.deepEqual(r.aeDiscovery?.accepted, { calledAe: 'COMMON', callingAe: 'PACSMAP' });
  assert.equal(r.association.calledAe, 'COMMON');
  assert.equal(r.query.allowed, true);
  assert.equal(r.query.studies, archive.counts.studies);
  assert.equal(r.query.patients, archive.counts.patients);
  assert.ok(['queryable', 'retrievable'].includes(r.exposure), r.exposure);
  noCanaries('dcmqrscp', ctx, r);
});

test('dcmqrscp refusing a calling AE that is not a peer says 1/1/7 too: only called titles can be searched', async () => {
  const q = await track(startDcmqrscp({ aet: 'COMMON', peers: [{ aet: 'STORESCU' }], archive }));
  // DCMTK 3.6.7 reports "not a peer" as "called AE title not recognised" (BadAEService), so the
  // right called title looks wrong and the calling-title search never starts: bounded, then stop.
  const { result: r, ctx } = await scan(q.port, 'ANY-SCP', 'PACSMAP', { aeDiscovery: { maxAttempts: 8 } });
  assert.equal(r.association.firstReject?.reason, 7);
  assert.equal(r.aeDiscovery?.accepted, null);
  assert.equal(r.aeDiscovery?.recognisedCalledAe, null);
  assert.ok(
    ctx.auditLines.some((a) => String(a.calledAe) === 'COMMON'),
    'COMMON was tried',
  );
  assert.equal(r.exposure, 'identified');
  // The peer it does know is accepted when told: the refusal above is about the calling AE.
  const ok = await scan(q.port, 'COMMON', 'STORESCU', { aeDiscovery: { enabled: false } });
  assert.equal(ok.result.association.accepted, true);
});

test('Orthanc checking the called AE and knowing one modality: 1/1/7, then 1/1/3 for ORTHANC, then ECHOSCU', async () => {
  const orthanc = await track(
    startOrthanc({
      access: 'known-only',
      checkCalledAet: true,
      aet: 'ORTHANC',
      modalities: { tools: { aet: 'ECHOSCU' } },
      archive,
    }),
  );
  // By default the calling title is never guessed: the search stops once the called one is found.
  const { result: polite } = await scan(orthanc.port, 'ANY-SCP');
  assert.equal(polite.aeDiscovery?.recognisedCalledAe, 'ORTHANC');
  assert.equal(polite.aeDiscovery?.accepted, null);
  assert.equal(polite.aeDiscovery?.stoppedBecause, 'calling-guess-disabled');
  assert.equal(polite.exposure, 'identified');
  const { result: r, ctx } = await scan(orthanc.port, 'ANY-SCP', 'PACSMAP', { aeDiscovery: { guessCalling: true } });
  assert.equal(r.association.firstReject?.reason, 7);
  assert.equal(r.aeDiscovery?.recognisedCalledAe, 'ORTHANC');
  assert.deepEqual(r.aeDiscovery?.accepted, { calledAe: 'ORTHANC', callingAe: 'ECHOSCU' });
  const expected =
    candidateTitles('called', { exclude: ['ANY-SCP'] }).indexOf('ORTHANC') +
    1 +
    candidateTitles('calling', { exclude: ['PACSMAP'] }).indexOf('ECHOSCU') +
    1;
  assert.equal(r.aeDiscovery?.attempts, expected);
  assert.equal(r.association.calledAe, 'ORTHANC');
  assert.equal(r.association.callingAe, 'ECHOSCU');
  assert.equal(r.query.studies, archive.counts.studies);
  noCanaries('orthanc both', ctx, r);
});

test('Orthanc answering known modalities only (1/1/3): a modality listed as ECHOSCU is impersonated', async () => {
  const orthanc = await track(
    startOrthanc({ access: 'known-only', modalities: { tools: { aet: 'ECHOSCU' } }, archive }),
  );
  const { result: r, ctx } = await scan(orthanc.port, 'ANY-SCP', 'PACSMAP', { aeDiscovery: { guessCalling: true } });
  assert.deepEqual(r.association.firstReject, {
    result: 1,
    source: 1,
    reason: 3,
    meaning: 'calling AE title not recognized',
  });
  assert.deepEqual(r.aeDiscovery?.accepted, { calledAe: 'ANY-SCP', callingAe: 'ECHOSCU' });
  assert.equal(r.aeDiscovery?.guessed, true);
  assert.equal(r.echo, true);
  assert.equal(r.query.allowed, true, 'a known modality may query by default');
  assert.equal(r.query.studies, archive.counts.studies);
  noCanaries('orthanc known-only', ctx, r);
});
