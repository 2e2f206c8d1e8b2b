/**
 * C-FIND at the protocol level against DCMTK's dcmqrscp: both information models, streaming
 * matches, and C-CANCEL after a cap answered by the real server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { makeArchive, type SyntheticArchive } from '../../fixtures/studies/synthetic.ts';
import { startDcmqrscp, startOrthanc, type PeerBase } from '../../fixtures/peers/index.ts';
import { requestAssociation, type Association } from '../../../src/protocol/association/requestor.ts';
import { DimseChannel } from '../../../src/protocol/dimse/channel.ts';
import { cFind } from '../../../src/protocol/dimse/find.ts';
import { SopClass, Status, TransferSyntax } from '../../../src/protocol/dimse/constants.ts';

const peers: PeerBase[] = [];
let archive: SyntheticArchive;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-find-'));
  archive = await makeArchive({
    patients: 4,
    studiesPerPatient: 3,
    seriesPerStudy: 1,
    instancesPerSeries: 1,
    seed: 11,
    dir,
  });
});

after(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const PATIENT_ROOT = 1;
const STUDY_ROOT = 3;

async function open(port: number, calledAe: string): Promise<Association> {
  const o = await requestAssociation({
    host: '127.0.0.1',
    port,
    calledAe,
    callingAe: 'PACSMAP',
    presentationContexts: [
      {
        id: PATIENT_ROOT,
        abstractSyntax: SopClass.PatientRootQueryRetrieveFind,
        transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian],
      },
      {
        id: STUDY_ROOT,
        abstractSyntax: SopClass.StudyRootQueryRetrieveFind,
        transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian],
      },
    ],
  });
  assert.equal(o.kind, 'accepted');
  return (o as { association: Association }).association;
}

test('dcmqrscp: Patient Root at PATIENT level and Study Root at STUDY level count exactly', async () => {
  const q = await startDcmqrscp({ aet: 'QR', archive });
  peers.push(q);
  const a = await open(q.port, 'QR');
  const ch = new DimseChannel(a);
  let seen = 0;
  const patients = await cFind(
    ch,
    {
      contextId: PATIENT_ROOT,
      sopClassUid: SopClass.PatientRootQueryRetrieveFind,
      transferSyntax: a.acceptedTransferSyntax(PATIENT_ROOT)!,
      identifier: { QueryRetrieveLevel: 'PATIENT', PatientID: '' },
      maxMatches: 1000,
    },
    (ds) => {
      assert.equal(typeof ds['PatientID'], 'string');
      seen += 1;
    },
  );
  assert.equal(patients.finalStatus, Status.Success);
  assert.equal(patients.matches, archive.counts.patients);
  assert.equal(seen, archive.counts.patients);
  const studies = await cFind(
    ch,
    {
      contextId: STUDY_ROOT,
      sopClassUid: SopClass.StudyRootQueryRetrieveFind,
      transferSyntax: a.acceptedTransferSyntax(STUDY_ROOT)!,
      identifier: { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' },
      maxMatches: 1000,
    },
    () => {},
  );
  assert.equal(studies.matches, archive.counts.studies);
  await a.release();
  assert.equal(a.facts.ending, 'released');
});

for (const server of ['dcmqrscp', 'orthanc'] as const) {
  test(`${server}: C-CANCEL after a cap of 2 matches ends the query cleanly, association still usable`, async () => {
    const peer =
      server === 'dcmqrscp'
        ? await startDcmqrscp({ aet: 'QR', archive })
        : await startOrthanc({ access: 'open', aet: 'QR', archive });
    peers.push(peer);
    const a = await open(peer.port, 'QR');
    const ch = new DimseChannel(a);
    const req = {
      contextId: STUDY_ROOT,
      sopClassUid: SopClass.StudyRootQueryRetrieveFind,
      transferSyntax: a.acceptedTransferSyntax(STUDY_ROOT)!,
      identifier: { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' },
    };
    const capped = await cFind(ch, { ...req, maxMatches: 2 }, () => {});
    assert.equal(capped.cancelled, true);
    assert.equal(capped.matches, 2);
    assert.ok(
      capped.finalStatus === Status.Cancel || capped.finalStatus === Status.Success,
      `final 0x${capped.finalStatus?.toString(16)}`,
    );
    // The association is in a clean state: the next query on it gets every match.
    const all = await cFind(ch, { ...req, maxMatches: 1000 }, () => {});
    assert.equal(all.matches, archive.counts.studies);
    await a.release();
  });
}
