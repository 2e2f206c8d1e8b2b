/**
 * `dicom.retrieve` against scripted archives (the parrot) that misbehave during C-GET and C-MOVE:
 * an endless or oversized instance, silence, an endless stream of pending responses, garbage,
 * a flood of C-STORE sub-operations, a non-DICOM instance, a careless C-MOVE. Each must end as a
 * status within its deadline, with memory bounded, and with no planted value in the output.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startParrot, type Parrot, type ParrotConnection } from '../../fixtures/parrot/parrot.ts';
import { garbage } from '../../fixtures/parrot/bytes.ts';
import { encodePdu, readPdu } from '../../../src/protocol/ul/codec.ts';
import type { AssociateRq, Pdu } from '../../../src/protocol/ul/pdu.ts';
import { decodeCommand, encodeCommand, type Command } from '../../../src/protocol/dimse/command.ts';
import { CommandDataSetType, CommandField, StorageSopClass } from '../../../src/protocol/dimse/constants.ts';
import { encodeDataset } from '../../../src/protocol/dimse/dataset.ts';
import { probeRetrieve } from '../../../src/probes/dicom/retrieve.ts';
import { testContext } from '../../helpers/probe-context.ts';

const parrots: Parrot[] = [];
after(async () => {
  await Promise.all(parrots.map((p) => p.stop()));
});

const CANARY = 'CNRYZQXHOSTILE';
const STUDY_UID = '1.2.826.0.1.3680043.2.1125.77.1';
const SERIES_UID = '1.2.826.0.1.3680043.2.1125.77.2';
const INSTANCE_UID = '1.2.826.0.1.3680043.2.1125.77.3';
const EXPLICIT = '1.2.840.10008.1.2.1';

/** What the scripted archive saw from us, for assertions. */
interface Seen {
  storeRspStatuses: number[];
  /** C-CANCEL-RQs seen, per operation (each C-FIND of the target walk sends one too). */
  cancels: Record<'find' | 'get' | 'move', number>;
  phase: 'find' | 'get' | 'move';
  aborts: number;
  moveDestinations: string[];
}

type GetBehaviour = (a: Archive, getRq: Command, contextId: number) => Promise<void>;
type MoveBehaviour = (a: Archive, moveRq: Command, contextId: number) => Promise<void>;

/** One connection of a scripted archive: decodes our PDUs, answers with encoded ones. */
class Archive {
  readonly conn: ParrotConnection;
  readonly seen: Seen;
  rq!: AssociateRq;
  private nextId = 100;
  constructor(conn: ParrotConnection, seen: Seen) {
    this.conn = conn;
    this.seen = seen;
  }
  async pdu(timeoutMs = 3_000): Promise<Pdu> {
    const bytes = await this.conn.readPdu(timeoutMs);
    const r = readPdu(bytes, 1 << 24);
    if (r.kind !== 'pdu') throw new Error(`client sent ${r.kind}`);
    return r.pdu;
  }
  /** The next command from the client (and its data set, if one follows). Null on release/abort. */
  async message(): Promise<{ cmd: Command; contextId: number; dataset: Uint8Array | null } | null> {
    const p = await this.pdu();
    if (p.type === 'A-RELEASE-RQ') {
      await this.conn.send(encodePdu({ type: 'A-RELEASE-RP' }));
      return null;
    }
    if (p.type === 'A-ABORT') {
      this.seen.aborts += 1;
      return null;
    }
    if (p.type !== 'P-DATA-TF') throw new Error(`unexpected ${p.type}`);
    const pdv = p.pdvs[0]!;
    const d = decodeCommand(pdv.data);
    if (!d.ok) throw new Error(d.reason);
    let dataset: Uint8Array | null = null;
    if (d.command.commandDataSetType !== CommandDataSetType.Absent) {
      const q = await this.pdu();
      if (q.type !== 'P-DATA-TF') throw new Error('data set expected');
      dataset = q.pdvs[0]!.data;
    }
    return { cmd: d.command, contextId: pdv.contextId, dataset };
  }
  async send(contextId: number, cmd: Command, dataset?: Uint8Array): Promise<void> {
    const pdvs = [{ contextId, isCommand: true, isLast: true, data: encodeCommand(cmd) }];
    await this.conn.send(encodePdu({ type: 'P-DATA-TF', pdvs }));
    if (dataset)
      await this.conn.send(
        encodePdu({ type: 'P-DATA-TF', pdvs: [{ contextId, isCommand: false, isLast: true, data: dataset }] }),
      );
  }
  newId(): number {
    return this.nextId++;
  }
  /** The context we accepted for a storage class. */
  storageContext(uid: string): number {
    return this.rq.presentationContexts.find((c) => c.abstractSyntax === uid)!.id;
  }
}

/** A small CT data set: SOP class/instance, a planted patient name, and pixel data. */
function ctDataset(pixelBytes = 128): Uint8Array {
  const head = encodeDataset(
    { SOPClassUID: StorageSopClass.CT, SOPInstanceUID: INSTANCE_UID, PatientName: `${CANARY}^X` },
    EXPLICIT,
  );
  const px = new Uint8Array(12 + pixelBytes);
  const v = new DataView(px.buffer);
  v.setUint16(0, 0x7fe0, true);
  v.setUint16(2, 0x0010, true);
  px[4] = 0x4f; // 'O'
  px[5] = 0x57; // 'W'
  v.setUint32(8, pixelBytes, true);
  return Uint8Array.from([...head, ...px]);
}

const refuseMoveA801: MoveBehaviour = async (a, rq, ctx) => {
  await a.send(ctx, {
    commandField: CommandField.CMoveRsp,
    messageIdBeingRespondedTo: rq.messageId,
    affectedSopClassUid: rq.affectedSopClassUid,
    commandDataSetType: CommandDataSetType.Absent,
    status: 0xa801,
  });
};

/** One C-STORE-RQ sub-operation carrying `dataset`, then read our C-STORE-RSP. */
async function storeOne(a: Archive, dataset: Uint8Array): Promise<void> {
  const ctx = a.storageContext(StorageSopClass.CT);
  await a.send(
    ctx,
    {
      commandField: CommandField.CStoreRq,
      messageId: a.newId(),
      affectedSopClassUid: StorageSopClass.CT,
      affectedSopInstanceUid: INSTANCE_UID,
      priority: 0,
      commandDataSetType: CommandDataSetType.Present,
    },
    dataset,
  );
}

function getRsp(rq: Command, status: number, counts: Partial<Record<'r' | 'c' | 'f' | 'w', number>> = {}): Command {
  return {
    commandField: CommandField.CGetRsp,
    messageIdBeingRespondedTo: rq.messageId,
    affectedSopClassUid: rq.affectedSopClassUid,
    commandDataSetType: CommandDataSetType.Absent,
    status,
    numberOfRemainingSuboperations: counts.r,
    numberOfCompletedSuboperations: counts.c ?? 0,
    numberOfFailedSuboperations: counts.f ?? 0,
    numberOfWarningSuboperations: counts.w ?? 0,
  };
}

async function scriptedArchive(get: GetBehaviour, move: MoveBehaviour = refuseMoveA801) {
  const seen: Seen = {
    storeRspStatuses: [],
    cancels: { find: 0, get: 0, move: 0 },
    phase: 'find',
    aborts: 0,
    moveDestinations: [],
  };
  const p = await startParrot(
    async (conn) => {
      const a = new Archive(conn, seen);
      const first = await a.pdu();
      if (first.type !== 'A-ASSOCIATE-RQ') throw new Error('association request expected');
      a.rq = first;
      await conn.send(
        encodePdu({
          type: 'A-ASSOCIATE-AC',
          protocolVersion: 1,
          calledAe: first.calledAe,
          callingAe: first.callingAe,
          applicationContext: first.applicationContext,
          presentationContexts: first.presentationContexts.map((c) => ({
            id: c.id,
            result: 0,
            transferSyntax: EXPLICIT,
          })),
          userInformation: {
            maxLength: 16_384,
            implementationClassUid: '2.25.1',
            roleSelections: first.userInformation.roleSelections.map((r) => ({ ...r, scuRole: 0, scpRole: 1 })),
            extendedNegotiations: [],
            unknownItems: [],
          },
          unknownItems: [],
        }),
      );
      for (;;) {
        const m = await a.message();
        if (m === null) return;
        const { cmd, contextId } = m;
        switch (cmd.commandField) {
          case CommandField.CFindRq: {
            const level = /IMAGE|SERIES|STUDY/.exec(Buffer.from(m.dataset!).toString('latin1'))?.[0];
            const match = encodeDataset(
              {
                QueryRetrieveLevel: level,
                StudyInstanceUID: STUDY_UID,
                SeriesInstanceUID: level === 'STUDY' ? undefined : SERIES_UID,
                SOPInstanceUID: level === 'IMAGE' ? INSTANCE_UID : undefined,
                PatientName: `${CANARY}^FIND`,
              },
              EXPLICIT,
            );
            const base = { commandField: CommandField.CFindRsp, messageIdBeingRespondedTo: cmd.messageId };
            await a.send(contextId, { ...base, commandDataSetType: CommandDataSetType.Present, status: 0xff00 }, match);
            await a.send(contextId, { ...base, commandDataSetType: CommandDataSetType.Absent, status: 0x0000 });
            break;
          }
          case CommandField.CCancelRq:
            seen.cancels[seen.phase] += 1;
            break;
          case CommandField.CStoreRsp:
            seen.storeRspStatuses.push(cmd.status ?? -1);
            break;
          case CommandField.CGetRq:
            seen.phase = 'get';
            await get(a, cmd, contextId);
            break;
          case CommandField.CMoveRq:
            seen.moveDestinations.push(cmd.moveDestination ?? '');
            seen.phase = 'move';
            await move(a, cmd, contextId);
            break;
          default:
            throw new Error(`unexpected command 0x${(cmd.commandField ?? 0).toString(16)}`);
        }
      }
    },
    { readTimeoutMs: 5_000 },
  );
  parrots.push(p);
  return { p, seen };
}

const deadlines = { connectMs: 1_000, acseMs: 1_000, dimseMs: 500, associationMs: 3_000 };

async function run(p: Parrot, maxInstanceBytes?: number) {
  const ctx = testContext({ timeouts: deadlines });
  const t0 = performance.now();
  const obs = await probeRetrieve(
    ctx,
    { host: p.host, port: p.port, tls: false },
    { calledAe: 'ANY-SCP', callingAe: 'PACSMAP' },
    maxInstanceBytes === undefined ? {} : { maxInstanceBytes },
  );
  const elapsed = performance.now() - t0;
  const out = JSON.stringify(obs) + JSON.stringify(ctx.auditLines) + ctx.logLines.join('\n');
  assert.ok(!out.includes('CNRYZQX'), 'no planted value in facts, audit or log');
  for (const uid of [STUDY_UID, SERIES_UID, INSTANCE_UID]) assert.ok(!out.includes(uid), 'no UID in the output');
  return { obs, elapsed, ctx };
}

test('a well-behaved scripted archive: one instance retrieved, counted exactly, move refused 0xA801', async () => {
  const ds = ctDataset(256);
  const { p, seen } = await scriptedArchive(async (a, rq, ctx) => {
    await storeOne(a, ds);
    const rsp = await a.message();
    seen.storeRspStatuses.push(rsp!.cmd.status ?? -1);
    await a.send(ctx, getRsp(rq, 0x0000, { c: 1 }));
  });
  const { obs } = await run(p);
  assert.equal(obs.status, 'success', obs.detail ?? '');
  const g = obs.facts!.get!;
  assert.equal(g.meaning, 'retrieved');
  assert.equal(g.instanceBytes, ds.length);
  assert.equal(g.isDicom, true);
  assert.equal(g.hasPixelData, true);
  assert.equal(g.sopClass, StorageSopClass.CT);
  assert.equal(g.scpRoleGranted, Object.keys(StorageSopClass).length);
  assert.deepEqual(seen.storeRspStatuses, [0x0000]);
  assert.equal(obs.facts!.move!.meaning, 'destination-refused');
  assert.match(seen.moveDestinations[0]!, /^PMX[0-9A-F]{13}$/);
});

test('a data set that never ends is cut off at the cap: association aborted, reported too large, within deadline', async () => {
  const cap = 100_000;
  const { p, seen } = await scriptedArchive(async (a) => {
    const ctx = a.storageContext(StorageSopClass.CT);
    await a.send(ctx, {
      commandField: CommandField.CStoreRq,
      messageId: a.newId(),
      affectedSopClassUid: StorageSopClass.CT,
      affectedSopInstanceUid: INSTANCE_UID,
      priority: 0,
      commandDataSetType: CommandDataSetType.Present,
    });
    const chunk = new Uint8Array(16_000);
    // Endless: fragments never marked last, until the client hangs up.
    for (let i = 0; i < 100_000 && !a.conn.signal.aborted; i++)
      await a.conn.send(
        encodePdu({ type: 'P-DATA-TF', pdvs: [{ contextId: ctx, isCommand: false, isLast: false, data: chunk }] }),
      );
  });
  const { obs, elapsed } = await run(p, cap);
  const g = obs.facts!.get!;
  assert.equal(g.instanceTooLarge, true);
  assert.equal(g.instanceReceived, false);
  assert.equal(g.meaning, 'attempted');
  assert.equal(obs.status, 'protocol-error');
  assert.match(obs.detail!, /larger than 100000 bytes/);
  assert.ok(elapsed < 3_000, `ended in ${elapsed} ms`);
  // The client aborted: the parrot's endless send stopped long before 100 000 fragments.
  const first = p.sessions[0]!;
  await first.done;
  assert.equal(first.endedBy, 'peer');
  assert.deepEqual(seen.storeRspStatuses, [], 'a cut-off instance is never acknowledged');
  // The move step ran on a second association.
  assert.equal(obs.facts!.associations, 2);
  assert.equal(obs.facts!.move!.meaning, 'destination-refused');
});

test('an archive that never answers the C-GET: io-timeout at the DIMSE deadline, no hang', async () => {
  const { p } = await scriptedArchive(async (a) => {
    await a.conn.silent();
  });
  const { obs, elapsed } = await run(p);
  assert.equal(obs.status, 'io-timeout');
  assert.equal(obs.facts!.get!.meaning, 'no-answer');
  assert.equal(obs.facts!.get!.status, null);
  assert.ok(elapsed < deadlines.dimseMs * 2 + 1_500, `ended in ${elapsed} ms`);
});

test('an endless stream of pending C-GET responses: stopped by the association deadline', async () => {
  const { p } = await scriptedArchive(async (a, rq, ctx) => {
    for (let i = 0; i < 10_000 && !a.conn.signal.aborted; i++) {
      await a.send(ctx, getRsp(rq, 0xff00, { r: 5, c: 0 }));
      await a.conn.wait(100);
    }
  });
  const { obs, elapsed } = await run(p);
  assert.equal(obs.status, 'io-timeout');
  assert.equal(obs.facts!.get!.meaning, 'no-answer');
  assert.ok(elapsed < deadlines.associationMs + 1_500, `ended in ${elapsed} ms`);
});

test('garbage in answer to C-GET: protocol error, association dropped', async () => {
  const { p } = await scriptedArchive(async (a) => {
    await a.conn.send(garbage(3_000, 7));
    await a.conn.wait(2_000);
  });
  const { obs, elapsed } = await run(p);
  assert.notEqual(obs.status, 'success');
  assert.equal(obs.facts!.get!.instanceReceived, false);
  assert.ok(['no-answer', 'attempted'].includes(obs.facts!.get!.meaning));
  assert.ok(elapsed < 3_000, `ended in ${elapsed} ms`);
});

test('an archive that sends a whole study: first kept, the rest refused 0xA700, one C-CANCEL sent', async () => {
  const ds = ctDataset(64);
  const { p, seen } = await scriptedArchive(async (a, rq, ctx) => {
    for (let i = 0; i < 3; i++) {
      await storeOne(a, ds);
      // Our C-STORE-RSP (and, after the second, our C-CANCEL) come back in between.
      for (;;) {
        const m = await a.message();
        if (m === null) return;
        if (m.cmd.commandField === CommandField.CCancelRq) {
          seen.cancels[seen.phase] += 1;
          continue;
        }
        seen.storeRspStatuses.push(m.cmd.status ?? -1);
        break;
      }
      await a.send(ctx, getRsp(rq, 0xff00, { r: 2 - i, c: i === 0 ? 1 : 1, f: i }));
    }
    await a.send(ctx, getRsp(rq, 0xfe00, { c: 1, f: 2 }));
  });
  const { obs } = await run(p);
  assert.equal(obs.status, 'success', obs.detail ?? '');
  const g = obs.facts!.get!;
  assert.equal(g.meaning, 'retrieved');
  assert.equal(g.storeRequests, 3);
  assert.equal(g.storesRefused, 2);
  assert.equal(g.cancelSent, true);
  assert.equal(g.status, 0xfe00);
  assert.deepEqual(seen.storeRspStatuses, [0x0000, 0xa700, 0xa700]);
  assert.deepEqual(seen.cancels, { find: 3, get: 1, move: 0 });
});

test('a C-STORE sub-operation that is not DICOM: answered 0xC000, reported attempted, not retrieved', async () => {
  const { p, seen } = await scriptedArchive(async (a, rq, ctx) => {
    await storeOne(a, garbage(500, 3));
    const rsp = await a.message();
    seen.storeRspStatuses.push(rsp!.cmd.status ?? -1);
    await a.send(ctx, getRsp(rq, 0xb000, { f: 1 }));
  });
  const { obs } = await run(p);
  const g = obs.facts!.get!;
  assert.equal(g.isDicom, false);
  assert.equal(g.instanceBytes, 500);
  assert.equal(g.meaning, 'attempted');
  assert.deepEqual(seen.storeRspStatuses, [0xc000]);
});

test('a careless archive that tries the unknown destination: attempted, C-CANCEL sent, counts kept', async () => {
  const ds = ctDataset(32);
  const { p, seen } = await scriptedArchive(
    async (a, rq, ctx) => {
      await storeOne(a, ds);
      await a.message();
      await a.send(ctx, getRsp(rq, 0x0000, { c: 1 }));
    },
    async (a, rq, ctx) => {
      const base = {
        commandField: CommandField.CMoveRsp,
        messageIdBeingRespondedTo: rq.messageId,
        commandDataSetType: CommandDataSetType.Absent,
      };
      await a.send(ctx, {
        ...base,
        status: 0xff00,
        numberOfRemainingSuboperations: 1,
        numberOfCompletedSuboperations: 0,
        numberOfFailedSuboperations: 0,
        numberOfWarningSuboperations: 0,
      });
      const cancel = await a.message();
      if (cancel?.cmd.commandField === CommandField.CCancelRq) seen.cancels[seen.phase] += 1;
      await a.send(ctx, {
        ...base,
        status: 0xfe00,
        numberOfCompletedSuboperations: 0,
        numberOfFailedSuboperations: 1,
        numberOfWarningSuboperations: 0,
      });
    },
  );
  const { obs } = await run(p);
  assert.equal(obs.status, 'success', obs.detail ?? '');
  const m = obs.facts!.move!;
  assert.equal(m.meaning, 'attempted');
  assert.equal(m.pendingResponses, 1);
  assert.equal(m.cancelSent, true);
  assert.equal(m.finalStatus, 0xfe00);
  assert.deepEqual(m.subOperations, { remaining: null, completed: 0, failed: 1, warning: 0 });
  assert.deepEqual(seen.cancels, { find: 3, get: 0, move: 1 });
});

test('out of scope: no connection at all', async () => {
  const { p } = await scriptedArchive(async () => {});
  const { Scope } = await import('../../../src/scope/scope.ts');
  const ctx = testContext({ scope: new Scope().allow('10.0.0.0/8') });
  const obs = await probeRetrieve(ctx, { host: p.host, port: p.port, tls: false }, { calledAe: 'A', callingAe: 'B' });
  assert.equal(obs.facts, null);
  assert.match(obs.detail!, /outside the authorised scope/);
  assert.equal(p.connections, 0);
  assert.deepEqual(ctx.auditLines, []);
});
