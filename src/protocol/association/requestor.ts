/**
 * The association requestor (SCU side of PS3.8 §9.2): asks for an association, carries
 * P-DATA, releases or aborts, and reports everything the peer said, as it said it.
 *
 * The state machine is the requestor's part of PS3.8 Table 9-10, written as a transition
 * table (after pynetdicom's fsm.py) so that every (state, event) pair has a named action.
 */
import { performance } from 'node:perf_hooks';
import { encodePdu } from '../ul/codec.ts';
import {
  DICOM_APPLICATION_CONTEXT,
  type Abort,
  type AssociateAc,
  type AssociateRj,
  type PDataTf,
  type Pdu,
  type PresentationContextRq,
  type RoleSelection,
  type UserIdentityRq,
} from '../ul/pdu.ts';
import { ProtocolError, describeError, statusOf, type Status } from '../status.ts';
import { Transport, type TlsFacts, type TlsOptions } from './transport.ts';

/** pacsmap's own implementation identity, announced in every association request. */
/** A UUID-derived UID (ITU-T X.667, root 2.25), so no one else's UID root is borrowed. */
export const PACSMAP_IMPLEMENTATION_CLASS_UID = '2.25.177316716292815165021198280947072917296';
export const PACSMAP_IMPLEMENTATION_VERSION_NAME = 'PACSMAP_010';

export interface AssociationTimeouts {
  /** TCP connect plus TLS handshake. */
  readonly connectMs: number;
  /** From A-ASSOCIATE-RQ to AC/RJ, and from A-RELEASE-RQ to RP. */
  readonly acseMs: number;
  /** Waiting for each DIMSE response PDU. */
  readonly dimseMs: number;
  /** The whole association, from connect to close. */
  readonly associationMs: number;
}

export const DEFAULT_TIMEOUTS: AssociationTimeouts = {
  connectMs: 5_000,
  acseMs: 10_000,
  dimseMs: 15_000,
  associationMs: 60_000,
};

export interface AssociationRequest {
  readonly host: string;
  readonly port: number;
  readonly tls?: TlsOptions | undefined;
  readonly calledAe: string;
  readonly callingAe: string;
  readonly presentationContexts: readonly PresentationContextRq[];
  /** What we announce as our maximum P-DATA-TF variable field length. */
  readonly maxPduLength?: number | undefined;
  readonly roleSelections?: readonly RoleSelection[] | undefined;
  readonly userIdentity?: UserIdentityRq | undefined;
  readonly timeouts?: Partial<AssociationTimeouts> | undefined;
  /** Bytes the peer may send over the whole association. */
  readonly byteBudget?: number | undefined;
}

export interface AssociationFacts {
  readonly tls: TlsFacts | null;
  readonly connectMs: number | null;
  readonly acseMs: number | null;
  readonly releaseMs: number | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** How the association ended: released, aborted by us or the peer, rejected, or failed. */
  readonly ending: 'released' | 'aborted-by-us' | 'aborted-by-peer' | 'rejected' | 'failed' | 'open';
}

export type AssociationOutcome =
  | { readonly kind: 'accepted'; readonly association: Association; readonly ac: AssociateAc }
  | { readonly kind: 'rejected'; readonly reject: AssociateRj; readonly facts: AssociationFacts }
  | { readonly kind: 'aborted'; readonly abort: Abort; readonly facts: AssociationFacts }
  | {
      readonly kind: 'failed';
      readonly status: Status;
      readonly detail: string;
      /** True once any valid PDU came back: the peer speaks the DICOM upper layer. */
      readonly spokeDicom: boolean;
      readonly facts: AssociationFacts;
    };

export const DEFAULT_MAX_PDU_LENGTH = 65_536;
const DEFAULT_BYTE_BUDGET = 64 * 1024 * 1024;
/** Slack over our announced maximum: some peers count the PDV item headers differently. */
const PDU_LENGTH_SLACK = 1_024;
/** Smallest peer maximum we honour when fragmenting, so a silly value cannot make us send 1-byte PDVs. */
const MIN_FRAGMENT = 1_024;

type State = 'Sta5' | 'Sta6' | 'Sta7' | 'Sta1';
type Event = 'AC' | 'RJ' | 'PDATA' | 'RELEASE-RQ' | 'RELEASE-RP' | 'ABORT' | 'UNKNOWN';
type Action =
  | 'AE-3' // AC received: association established
  | 'AE-4' // RJ received: close at once
  | 'DT-2' // P-DATA received: deliver
  | 'AR-2' // peer asks to release: answer RP, close
  | 'AR-3' // RP received: close
  | 'AR-7' // P-DATA while awaiting RP: deliver, keep waiting
  | 'AR-8' // release collision: answer RP, keep waiting for theirs
  | 'AA-3' // peer aborted: close at once
  | 'AA-8'; // unexpected or unrecognised PDU: send A-ABORT, close at once

const TRANSITIONS: Readonly<Record<`${State}:${Event}`, Action>> = {
  'Sta5:AC': 'AE-3',
  'Sta5:RJ': 'AE-4',
  'Sta5:PDATA': 'AA-8',
  'Sta5:RELEASE-RQ': 'AA-8',
  'Sta5:RELEASE-RP': 'AA-8',
  'Sta5:ABORT': 'AA-3',
  'Sta5:UNKNOWN': 'AA-8',
  'Sta6:AC': 'AA-8',
  'Sta6:RJ': 'AA-8',
  'Sta6:PDATA': 'DT-2',
  'Sta6:RELEASE-RQ': 'AR-2',
  'Sta6:RELEASE-RP': 'AA-8',
  'Sta6:ABORT': 'AA-3',
  'Sta6:UNKNOWN': 'AA-8',
  'Sta7:AC': 'AA-8',
  'Sta7:RJ': 'AA-8',
  'Sta7:PDATA': 'AR-7',
  'Sta7:RELEASE-RQ': 'AR-8',
  'Sta7:RELEASE-RP': 'AR-3',
  'Sta7:ABORT': 'AA-3',
  'Sta7:UNKNOWN': 'AA-8',
  'Sta1:AC': 'AA-8',
  'Sta1:RJ': 'AA-8',
  'Sta1:PDATA': 'AA-8',
  'Sta1:RELEASE-RQ': 'AA-8',
  'Sta1:RELEASE-RP': 'AA-8',
  'Sta1:ABORT': 'AA-3',
  'Sta1:UNKNOWN': 'AA-8',
};

function eventOf(pdu: Pdu): Event {
  switch (pdu.type) {
    case 'A-ASSOCIATE-AC':
      return 'AC';
    case 'A-ASSOCIATE-RJ':
      return 'RJ';
    case 'P-DATA-TF':
      return 'PDATA';
    case 'A-RELEASE-RQ':
      return 'RELEASE-RQ';
    case 'A-RELEASE-RP':
      return 'RELEASE-RP';
    case 'A-ABORT':
      return 'ABORT';
    default:
      return 'UNKNOWN'; // A-ASSOCIATE-RQ sent to a requestor is as unexpected as an unknown type
  }
}

/** A-ABORT reasons (source 2, service provider) we send, PS3.8 Table 9-26. */
const ABORT_UNRECOGNIZED_PDU = 1;
const ABORT_UNEXPECTED_PDU = 2;

/** Requests an association. Never throws: every outcome is a value. */
export async function requestAssociation(req: AssociationRequest): Promise<AssociationOutcome> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...req.timeouts };
  const ourMax = req.maxPduLength ?? DEFAULT_MAX_PDU_LENGTH;
  const started = performance.now();
  let transport: Transport;
  try {
    transport = await Transport.connect({
      host: req.host,
      port: req.port,
      tls: req.tls,
      connectTimeoutMs: Math.min(timeouts.connectMs, timeouts.associationMs),
      maxPduBytes: Math.max(ourMax, DEFAULT_MAX_PDU_LENGTH) + 6 + PDU_LENGTH_SLACK,
      byteBudget: req.byteBudget ?? DEFAULT_BYTE_BUDGET,
    });
  } catch (err) {
    return {
      kind: 'failed',
      status: statusOf(err),
      detail: describeError(err),
      spokeDicom: false,
      facts: {
        tls: null,
        connectMs: null,
        acseMs: null,
        releaseMs: null,
        bytesSent: 0,
        bytesReceived: 0,
        ending: 'failed',
      },
    };
  }
  const deadlineAt = started + timeouts.associationMs;
  const facts = (acseMs: number | null, ending: AssociationFacts['ending']): AssociationFacts =>
    factsOf(transport, acseMs, null, ending);

  const acseStarted = performance.now();
  try {
    transport.write(
      encodePdu({
        type: 'A-ASSOCIATE-RQ',
        protocolVersion: 1,
        calledAe: req.calledAe,
        callingAe: req.callingAe,
        applicationContext: DICOM_APPLICATION_CONTEXT,
        presentationContexts: req.presentationContexts,
        userInformation: {
          maxLength: ourMax,
          implementationClassUid: PACSMAP_IMPLEMENTATION_CLASS_UID,
          implementationVersionName: PACSMAP_IMPLEMENTATION_VERSION_NAME,
          roleSelections: req.roleSelections ?? [],
          extendedNegotiations: [],
          userIdentityRq: req.userIdentity,
          unknownItems: [],
        },
        unknownItems: [],
      }),
    );
    const remaining = Math.max(1, Math.min(timeouts.acseMs, deadlineAt - performance.now()));
    const pdu = await transport.nextPdu(remaining);
    const acseMs = performance.now() - acseStarted;
    const action = TRANSITIONS[`Sta5:${eventOf(pdu)}`];
    switch (action) {
      case 'AE-3': {
        const ac = pdu as AssociateAc;
        const association = new Association(transport, ac, timeouts, deadlineAt, acseMs);
        return { kind: 'accepted', association, ac };
      }
      case 'AE-4':
        transport.destroy(); // politeness: a refused client must let go at once
        return { kind: 'rejected', reject: pdu as AssociateRj, facts: facts(acseMs, 'rejected') };
      case 'AA-3':
        transport.destroy();
        return { kind: 'aborted', abort: pdu as Abort, facts: facts(acseMs, 'aborted-by-peer') };
      default: {
        const reason = pdu.type === 'unknown' ? ABORT_UNRECOGNIZED_PDU : ABORT_UNEXPECTED_PDU;
        sendAbortAndDrop(transport, 2, reason);
        return {
          kind: 'failed',
          status: 'protocol-error',
          detail: `unexpected ${pdu.type === 'unknown' ? `PDU type 0x${pdu.pduType.toString(16)}` : pdu.type} in reply to A-ASSOCIATE-RQ`,
          spokeDicom: pdu.type !== 'unknown',
          facts: facts(acseMs, 'aborted-by-us'),
        };
      }
    }
  } catch (err) {
    transport.destroy();
    return {
      kind: 'failed',
      status: statusOf(err),
      detail: describeError(err),
      spokeDicom: false,
      facts: facts(null, 'failed'),
    };
  }
}

function factsOf(
  transport: Transport,
  acseMs: number | null,
  releaseMs: number | null,
  ending: AssociationFacts['ending'],
): AssociationFacts {
  return {
    tls: transport.tlsFacts,
    connectMs: transport.connectMs,
    acseMs,
    releaseMs,
    bytesSent: transport.bytesSent,
    bytesReceived: transport.bytesReceived,
    ending,
  };
}

function sendAbortAndDrop(transport: Transport, source: number, reason: number): void {
  try {
    transport.write(encodePdu({ type: 'A-ABORT', source, reason }));
  } catch {
    // already broken: nothing to tell the peer
  }
  // Give the abort a moment to leave, but never linger: destroy right after the write is flushed.
  setImmediate(() => transport.destroy());
}

/** An established association. Not safe for concurrent use: one request at a time. */
export class Association {
  readonly ac: AssociateAc;
  private readonly transport: Transport;
  private readonly timeouts: AssociationTimeouts;
  private readonly deadlineAt: number;
  private readonly acseMs: number;
  private state: State = 'Sta6';
  private ending: AssociationFacts['ending'] = 'open';
  private releaseMs: number | null = null;
  /** Set when the peer aborted; the abort's source and reason are facts worth reporting. */
  peerAbort: Abort | null = null;

  constructor(
    transport: Transport,
    ac: AssociateAc,
    timeouts: AssociationTimeouts,
    deadlineAt: number,
    acseMs: number,
  ) {
    this.transport = transport;
    this.ac = ac;
    this.timeouts = timeouts;
    this.deadlineAt = deadlineAt;
    this.acseMs = acseMs;
  }

  get facts(): AssociationFacts {
    return factsOf(this.transport, this.acseMs, this.releaseMs, this.ending);
  }

  get isOpen(): boolean {
    return this.state === 'Sta6';
  }

  /** The transfer syntax the peer accepted for a presentation context, or undefined if it did not accept it. */
  acceptedTransferSyntax(contextId: number): string | undefined {
    const pc = this.ac.presentationContexts.find((c) => c.id === contextId);
    return pc && pc.result === 0 ? pc.transferSyntax : undefined;
  }

  /** Sends one message part (command or dataset), fragmented to the peer's maximum PDU length. */
  sendPdvs(contextId: number, isCommand: boolean, bytes: Uint8Array): void {
    if (this.state !== 'Sta6') throw new ProtocolError('unknown-error', `cannot send in state ${this.state}`);
    const peerMax = this.ac.userInformation?.maxLength ?? 0;
    const maxVariable = peerMax === 0 ? DEFAULT_MAX_PDU_LENGTH : Math.max(peerMax, MIN_FRAGMENT);
    const maxChunk = maxVariable - 6; // PDV item: 4-byte length, context id, message control header
    let offset = 0;
    do {
      const end = Math.min(bytes.length, offset + maxChunk);
      this.transport.write(
        encodePdu({
          type: 'P-DATA-TF',
          pdvs: [{ contextId, isCommand, isLast: end === bytes.length, data: bytes.subarray(offset, end) }],
        }),
      );
      offset = end;
    } while (offset < bytes.length);
  }

  /** The next P-DATA-TF from the peer within the DIMSE deadline (and the association's). */
  async nextPData(timeoutMs = this.timeouts.dimseMs): Promise<PDataTf> {
    for (;;) {
      const pdu = await this.read(timeoutMs);
      const action = TRANSITIONS[`${this.state}:${eventOf(pdu)}`];
      switch (action) {
        case 'DT-2':
        case 'AR-7':
          return pdu as PDataTf;
        case 'AR-2':
          this.answerReleaseAndClose();
          throw new ProtocolError('application-error', 'peer released the association');
        case 'AA-3':
          this.peerAbort = pdu as Abort;
          this.ending = 'aborted-by-peer';
          this.state = 'Sta1';
          this.transport.destroy();
          throw new ProtocolError(
            'application-error',
            `peer aborted (source ${(pdu as Abort).source}, reason ${(pdu as Abort).reason})`,
          );
        default:
          this.abortFor(pdu);
          throw new ProtocolError('protocol-error', `unexpected ${pdu.type} during data transfer`);
      }
    }
  }

  /** Asks to release and waits for RP within the ACSE deadline; on any trouble, aborts. Never throws. */
  async release(): Promise<void> {
    if (this.state !== 'Sta6') return;
    const started = performance.now();
    try {
      this.transport.write(encodePdu({ type: 'A-RELEASE-RQ' }));
      this.state = 'Sta7';
      for (;;) {
        const pdu = await this.read(this.timeouts.acseMs);
        const action = TRANSITIONS[`Sta7:${eventOf(pdu)}`];
        if (action === 'AR-3') {
          this.releaseMs = performance.now() - started;
          this.ending = 'released';
          this.state = 'Sta1';
          await this.transport.end();
          return;
        }
        if (action === 'AR-7') continue; // late data: drop
        if (action === 'AR-8') {
          this.transport.write(encodePdu({ type: 'A-RELEASE-RP' }));
          continue;
        }
        if (action === 'AA-3') {
          this.peerAbort = pdu as Abort;
          this.ending = 'aborted-by-peer';
          this.state = 'Sta1';
          this.transport.destroy();
          return;
        }
        this.abortFor(pdu);
        return;
      }
    } catch {
      this.abort();
    }
  }

  /** Sends A-ABORT (service user) and drops the connection at once. Never throws. */
  abort(): void {
    if (this.state === 'Sta1') {
      this.transport.destroy();
      return;
    }
    this.state = 'Sta1';
    this.ending = 'aborted-by-us';
    sendAbortAndDrop(this.transport, 0, 0);
  }

  private async read(timeoutMs: number): Promise<Pdu> {
    const remaining = this.deadlineAt - performance.now();
    if (remaining <= 0) {
      this.abort();
      throw new ProtocolError('io-timeout', `association exceeded its ${this.timeouts.associationMs} ms deadline`);
    }
    try {
      return await this.transport.nextPdu(Math.min(timeoutMs, remaining));
    } catch (err) {
      if (this.state !== 'Sta1') {
        this.state = 'Sta1';
        this.ending = 'failed';
        this.transport.destroy();
      }
      throw err;
    }
  }

  private answerReleaseAndClose(): void {
    try {
      this.transport.write(encodePdu({ type: 'A-RELEASE-RP' }));
    } catch {
      // nothing more to do
    }
    this.state = 'Sta1';
    this.ending = 'released';
    void this.transport.end();
  }

  private abortFor(pdu: Pdu): void {
    this.state = 'Sta1';
    this.ending = 'aborted-by-us';
    sendAbortAndDrop(this.transport, 2, pdu.type === 'unknown' ? ABORT_UNRECOGNIZED_PDU : ABORT_UNEXPECTED_PDU);
  }
}
