/**
 * The lab acceptor: AE policies answered as real servers answer them, services by negotiation,
 * C-FIND streaming with C-CANCEL and result caps, and hostile input that ends in an A-ABORT and a
 * closed socket, never a crash. Driven by the project's requestor and by a raw socket client.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  requestAssociation,
  type Association,
  type AssociationOutcome,
} from '../../../src/protocol/association/requestor.ts';
import { DimseChannel } from '../../../src/protocol/dimse/channel.ts';
import { cEcho } from '../../../src/protocol/dimse/echo.ts';
import { cFind } from '../../../src/protocol/dimse/find.ts';
import {
  CommandDataSetType,
  CommandField,
  SopClass,
  Status,
  TransferSyntax,
} from '../../../src/protocol/dimse/constants.ts';
import { encodeCommand } from '../../../src/protocol/dimse/command.ts';
import { proposedPresentationContexts, PROPOSAL } from '../../../src/probes/dicom/proposal.ts';
import { connectRaw } from '../../fixtures/parrot/client.ts';
import * as b from '../../fixtures/parrot/bytes.ts';
import { Rng } from '../../../src/lab/random.ts';
import { behaviour, serveOne, type OneEndpoint } from './helpers.ts';

const endpoints: OneEndpoint[] = [];
after(async () => {
  await Promise.all(endpoints.map((e) => e.stop()));
});

async function serve(...args: Parameters<typeof serveOne>): Promise<OneEndpoint> {
  const e = await serveOne(...args);
  endpoints.push(e);
  return e;
}

const fast = { connectMs: 1000, acseMs: 1000, dimseMs: 2000, associationMs: 10_000 };

function associate(e: OneEndpoint, calledAe = 'ANY-SCP', callingAe = 'PACSMAP'): Promise<AssociationOutcome> {
  return requestAssociation({
    host: e.host,
    port: e.port,
    calledAe,
    callingAe,
    presentationContexts: proposedPresentationContexts(),
    timeouts: fast,
  });
}

async function accepted(e: OneEndpoint, calledAe?: string, callingAe?: string): Promise<Association> {
  const o = await associate(e, calledAe, callingAe);
  assert.equal(o.kind, 'accepted', `expected an AC, got ${o.kind}`);
  return (o as Extract<AssociationOutcome, { kind: 'accepted' }>).association;
}

function contextOf(a: Association, sopClass: string): { id: number; ts: string } {
  const p = PROPOSAL.find((x) => x.abstractSyntax === sopClass);
  assert.ok(p);
  const ts = a.acceptedTransferSyntax(p.id);
  assert.ok(ts, `${sopClass} not accepted`);
  return { id: p.id, ts };
}

test('accepts any AE, announces the product identity from fingerprints.json, negotiates per services', async () => {
  const e = await serve(behaviour({ productId: 'conquest-150', find: {}, store: false, get: false, move: true }));
  const a = await accepted(e, 'WHATEVER', 'SOMEONE');
  const ui = a.ac.userInformation;
  assert.equal(ui?.implementationClassUid, '1.2.826.0.1.3680043.2.135.1066.101');
  assert.equal(ui?.implementationVersionName, '1.5.0/WIN32');
  assert.equal(ui?.maxLength, 32768);
  const result = (uid: string): number | undefined =>
    a.ac.presentationContexts.find((c) => c.id === PROPOSAL.find((p) => p.abstractSyntax === uid)?.id)?.result;
  assert.equal(result(SopClass.Verification), 0);
  assert.equal(result(SopClass.StudyRootQueryRetrieveFind), 0);
  assert.equal(result(SopClass.StudyRootQueryRetrieveMove), 0);
  assert.equal(result(SopClass.StudyRootQueryRetrieveGet), 3, 'abstract syntax not supported');
  assert.equal(result('1.2.840.10008.5.1.4.1.1.2'), 3, 'no storage');
  // Conquest prefers implicit VR little endian.
  assert.equal(a.acceptedTransferSyntax(contextOf(a, SopClass.Verification).id), TransferSyntax.ImplicitVRLittleEndian);
  assert.equal(a.ac.calledAe, 'WHATEVER', 'AE titles echoed');
  await a.release();
  assert.equal(a.facts.ending, 'released');
  assert.equal(e.stats.releases, 1);
});

test('called AE policy: RJ 1/1/7 for any other title, AC for its own', async () => {
  const e = await serve(behaviour({ productId: 'dcm4chee-arc', checkCalled: true }));
  const o = await associate(e, 'ANY-SCP');
  assert.equal(o.kind, 'rejected');
  assert.deepEqual((o as Extract<AssociationOutcome, { kind: 'rejected' }>).reject, {
    type: 'A-ASSOCIATE-RJ',
    result: 1,
    source: 1,
    reason: 7,
  });
  const a = await accepted(e, 'DCM4CHEE');
  await a.release();
  assert.deepEqual(e.stats.rejects, { '1/1/7': 1 });
});

test('calling AE allow-list: RJ 1/1/3; the called AE is checked first', async () => {
  const e = await serve(
    behaviour({ productId: 'clearcanvas', checkCalled: true, aeTitle: 'CLEARCANVAS', callingAllowList: ['CT01'] }),
  );
  const both = await associate(e, 'ANY-SCP', 'PACSMAP');
  assert.equal(both.kind === 'rejected' && both.reject.reason, 7);
  const calling = await associate(e, 'CLEARCANVAS', 'PACSMAP');
  assert.equal(calling.kind === 'rejected' && calling.reject.reason, 3);
  const a = await accepted(e, 'CLEARCANVAS', 'CT01');
  await a.release();
});

test('a wrong application context is refused with RJ 1/1/2', async () => {
  const e = await serve(behaviour());
  const c = await connectRaw(e.port, e.host);
  await c.send(
    b.associateRq({
      calledAe: 'ANY-SCP',
      callingAe: 'PACSMAP',
      applicationContext: '1.2.3.4',
      contexts: [{ id: 1, abstractSyntax: b.VERIFICATION_SOP_CLASS, transferSyntaxes: [b.IMPLICIT_VR_LE] }],
    }),
  );
  const rj = await c.readPdu();
  assert.deepEqual([...rj], [...b.associateRj(1, 1, 2)]);
  c.socket.destroy();
});

test('past its association limit an endpoint answers RJ 2/3/2 (local limit exceeded)', async () => {
  const e = await serve(behaviour({ maxAssociations: 1 }));
  const first = await accepted(e);
  const second = await associate(e);
  assert.equal(second.kind, 'rejected');
  assert.deepEqual(second.kind === 'rejected' && second.reject, {
    type: 'A-ASSOCIATE-RJ',
    result: 2,
    source: 3,
    reason: 2,
  });
  await first.release();
  await new Promise((r) => setTimeout(r, 50));
  const third = await accepted(e);
  await third.release();
});

test('C-ECHO answers success', async () => {
  const e = await serve(behaviour({ find: null }));
  const a = await accepted(e);
  const ch = new DimseChannel(a);
  const r = await cEcho(ch, contextOf(a, SopClass.Verification).id, 1000);
  assert.equal(r.status, Status.Success);
  await a.release();
  assert.equal(e.stats.echoes, 1);
});

test('study-level C-FIND returns every study with its counts, matching the archive', async () => {
  const e = await serve(behaviour({ studies: 40, counts: 'always' }));
  const archive = e.behaviour.archive!;
  const a = await accepted(e);
  const ch = new DimseChannel(a);
  const ctx = contextOf(a, SopClass.StudyRootQueryRetrieveFind);
  const pids = new Set<string>();
  let instances = 0;
  const s = await cFind(
    ch,
    {
      contextId: ctx.id,
      sopClassUid: SopClass.StudyRootQueryRetrieveFind,
      transferSyntax: ctx.ts,
      identifier: {
        QueryRetrieveLevel: 'STUDY',
        StudyInstanceUID: '',
        PatientID: '',
        NumberOfStudyRelatedInstances: '',
      },
      maxMatches: 10_000,
      timeoutMs: 2000,
    },
    (ds) => {
      pids.add(String(ds['PatientID']));
      instances += Number(ds['NumberOfStudyRelatedInstances']);
      assert.equal(ds['SpecificCharacterSet'], 'ISO_IR 100', 'Orthanc always adds the character set');
    },
  );
  assert.equal(s.finalStatus, Status.Success);
  assert.equal(s.matches, 40);
  assert.equal(pids.size, archive.totals.patients);
  assert.equal(instances, archive.totals.instances);
  await a.release();
});

test('SERIES and IMAGE levels answer by UID; counts only where the archive has them', async () => {
  const e = await serve(
    behaviour({ studies: 6, counts: 'never', productId: 'fo-dicom', find: { patientRoot: false } }),
  );
  const archive = e.behaviour.archive!;
  const a = await accepted(e);
  const ch = new DimseChannel(a);
  const ctx = contextOf(a, SopClass.StudyRootQueryRetrieveFind);
  const find = async (identifier: Record<string, unknown>, onMatch: (ds: Readonly<Record<string, unknown>>) => void) =>
    cFind(
      ch,
      {
        contextId: ctx.id,
        sopClassUid: SopClass.StudyRootQueryRetrieveFind,
        transferSyntax: ctx.ts,
        identifier,
        maxMatches: 10_000,
        timeoutMs: 2000,
      },
      onMatch,
    );
  let total = 0;
  for (let s = 0; s < archive.studyCount; s++) {
    const series: string[] = [];
    const r = await find(
      {
        QueryRetrieveLevel: 'SERIES',
        StudyInstanceUID: archive.studyUid(s),
        SeriesInstanceUID: '',
        NumberOfSeriesRelatedInstances: '',
      },
      (ds) => {
        assert.equal(ds['NumberOfSeriesRelatedInstances'], '', 'counts: never → returned empty');
        series.push(String(ds['SeriesInstanceUID']));
      },
    );
    assert.equal(r.finalStatus, 0);
    assert.equal(series.length, archive.seriesCount(s));
    for (const uid of series) {
      const img = await find(
        {
          QueryRetrieveLevel: 'IMAGE',
          StudyInstanceUID: archive.studyUid(s),
          SeriesInstanceUID: uid,
          SOPInstanceUID: '',
        },
        () => {},
      );
      total += img.matches;
    }
  }
  assert.equal(total, archive.totals.instances);
  // Patient Root is not offered by this endpoint.
  assert.equal(
    a.acceptedTransferSyntax(PROPOSAL.find((p) => p.abstractSyntax === SopClass.PatientRootQueryRetrieveFind)!.id),
    undefined,
  );
  await a.release();
});

test('C-CANCEL stops the stream: final status 0xFE00 and no runaway sending', async () => {
  const e = await serve(behaviour({ studies: 800 }));
  const a = await accepted(e);
  const ch = new DimseChannel(a);
  const ctx = contextOf(a, SopClass.StudyRootQueryRetrieveFind);
  const s = await cFind(
    ch,
    {
      contextId: ctx.id,
      sopClassUid: SopClass.StudyRootQueryRetrieveFind,
      transferSyntax: ctx.ts,
      identifier: { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' },
      maxMatches: 5,
      timeoutMs: 2000,
    },
    () => {},
  );
  assert.equal(s.cancelled, true);
  assert.equal(s.finalStatus, Status.Cancel);
  assert.equal(e.stats.cancels, 1);
  assert.ok(e.stats.findMatchesSent < 100, `sent ${e.stats.findMatchesSent} of 800 despite the cancel`);
  // The association is still usable after the cancel.
  const echo = await cEcho(ch, contextOf(a, SopClass.Verification).id, 1000);
  assert.equal(echo.status, 0);
  await a.release();
});

test('a result cap (like Orthanc LimitFindResults) answers N matches then 0xFE00 without any C-CANCEL', async () => {
  const e = await serve(behaviour({ studies: 30, find: { limit: 10 } }));
  const a = await accepted(e);
  const ch = new DimseChannel(a);
  const ctx = contextOf(a, SopClass.StudyRootQueryRetrieveFind);
  const s = await cFind(
    ch,
    {
      contextId: ctx.id,
      sopClassUid: SopClass.StudyRootQueryRetrieveFind,
      transferSyntax: ctx.ts,
      identifier: { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' },
      maxMatches: 1000,
      timeoutMs: 2000,
    },
    () => {},
  );
  assert.equal(s.matches, 10);
  assert.equal(s.cancelled, false);
  assert.equal(s.finalStatus, Status.Cancel);
  assert.equal(e.stats.findsCropped, 1);
  assert.deepEqual(e.behaviour.archive!.visible(10), {
    ...e.behaviour.archive!.visible(10),
    studies: 10,
    capped: true,
  });
  await a.release();
});

test('strict hierarchical Patient Root: STUDY without a PatientID fails with 0xA900; PATIENT then STUDY works', async () => {
  const e = await serve(
    behaviour({ productId: 'dcmtk-367', studies: 9, find: { studyRoot: false, hierarchical: true }, counts: 'never' }),
  );
  const a = await accepted(e);
  const ch = new DimseChannel(a);
  const ctx = contextOf(a, SopClass.PatientRootQueryRetrieveFind);
  const find = (
    identifier: Record<string, unknown>,
    onMatch: (ds: Readonly<Record<string, unknown>>) => void = () => {},
  ) =>
    cFind(
      ch,
      {
        contextId: ctx.id,
        sopClassUid: SopClass.PatientRootQueryRetrieveFind,
        transferSyntax: ctx.ts,
        identifier,
        maxMatches: 1000,
        timeoutMs: 2000,
      },
      onMatch,
    );
  const bad = await find({ QueryRetrieveLevel: 'STUDY', PatientID: '', StudyInstanceUID: '' });
  assert.equal(bad.finalStatus, Status.IdentifierDoesNotMatchSopClass);
  assert.equal(bad.matches, 0);
  const patients: string[] = [];
  await find({ QueryRetrieveLevel: 'PATIENT', PatientID: '' }, (ds) => patients.push(String(ds['PatientID'])));
  assert.equal(patients.length, e.behaviour.archive!.totals.patients);
  let studies = 0;
  for (const pid of patients)
    studies += (await find({ QueryRetrieveLevel: 'STUDY', PatientID: pid, StudyInstanceUID: '' })).matches;
  assert.equal(studies, 9);
  await a.release();
});

test('a refused query answers its failure status; C-STORE, C-GET and C-MOVE answer as documented', async () => {
  const e = await serve(
    behaviour({ find: { refuseStatus: Status.UnableToProcess }, store: true, get: true, move: true }),
  );
  const a = await accepted(e);
  const ch = new DimseChannel(a);
  const q = contextOf(a, SopClass.StudyRootQueryRetrieveFind);
  const s = await cFind(
    ch,
    {
      contextId: q.id,
      sopClassUid: SopClass.StudyRootQueryRetrieveFind,
      transferSyntax: q.ts,
      identifier: { QueryRetrieveLevel: 'STUDY' },
      maxMatches: 10,
      timeoutMs: 2000,
    },
    () => {},
  );
  assert.equal(s.finalStatus, Status.UnableToProcess);
  const call = async (sop: string, command: Parameters<typeof encodeCommand>[0], dataset?: Uint8Array) => {
    const c = contextOf(a, sop);
    ch.send(c.id, command, dataset);
    return (await ch.receive({ timeoutMs: 2000 })).command;
  };
  const store = await call(
    '1.2.840.10008.5.1.4.1.1.2',
    {
      commandField: CommandField.CStoreRq,
      messageId: 11,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      affectedSopInstanceUid: '2.25.1',
      priority: 0,
      commandDataSetType: CommandDataSetType.Present,
    },
    new Uint8Array(64),
  );
  assert.equal(store.commandField, CommandField.CStoreRsp);
  assert.equal(store.status, Status.Success);
  assert.equal(store.messageIdBeingRespondedTo, 11);
  const get = await call(
    SopClass.StudyRootQueryRetrieveGet,
    {
      commandField: CommandField.CGetRq,
      messageId: 12,
      affectedSopClassUid: SopClass.StudyRootQueryRetrieveGet,
      priority: 0,
      commandDataSetType: CommandDataSetType.Present,
    },
    new Uint8Array(0),
  );
  assert.equal(get.status, Status.RefusedOutOfResourcesSubOperations);
  const move = await call(
    SopClass.StudyRootQueryRetrieveMove,
    {
      commandField: CommandField.CMoveRq,
      messageId: 13,
      affectedSopClassUid: SopClass.StudyRootQueryRetrieveMove,
      moveDestination: 'ELSEWHERE',
      priority: 0,
      commandDataSetType: CommandDataSetType.Present,
    },
    new Uint8Array(0),
  );
  assert.equal(move.status, Status.RefusedMoveDestinationUnknown);
  await a.release();
  assert.deepEqual([e.stats.stores, e.stats.gets, e.stats.moves], [1, 1, 1]);
});

test('--latency: every response PDU is held back by the configured delay', async () => {
  const e = await serve(behaviour({ find: null }), { latencyMs: 60 });
  const t0 = performance.now();
  const a = await accepted(e);
  const acMs = performance.now() - t0;
  const t1 = performance.now();
  await cEcho(new DimseChannel(a), contextOf(a, SopClass.Verification).id, 2000);
  const echoMs = performance.now() - t1;
  await a.release();
  assert.ok(acMs >= 55, `AC after ${acMs} ms`);
  assert.ok(echoMs >= 55, `echo after ${echoMs} ms`);
});

// ─── hostile input ─────────────────────────────────────────────────────────────

const rqBytes = (): Uint8Array =>
  b.associateRq({
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    contexts: [{ id: 1, abstractSyntax: b.VERIFICATION_SOP_CLASS, transferSyntaxes: [b.IMPLICIT_VR_LE] }],
  });

async function expectAbortAndClose(
  e: OneEndpoint,
  send: Uint8Array[],
  what: string,
  expectAbort = true,
): Promise<void> {
  const c = await connectRaw(e.port, e.host);
  for (const bytes of send) await c.send(bytes).catch(() => {});
  await c.waitFor(() => c.isClosed || c.gotEnd, 2000, `close after ${what}`);
  const data = c.data();
  const last = data.subarray(data.length - 10);
  if (expectAbort) assert.equal(last[0], b.PDU.Abort, `${what}: ends with an A-ABORT`);
  c.socket.destroy();
}

test('hostile input before the association ends in A-ABORT and a closed socket', async () => {
  const e = await serve(behaviour(), { limits: { artimMs: 300 } });
  await expectAbortAndClose(e, [b.garbage(64, 3)], 'garbage');
  await expectAbortAndClose(e, [new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n')], 'an HTTP request');
  await expectAbortAndClose(e, [b.pduClaiming4GiB()], 'a PDU claiming 4 GiB');
  await expectAbortAndClose(
    e,
    [b.pdataTf([{ contextId: 1, command: true, last: true, data: new Uint8Array(8) }])],
    'P-DATA before the RQ',
  );
  await expectAbortAndClose(e, [b.releaseRq()], 'A-RELEASE-RQ before the RQ');
  // Silence (or half a PDU): the ARTIM timer closes the connection, without an A-ABORT (no association).
  await expectAbortAndClose(e, [], 'silence', false);
  await expectAbortAndClose(e, [rqBytes().subarray(0, 40)], 'half an RQ', false);
  assert.ok(e.stats.protocolErrors >= 5);
  assert.equal(e.stats.timeouts, 2);
  const a = await accepted(e);
  await a.release();
});

test('hostile input during the association ends in A-ABORT; the endpoint keeps serving', async () => {
  const e = await serve(behaviour({ find: null }));
  const echoRq = b.cEchoRq({ contextId: 1, messageId: 1 });
  const cases: [string, Uint8Array[]][] = [
    ['a second RQ', [rqBytes()]],
    ['an unknown PDU type', [new Uint8Array([0x09, 0, 0, 0, 0, 2, 0, 0])]],
    ['an A-ASSOCIATE-AC', [b.associateAc({ calledAe: 'A', callingAe: 'B', contexts: [] })]],
    [
      'P-DATA on a context never proposed',
      [b.pdataTf([{ contextId: 99, command: true, last: true, data: new Uint8Array(8) }])],
    ],
    [
      'a data set where a command belongs',
      [b.pdataTf([{ contextId: 1, command: false, last: true, data: new Uint8Array(8) }])],
    ],
    [
      'a command set that does not parse',
      [b.pdataTf([{ contextId: 1, command: true, last: true, data: new Uint8Array([1, 2, 3]) }])],
    ],
    ['a malformed P-DATA', [new Uint8Array([0x04, 0, 0, 0, 0, 3, 0, 0, 9])]],
  ];
  for (const [what, extra] of cases) {
    await expectAbortAndClose(e, [rqBytes(), ...extra], what);
  }
  // A well-behaved client still gets its echo.
  const c = await connectRaw(e.port, e.host);
  await c.send(rqBytes());
  await c.readPdu();
  await c.send(echoRq);
  const rsp = await c.readPdu();
  assert.equal(b.commandOf(rsp).commandField, 0x8030);
  c.socket.destroy();
  assert.equal(e.stats.abortsSent, cases.length);
});

test('random bytes and mutated requests never crash the acceptor', async () => {
  const e = await serve(behaviour(), { limits: { artimMs: 200, idleMs: 200, closeMs: 200 } });
  const rng = new Rng('fuzz');
  const valid = rqBytes();
  for (let i = 0; i < 60; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = b.garbage(rng.int(1, 300), i);
    } else {
      bytes = valid.slice();
      for (let k = 0; k < rng.int(1, 8); k++) bytes[rng.int(0, bytes.length - 1)] = rng.int(0, 255);
    }
    const c = await connectRaw(e.port, e.host);
    await c.send(bytes).catch(() => {});
    await c
      .waitFor(() => c.isClosed || c.gotEnd || c.data().length > 0, 2000, `an answer to input ${i}`)
      .catch(() => {});
    c.socket.destroy();
  }
  const a = await accepted(e);
  await a.release();
});
