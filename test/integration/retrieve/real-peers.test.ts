/**
 * `dicom.retrieve` against real archives (Debian's Orthanc 1.10 and DCMTK 3.6.7 dcmqrscp) loaded
 * with synthetic studies: one instance comes back over C-GET and is DICOM of the size stored, the
 * C-MOVE to an unknown AE is refused with the status each server really returns, and no planted
 * patient value appears in the facts, the audit, the logs, or any file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import {
  makeArchive,
  SOP_CT_IMAGE,
  SOP_SECONDARY_CAPTURE,
  type SyntheticArchive,
} from '../../fixtures/studies/synthetic.ts';
import { startDcmqrscp, startOrthanc, type PeerBase } from '../../fixtures/peers/index.ts';
import { probeRetrieve } from '../../../src/probes/dicom/retrieve.ts';
import { testContext } from '../../helpers/probe-context.ts';
import { assertNoCanaries } from '../../helpers/canary.ts';
import { spyOnFileWrites } from './fs-spy.ts';

const peers: PeerBase[] = [];
let archive: SyntheticArchive;
let dir: string;
/** Data set sizes (Part 10 file minus preamble, 'DICM' and the meta group) of every archived instance. */
let datasetSizes: Set<number>;

/** A Part 10 file's data set length: file size − 128 − 4 − (0002,0000) element (12 bytes) − its value. */
function datasetSize(file: string): number {
  const b = readFileSync(file);
  assert.equal(b.toString('latin1', 128, 132), 'DICM');
  // (0002,0000) UL, explicit VR LE: tag 4, 'UL' 2, length 2, value 4 → value at 140.
  assert.equal(b.readUInt16LE(132), 0x0002);
  assert.equal(b.readUInt16LE(134), 0x0000);
  return b.length - 144 - b.readUInt32LE(140);
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-retrieve-'));
  archive = await makeArchive({
    patients: 2,
    studiesPerPatient: 1,
    seriesPerStudy: 2,
    instancesPerSeries: 2,
    seed: 11,
    dir,
  });
  datasetSizes = new Set(archive.files.map(datasetSize));
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

async function retrieve(peer: PeerBase, opts: { maxInstanceBytes?: number } = {}) {
  const ctx = testContext();
  const writes = spyOnFileWrites();
  let obs;
  try {
    obs = await probeRetrieve(
      ctx,
      { host: '127.0.0.1', port: peer.port, tls: false },
      { calledAe: peer.aet, callingAe: 'PACSMAP' },
      opts,
    );
  } finally {
    writes.restore();
  }
  assert.deepEqual(writes.calls, [], 'the probe opened no file for writing');
  const everything = [JSON.stringify(obs), JSON.stringify(ctx.auditLines), ctx.logLines.join('\n')].join('\n');
  assertNoCanaries('retrieve observation, audit and log', everything, archive);
  // No instance or study UID leaves the probe either.
  for (const p of archive.patients)
    for (const s of p.studies) {
      assert.ok(!everything.includes(s.studyInstanceUid), 'no study UID in the output');
      for (const se of s.series) {
        assert.ok(!everything.includes(se.seriesInstanceUid), 'no series UID in the output');
        for (const i of se.instances)
          assert.ok(!everything.includes(i.sopInstanceUid), 'no instance UID in the output');
      }
    }
  return { obs, ctx };
}

test('Orthanc open to strangers: one instance comes back by C-GET, DICOM, exactly the stored data set size', async () => {
  const orthanc = await track(startOrthanc({ access: 'open', archive, dicomWeb: false }));
  const { obs, ctx } = await retrieve(orthanc);
  assert.equal(obs.status, 'success', obs.detail ?? '');
  const f = obs.facts!;
  assert.equal(f.associated, true);
  assert.equal(f.associations, 1);
  assert.equal(f.target, 'instance');
  // Success, or Cancel when our C-CANCEL (sent after the one match we read) overtook the final response.
  assert.ok([0x0000, 0xfe00].includes(f.find.status!), `find status ${f.find.status}`);
  const g = f.get!;
  assert.equal(g.meaning, 'retrieved');
  assert.equal(g.status, 0x0000);
  assert.equal(g.instanceReceived, true);
  assert.equal(g.isDicom, true);
  assert.equal(g.hasPixelData, true);
  assert.ok([SOP_CT_IMAGE, SOP_SECONDARY_CAPTURE].includes(g.sopClass!), `class ${g.sopClass}`);
  assert.ok(
    datasetSizes.has(g.instanceBytes!),
    `${g.instanceBytes} bytes is one archived data set (${[...datasetSizes]})`,
  );
  assert.equal(g.storeRequests, 1);
  assert.equal(g.storesRefused, 0);
  assert.deepEqual(g.subOperations, { remaining: null, completed: 1, failed: 0, warning: 0 });
  assert.ok(g.scpRoleGranted > 0, 'Orthanc grants the SCP role for storage classes');
  // Orthanc 1.10 refuses an unknown destination with 0xC000 (its log: "Accessing an inexistent item"), not 0xA801.
  const m = f.move!;
  assert.equal(m.attempted, true);
  assert.equal(m.finalStatus, 0xc000);
  assert.equal(m.meaning, 'refused');
  assert.equal(m.pendingResponses, 0);
  assert.equal(m.targetFound, true);
  assert.deepEqual(
    ctx.auditLines.map((a) => `${a.probe} ${a.status}`),
    [
      'dicom.retrieve.associate success',
      'dicom.retrieve.find success',
      'dicom.retrieve.get success',
      'dicom.retrieve.move success',
    ],
  );
  const log = await orthanc.readLog();
  assert.match(log, /Move-SCU request received for AET "PMX[0-9A-F]{13}"/);
});

test('Orthanc default access (Find/Get/Move not allowed): every request refused by A-ABORT, one association per step', async () => {
  const orthanc = await track(startOrthanc({ archive, dicomWeb: false }));
  const { obs, ctx } = await retrieve(orthanc);
  assert.equal(obs.status, 'success', obs.detail ?? '');
  const f = obs.facts!;
  assert.equal(f.associations, 3);
  assert.equal(f.target, 'none');
  assert.deepEqual(f.find, { offered: true, status: null, peerAborted: true });
  assert.equal(f.get!.meaning, 'refused');
  assert.equal(f.get!.peerAborted, true);
  assert.equal(f.get!.status, null);
  assert.equal(f.get!.instanceReceived, false);
  assert.equal(f.get!.targetFound, false);
  assert.equal(f.move!.meaning, 'refused');
  assert.equal(f.move!.peerAborted, true);
  assert.equal(ctx.auditLines.filter((a) => a.probe === 'dicom.retrieve.associate').length, 3);
  const log = await orthanc.readLog();
  for (const kind of ['Find', 'Get', 'Move']) assert.match(log, new RegExp(`Rejected ${kind} request`));
});

test('dcmqrscp (C-GET supported): one instance retrieved; C-MOVE to an unknown AE refused with 0xA801', async () => {
  const q = await track(startDcmqrscp({ archive }));
  const { obs } = await retrieve(q);
  assert.equal(obs.status, 'success', obs.detail ?? '');
  const f = obs.facts!;
  assert.equal(f.associations, 1);
  const g = f.get!;
  assert.equal(g.meaning, 'retrieved');
  assert.equal(g.status, 0x0000);
  assert.equal(g.isDicom, true);
  assert.ok(
    datasetSizes.has(g.instanceBytes!),
    `${g.instanceBytes} bytes is one archived data set (${[...datasetSizes]})`,
  );
  assert.deepEqual(g.subOperations, { remaining: null, completed: 1, failed: 0, warning: 0 });
  const m = f.move!;
  assert.equal(m.finalStatus, 0xa801);
  assert.equal(m.meaning, 'destination-refused');
  const log = await q.readLog();
  assert.match(log, /mapMoveDestination: unknown AE: 'PMX[0-9A-F]{13}'/);
});

test('a cap below the instance size: cut off, reported as too large, association aborted, nothing kept', async () => {
  const orthanc = await track(startOrthanc({ access: 'open', archive, dicomWeb: false }));
  const { obs } = await retrieve(orthanc, { maxInstanceBytes: 256 });
  const g = obs.facts!.get!;
  assert.equal(g.instanceTooLarge, true);
  assert.equal(g.instanceReceived, false);
  assert.equal(g.meaning, 'attempted');
  assert.equal(g.storeRequests, 0);
  assert.equal(obs.status, 'protocol-error');
  assert.match(obs.detail ?? '', /larger than 256 bytes/);
  // The move step ran on a fresh association.
  assert.equal(obs.facts!.associations, 2);
  assert.equal(obs.facts!.move!.finalStatus, 0xc000);
});
