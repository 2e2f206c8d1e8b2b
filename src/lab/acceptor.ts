/**
 * The acceptor side of PS3.8 §9.2 for one lab endpoint: takes a connected socket (plain or TLS),
 * answers A-ASSOCIATE-RQ per the endpoint's AE policy (AC or RJ with the reason a real server
 * gives), serves C-ECHO, C-FIND (streamed, honouring C-CANCEL and an optional result cap),
 * C-STORE, C-GET and C-MOVE, and releases or aborts. It reuses the project's codec (readPdu /
 * encodePdu), command set (encodeCommand / decodeCommand) and identifier decoding.
 *
 * It is our own server, but still faces whatever a test or a fuzzer sends it, so it never throws
 * and never trusts a length: a bounded PDU reader, a byte budget per association, an ARTIM timer
 * while waiting for the request, an idle timer during the association, and a close timer after
 * RJ/RP/A-ABORT. Any violation ends as an A-ABORT and a closed socket, counted in the stats.
 *
 * The state machine is the acceptor's part of PS3.8 Table 9-10 as a transition table, in the style
 * of the requestor (src/protocol/association/requestor.ts).
 */
import type { Duplex } from 'node:stream';
import { encodePdu, readPdu } from '../protocol/ul/codec.ts';
import {
  DICOM_APPLICATION_CONTEXT,
  PresentationContextResult,
  type AssociateRq,
  type PDataTf,
  type Pdu,
  type Pdv,
  type PresentationContextAc,
  type RoleSelection,
} from '../protocol/ul/pdu.ts';
import { decodeCommand, encodeCommand, hasDataSet, type Command } from '../protocol/dimse/command.ts';
import { decodeDataset } from '../protocol/dimse/dataset.ts';
import { CommandDataSetType, CommandField, SopClass, Status } from '../protocol/dimse/constants.ts';
import { responseIdentifier, type QueryLevel } from './archive.ts';
import { answerable, encodeIdentifier } from './identifier.ts';
import { Link } from './link.ts';
import type { DicomBehaviour, LabStats } from './types.ts';

export interface AcceptorLimits {
  /** Waiting for the A-ASSOCIATE-RQ (ARTIM, PS3.8 §9.1.5). */
  readonly artimMs: number;
  /** Silence tolerated during an association before A-ABORT (DCMTK's and Orthanc's DIMSE timeout). */
  readonly idleMs: number;
  /** After RJ, RP or A-ABORT, how long the requestor may keep the socket before we drop it. */
  readonly closeMs: number;
  /** Largest PDU accepted (header included in the length field's count). */
  readonly maxPduLength: number;
  /** Bytes a requestor may send over one association. */
  readonly byteBudget: number;
  /** Largest identifier accepted; larger C-STORE data sets are counted, not kept. */
  readonly maxIdentifierBytes: number;
}

export const DEFAULT_LIMITS: AcceptorLimits = {
  artimMs: 30_000,
  idleMs: 30_000,
  closeMs: 5_000,
  maxPduLength: 1024 * 1024,
  byteBudget: 64 * 1024 * 1024,
  maxIdentifierBytes: 1024 * 1024,
};

export interface AcceptorOptions {
  readonly behaviour: DicomBehaviour;
  readonly latencyMs: number;
  readonly stats: LabStats;
  readonly limits?: Partial<AcceptorLimits> | undefined;
  /** Live associations on this endpoint (shared by its connections), for maxAssociations. */
  readonly active: { count: number };
}

type State = 'Sta2' | 'Sta6' | 'Sta13';
type Event = 'RQ' | 'PDATA' | 'RELEASE-RQ' | 'ABORT' | 'UNEXPECTED' | 'UNRECOGNIZED';
type Action =
  | 'AE-6' // A-ASSOCIATE-RQ: check it, answer AC (→Sta6) or RJ (→Sta13)
  | 'DT-2' // P-DATA: hand to DIMSE
  | 'AR-2' // A-RELEASE-RQ: answer RP once idle (→Sta13)
  | 'AA-2' // A-ABORT received before an association: close
  | 'AA-3' // A-ABORT received: close
  | 'AA-1' // unexpected or unrecognised PDU: A-ABORT, close
  | 'AA-6' // anything while closing: ignore
  | 'AA-7'; // A-ABORT while closing: close

const TRANSITIONS: Readonly<Record<`${State}:${Event}`, Action>> = {
  'Sta2:RQ': 'AE-6',
  'Sta2:PDATA': 'AA-1',
  'Sta2:RELEASE-RQ': 'AA-1',
  'Sta2:ABORT': 'AA-2',
  'Sta2:UNEXPECTED': 'AA-1',
  'Sta2:UNRECOGNIZED': 'AA-1',
  'Sta6:RQ': 'AA-1',
  'Sta6:PDATA': 'DT-2',
  'Sta6:RELEASE-RQ': 'AR-2',
  'Sta6:ABORT': 'AA-3',
  'Sta6:UNEXPECTED': 'AA-1',
  'Sta6:UNRECOGNIZED': 'AA-1',
  'Sta13:RQ': 'AA-6',
  'Sta13:PDATA': 'AA-6',
  'Sta13:RELEASE-RQ': 'AA-6',
  'Sta13:ABORT': 'AA-7',
  'Sta13:UNEXPECTED': 'AA-6',
  'Sta13:UNRECOGNIZED': 'AA-6',
};

function eventOf(pdu: Pdu): Event {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
      return 'RQ';
    case 'P-DATA-TF':
      return 'PDATA';
    case 'A-RELEASE-RQ':
      return 'RELEASE-RQ';
    case 'A-ABORT':
      return 'ABORT';
    case 'unknown':
      return 'UNRECOGNIZED';
    default:
      return 'UNEXPECTED'; // AC, RJ, RP sent to an acceptor
  }
}

/** PS3.8 Table 9-26 A-ABORT reasons (source 2, service provider). */
const AbortReason = { Unrecognized: 1, Unexpected: 2, InvalidParameter: 6 } as const;

const QR_CONTEXTS: Readonly<Record<string, { model: 'study' | 'patient'; service: 'find' | 'move' | 'get' }>> = {
  [SopClass.StudyRootQueryRetrieveFind]: { model: 'study', service: 'find' },
  [SopClass.PatientRootQueryRetrieveFind]: { model: 'patient', service: 'find' },
  [SopClass.StudyRootQueryRetrieveMove]: { model: 'study', service: 'move' },
  [SopClass.PatientRootQueryRetrieveMove]: { model: 'patient', service: 'move' },
  [SopClass.StudyRootQueryRetrieveGet]: { model: 'study', service: 'get' },
  [SopClass.PatientRootQueryRetrieveGet]: { model: 'patient', service: 'get' },
};

const STORAGE_ROOT = '1.2.840.10008.5.1.4.1.1.';

/** Whether the endpoint accepts a presentation context for this abstract syntax. */
export function supportsAbstractSyntax(b: DicomBehaviour, uid: string): boolean {
  if (uid === SopClass.Verification) return b.echo;
  const qr = QR_CONTEXTS[uid];
  if (qr) {
    const modelOk = (m: 'study' | 'patient'): boolean =>
      b.find === null ? true : m === 'study' ? b.find.studyRoot : b.find.patientRoot;
    if (qr.service === 'find') return b.find !== null && modelOk(qr.model);
    if (qr.service === 'move') return b.move && modelOk(qr.model);
    return b.get && modelOk(qr.model);
  }
  return b.store && uid.startsWith(STORAGE_ROOT);
}

interface Message {
  readonly contextId: number;
  readonly command: Command;
  readonly dataset: Uint8Array | null;
}

interface Assembly {
  contextId: number;
  command: Command | null;
  parts: Uint8Array[];
  bytes: number;
  /** C-STORE data sets are counted, not kept. */
  discard: boolean;
}

/** Serves one connection until it closes. Never throws; every failure closes the socket. */
export function serveConnection(socket: Duplex, opts: AcceptorOptions): void {
  new Acceptor(socket, opts);
}

class Acceptor {
  private readonly socket: Duplex;
  private readonly b: DicomBehaviour;
  private readonly stats: LabStats;
  private readonly limits: AcceptorLimits;
  private readonly link: Link;
  private readonly active: { count: number };
  private readonly latencyMs: number;
  private state: State = 'Sta2';
  private buffer: Buffer = Buffer.alloc(0);
  private received = 0;
  private timer: NodeJS.Timeout | null = null;
  private counted = false;
  private finished = false;
  /** Accepted contexts: id → abstract syntax and transfer syntax. */
  private contexts = new Map<number, { abstractSyntax: string; transferSyntax: string }>();
  private peerMaxPdu = 0;
  private assembly: Assembly | null = null;
  private readonly queue: Message[] = [];
  private busy = false;
  private releaseRequested = false;
  /** The C-FIND being answered, so that a C-CANCEL can reach it. */
  private running: { messageId: number; cancelled: boolean } | null = null;
  private rejectedAt: number | null = null;

  constructor(socket: Duplex, opts: AcceptorOptions) {
    this.socket = socket;
    this.b = opts.behaviour;
    this.stats = opts.stats;
    this.active = opts.active;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.latencyMs = opts.latencyMs;
    this.link = new Link(socket, opts.latencyMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.onClose());
    this.arm(this.limits.artimMs);
  }

  // ─── transport ──────────────────────────────────────────────────────────────

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimeout(), ms);
  }

  private onTimeout(): void {
    this.timer = null;
    if (this.state === 'Sta13') {
      this.socket.destroy();
      return;
    }
    this.stats.timeouts++;
    if (this.state === 'Sta6') this.abort(AbortReason.Unexpected, 0);
    else this.socket.destroy(); // ARTIM expiry: no association to abort (PS3.8 AA-2)
  }

  private onClose(): void {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.counted) {
      this.active.count--;
      this.counted = false;
    }
    if (this.running) this.running.cancelled = true;
    if (this.rejectedAt !== null) {
      const linger = performance.now() - this.rejectedAt;
      if (linger > this.stats.maxLingerAfterRejectMs) this.stats.maxLingerAfterRejectMs = Math.round(linger);
      if (linger > 1000) this.stats.lingeringAfterReject++;
    }
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    this.received += chunk.length;
    if (this.received > this.limits.byteBudget) {
      this.stats.protocolErrors++;
      this.abort(AbortReason.Unexpected, 2);
      return;
    }
    if (this.state === 'Sta6') this.arm(this.limits.idleMs);
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (!this.finished) {
      const r = readPdu(this.buffer, this.limits.maxPduLength);
      if (r.kind === 'incomplete') return;
      if (r.kind === 'too-large' || r.kind === 'malformed') {
        if (this.state === 'Sta13') {
          this.socket.destroy();
          return;
        }
        this.stats.protocolErrors++;
        // A peer that does not speak DICOM at all (a TLS ClientHello, HTTP) gets an A-ABORT, as DCMTK does.
        const known = r.pduType >= 1 && r.pduType <= 7;
        this.abort(known ? AbortReason.InvalidParameter : AbortReason.Unrecognized, 2);
        return;
      }
      this.buffer = this.buffer.subarray(r.bytesConsumed);
      this.onPdu(r.pdu);
    }
  }

  private onPdu(pdu: Pdu): void {
    const action = TRANSITIONS[`${this.state}:${eventOf(pdu)}`];
    switch (action) {
      case 'AE-6':
        this.onAssociateRq(pdu as AssociateRq);
        return;
      case 'DT-2':
        this.onPData(pdu as PDataTf);
        return;
      case 'AR-2':
        this.stats.releases++;
        this.releaseRequested = true;
        if (this.running) this.running.cancelled = true;
        this.assembly = null;
        if (!this.busy) this.sendReleaseRp();
        return;
      case 'AA-2':
      case 'AA-3':
      case 'AA-7':
        this.stats.abortsReceived++;
        this.finished = true;
        this.socket.destroy();
        return;
      case 'AA-6':
        return;
      case 'AA-1':
        this.stats.protocolErrors++;
        this.abort(pdu.type === 'unknown' ? AbortReason.Unrecognized : AbortReason.Unexpected, 2);
        return;
    }
  }

  private send(pdu: Pdu): void {
    this.link.send(encodePdu(pdu));
  }

  /** A-ABORT and close: source 0 (service user) or 2 (service provider). */
  private abort(reason: number, source: number): void {
    if (this.finished) return;
    this.finished = true;
    this.stats.abortsSent++;
    if (this.running) this.running.cancelled = true;
    this.send({ type: 'A-ABORT', source, reason: source === 0 ? 0 : reason });
    this.link.close('destroy');
    this.state = 'Sta13';
    this.arm(this.limits.closeMs);
  }

  private sendReleaseRp(): void {
    if (this.finished || this.state !== 'Sta6') return;
    this.send({ type: 'A-RELEASE-RP' });
    this.state = 'Sta13';
    this.link.close('end');
    this.arm(this.limits.closeMs);
  }

  // ─── association establishment ──────────────────────────────────────────────

  private reject(result: number, source: number, reason: number): void {
    this.stats.associationsRejected++;
    const key = `${result}/${source}/${reason}`;
    this.stats.rejects[key] = (this.stats.rejects[key] ?? 0) + 1;
    this.send({ type: 'A-ASSOCIATE-RJ', result, source, reason });
    this.state = 'Sta13';
    this.rejectedAt = performance.now() + this.latencyMs;
    // PS3.8: the requestor closes after an RJ. We wait for it (a polite scanner does so at once).
    this.link.close('end');
    this.arm(this.limits.closeMs);
  }

  private onAssociateRq(rq: AssociateRq): void {
    const ae = this.b.ae;
    if ((rq.protocolVersion & 1) === 0) return this.reject(1, 2, 2);
    if (rq.applicationContext !== DICOM_APPLICATION_CONTEXT) return this.reject(1, 1, 2);
    if (this.active.count >= this.b.maxAssociations) return this.reject(2, 3, 2);
    if (ae.checkCalled && rq.calledAe !== ae.aeTitle) return this.reject(1, 1, 7);
    if (ae.callingAllowList !== null && !ae.callingAllowList.includes(rq.callingAe)) return this.reject(1, 1, 3);

    const answers: PresentationContextAc[] = [];
    for (const pc of rq.presentationContexts) {
      if (!supportsAbstractSyntax(this.b, pc.abstractSyntax)) {
        answers.push({
          id: pc.id,
          result: PresentationContextResult.AbstractSyntaxNotSupported,
          transferSyntax: pc.transferSyntaxes[0],
        });
        continue;
      }
      const ts = this.b.product.transferSyntaxes.find((t) => pc.transferSyntaxes.includes(t));
      if (ts === undefined) {
        answers.push({
          id: pc.id,
          result: PresentationContextResult.TransferSyntaxesNotSupported,
          transferSyntax: pc.transferSyntaxes[0],
        });
        continue;
      }
      answers.push({ id: pc.id, result: PresentationContextResult.Acceptance, transferSyntax: ts });
      this.contexts.set(pc.id, { abstractSyntax: pc.abstractSyntax, transferSyntax: ts });
    }
    // Roles for C-GET: accept what the requestor proposed, for storage classes we negotiated.
    const roles: RoleSelection[] = this.b.get
      ? rq.userInformation.roleSelections.filter((r) => supportsAbstractSyntax(this.b, r.sopClassUid))
      : [];
    this.peerMaxPdu = rq.userInformation.maxLength ?? 0;
    this.send({
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAe: rq.calledAe,
      callingAe: rq.callingAe,
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: answers,
      userInformation: {
        maxLength: this.b.product.maxPduLength,
        implementationClassUid: this.b.identity.classUid ?? undefined,
        implementationVersionName: this.b.identity.versionName ?? undefined,
        roleSelections: roles,
        extendedNegotiations: [],
        unknownItems: [],
      },
      unknownItems: [],
    });
    this.stats.associationsAccepted++;
    this.active.count++;
    this.counted = true;
    this.state = 'Sta6';
    this.arm(this.limits.idleMs);
  }

  // ─── DIMSE ──────────────────────────────────────────────────────────────────

  private onPData(pdata: PDataTf): void {
    for (const pdv of pdata.pdvs) {
      if (this.finished || this.releaseRequested) return;
      if (!this.onPdv(pdv)) return;
    }
  }

  /** Adds one fragment to the message being assembled; false when the association was aborted. */
  private onPdv(pdv: Pdv): boolean {
    const ctx = this.contexts.get(pdv.contextId);
    const fail = (): false => {
      this.stats.protocolErrors++;
      this.abort(AbortReason.InvalidParameter, 2);
      return false;
    };
    if (!ctx) return fail();
    let a = this.assembly;
    if (a === null) {
      if (!pdv.isCommand) return fail();
      a = { contextId: pdv.contextId, command: null, parts: [], bytes: 0, discard: false };
      this.assembly = a;
    }
    if (pdv.contextId !== a.contextId) return fail();
    if (pdv.isCommand !== (a.command === null)) return fail();
    a.bytes += pdv.data.length;
    if (a.command === null) {
      if (a.bytes > 64 * 1024) return fail();
      a.parts.push(pdv.data);
      if (!pdv.isLast) return true;
      const decoded = decodeCommand(a.parts.length === 1 ? (a.parts[0] as Uint8Array) : Buffer.concat(a.parts));
      if (!decoded.ok) return fail();
      a.command = decoded.command;
      a.parts = [];
      a.bytes = 0;
      a.discard = decoded.command.commandField === CommandField.CStoreRq;
      if (hasDataSet(decoded.command)) return true;
      this.assembly = null;
      this.onMessage({ contextId: a.contextId, command: decoded.command, dataset: null });
      return true;
    }
    if (!a.discard) {
      if (a.bytes > this.limits.maxIdentifierBytes) return fail();
      a.parts.push(pdv.data);
    }
    if (!pdv.isLast) return true;
    this.assembly = null;
    const dataset = a.discard
      ? new Uint8Array(0)
      : a.parts.length === 1
        ? (a.parts[0] as Uint8Array)
        : Buffer.concat(a.parts);
    this.onMessage({ contextId: a.contextId, command: a.command, dataset });
    return true;
  }

  private onMessage(m: Message): void {
    if (m.command.commandField === CommandField.CCancelRq) {
      this.stats.cancels++;
      const r = this.running;
      if (
        r &&
        (m.command.messageIdBeingRespondedTo === undefined || m.command.messageIdBeingRespondedTo === r.messageId)
      ) {
        r.cancelled = true;
      }
      return;
    }
    this.queue.push(m);
    if (!this.busy) void this.drain();
  }

  /** Serves queued requests one at a time (an asynchronous operations window of 1, the default). */
  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (let m = this.queue.shift(); m && !this.finished && !this.releaseRequested; m = this.queue.shift()) {
        await this.serve(m);
      }
    } catch {
      this.stats.protocolErrors++;
      this.abort(AbortReason.Unexpected, 2);
    } finally {
      this.busy = false;
    }
    if (this.releaseRequested) this.sendReleaseRp();
  }

  /** Sends one DIMSE message, fragmented to the requestor's maximum PDU length. */
  private respond(contextId: number, command: Command, dataset?: Uint8Array): void {
    if (this.finished) return;
    this.arm(this.limits.idleMs); // answering is not idling
    const limit = this.peerMaxPdu > 0 ? Math.max(this.peerMaxPdu, 256) : 1024 * 1024;
    const pdvs: Pdv[] = [];
    let size = 0;
    const flush = (): void => {
      if (pdvs.length === 0) return;
      this.send({ type: 'P-DATA-TF', pdvs: pdvs.splice(0) });
      size = 0;
    };
    const add = (isCommand: boolean, bytes: Uint8Array): void => {
      let offset = 0;
      do {
        if (size + 6 + 1 > limit) flush();
        const room = limit - size - 6;
        const end = Math.min(bytes.length, offset + room);
        pdvs.push({ contextId, isCommand, isLast: end === bytes.length, data: bytes.subarray(offset, end) });
        size += 6 + (end - offset);
        offset = end;
      } while (offset < bytes.length);
    };
    add(true, encodeCommand(command));
    if (dataset) add(false, dataset);
    flush();
  }

  private async serve(m: Message): Promise<void> {
    const c = m.command;
    const ctx = this.contexts.get(m.contextId);
    if (!ctx) return;
    const base = {
      messageIdBeingRespondedTo: c.messageId ?? 0,
      affectedSopClassUid: c.affectedSopClassUid ?? ctx.abstractSyntax,
    };
    switch (c.commandField) {
      case CommandField.CEchoRq:
        this.stats.echoes++;
        this.respond(m.contextId, {
          commandField: CommandField.CEchoRsp,
          ...base,
          commandDataSetType: CommandDataSetType.Absent,
          status: Status.Success,
        });
        return;
      case CommandField.CFindRq:
        this.stats.finds++;
        await this.serveFind(m, ctx.abstractSyntax, ctx.transferSyntax, base);
        return;
      case CommandField.CStoreRq:
        this.stats.stores++;
        this.respond(m.contextId, {
          commandField: CommandField.CStoreRsp,
          ...base,
          affectedSopInstanceUid: c.affectedSopInstanceUid,
          commandDataSetType: CommandDataSetType.Absent,
          status: Status.Success, // accepted and thrown away: the lab keeps nothing
        });
        return;
      case CommandField.CGetRq:
        this.stats.gets++;
        // Negotiated, but the lab holds no pixel data to send back.
        this.respond(m.contextId, {
          commandField: CommandField.CGetRsp,
          ...base,
          commandDataSetType: CommandDataSetType.Absent,
          status: Status.RefusedOutOfResourcesSubOperations,
          numberOfCompletedSuboperations: 0,
          numberOfFailedSuboperations: 0,
          numberOfWarningSuboperations: 0,
        });
        return;
      case CommandField.CMoveRq:
        this.stats.moves++;
        // No destination AE is configured in the lab, so every move destination is unknown.
        this.respond(m.contextId, {
          commandField: CommandField.CMoveRsp,
          ...base,
          commandDataSetType: CommandDataSetType.Absent,
          status: Status.RefusedMoveDestinationUnknown,
        });
        return;
      default: {
        this.stats.unknownCommands++;
        const field = c.commandField ?? 0;
        if ((field & 0x8000) !== 0) {
          // A response sent to an acceptor: nothing to answer, the requestor is confused.
          this.abort(AbortReason.Unexpected, 2);
          return;
        }
        this.respond(m.contextId, {
          commandField: (field | 0x8000) & 0xffff,
          ...base,
          commandDataSetType: CommandDataSetType.Absent,
          status: Status.UnrecognizedOperation,
        });
      }
    }
  }

  private async serveFind(
    m: Message,
    sopClass: string,
    ts: string,
    base: { messageIdBeingRespondedTo: number; affectedSopClassUid: string },
  ): Promise<void> {
    const final = (status: number, errorComment?: string): void =>
      this.respond(m.contextId, {
        commandField: CommandField.CFindRsp,
        ...base,
        commandDataSetType: CommandDataSetType.Absent,
        status,
        errorComment,
      });
    const find = this.b.find;
    const archive = this.b.archive;
    if (!find || !archive) return final(Status.UnableToProcess);
    if (find.refuseStatus !== null) return final(find.refuseStatus);
    if (!m.dataset) return final(Status.IdentifierDoesNotMatchSopClass, 'no identifier');
    const decoded = decodeDataset(m.dataset, ts, { maxLength: this.limits.maxIdentifierBytes });
    if (!decoded.ok) return final(Status.IdentifierDoesNotMatchSopClass, 'identifier could not be parsed');
    const keys = decoded.dataset;
    const levelValue = keys['QueryRetrieveLevel'];
    const level = (typeof levelValue === 'string' ? levelValue.trim().toUpperCase() : '') as QueryLevel;
    const patientRoot = sopClass === SopClass.PatientRootQueryRetrieveFind;
    const levels: readonly string[] = patientRoot
      ? ['PATIENT', 'STUDY', 'SERIES', 'IMAGE']
      : ['STUDY', 'SERIES', 'IMAGE'];
    if (!levels.includes(level)) return final(Status.IdentifierDoesNotMatchSopClass, 'bad QueryRetrieveLevel');
    if (find.hierarchical) {
      const missing = missingUniqueKey(keys, level, patientRoot);
      if (missing) return final(Status.IdentifierDoesNotMatchSopClass, `unique key ${missing} missing`);
    }
    const omit = level === 'STUDY' || level === 'PATIENT' ? this.b.omitKeywords : [];
    const requested = Object.keys(keys).filter(
      (k) => k !== 'QueryRetrieveLevel' && answerable(k) && !omit.includes(k) && !isSequenceValue(keys[k]),
    );
    const opts = { aeTitle: this.b.ae.aeTitle, charset: this.b.product.alwaysCharset };
    const run = { messageId: m.command.messageId ?? 0, cancelled: false };
    this.running = run;
    try {
      let sent = 0;
      for (const e of archive.match(level, keys)) {
        if (run.cancelled || this.finished) break;
        if (find.limit !== null && level !== 'IMAGE' && sent >= find.limit) {
          this.stats.findsCropped++;
          return final(Status.Cancel); // Orthanc's answer when LimitFindResults cropped the matches
        }
        const ds = encodeIdentifier(responseIdentifier(archive, level, e, requested, opts), ts);
        this.respond(
          m.contextId,
          {
            commandField: CommandField.CFindRsp,
            ...base,
            commandDataSetType: CommandDataSetType.Present,
            status: Status.Pending,
          },
          ds,
        );
        sent++;
        this.stats.findMatchesSent++;
        // Let a C-CANCEL in, and never buffer more than the link's low-water mark.
        if (sent % 8 === 0) await new Promise<void>((r) => setImmediate(r));
        if (this.link.backlog > 0) await this.link.waitForRoom();
      }
      if (this.finished) return;
      final(run.cancelled ? Status.Cancel : Status.Success);
    } finally {
      this.running = null;
    }
  }
}

function isSequenceValue(v: unknown): boolean {
  return Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null && !(x instanceof Uint8Array));
}

/** PS3.4 C.4.1.3.1.1: the unique key of each level above `level`, as a single value without wildcards. */
function missingUniqueKey(
  keys: Readonly<Record<string, unknown>>,
  level: QueryLevel,
  patientRoot: boolean,
): string | null {
  const single = (k: string): boolean => {
    const v = keys[k];
    return typeof v === 'string' && v.length > 0 && !/[*?\\]/.test(v);
  };
  const need: string[] = [];
  if (patientRoot && level !== 'PATIENT') need.push('PatientID');
  if (level === 'SERIES' || level === 'IMAGE') need.push('StudyInstanceUID');
  if (level === 'IMAGE') need.push('SeriesInstanceUID');
  return need.find((k) => !single(k)) ?? null;
}
