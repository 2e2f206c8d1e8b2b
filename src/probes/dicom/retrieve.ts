/**
 * Probe `dicom.retrieve` (opt-in, `--depth retrieve`; intrusive: it pulls one image): proves
 * whether images leave the archive, not only metadata.
 *
 * On its own association (storage classes proposed with the SCP role, see retrieve-proposal.ts):
 * 1. Study Root C-FIND picks one study, then one series, then one instance (UIDs in memory only,
 *    one match per level, C-CANCEL after it).
 * 2. C-GET of that one instance: received into memory, checked to be DICOM, counted, dropped.
 * 3. C-MOVE of the same instance to a random AE title no archive can know (`PMX…`): a careful
 *    archive refuses with 0xA801; anything else means it tried.
 * Then released at once. No write test beyond negotiation. Every step is audited as it ends.
 * Never throws; no patient value, and no instance or study UID, leaves it.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { requestAssociation, type Association } from '../../protocol/association/requestor.ts';
import { DimseChannel } from '../../protocol/dimse/channel.ts';
import { cFind } from '../../protocol/dimse/find.ts';
import { cGet, DEFAULT_MAX_INSTANCE_BYTES, isNonImageStorageClass, type GetResult } from '../../protocol/dimse/get.ts';
import { cMove, moveMeaning, unknownMoveDestination, type MoveMeaning } from '../../protocol/dimse/move.ts';
import { SopClass, statusClass } from '../../protocol/dimse/constants.ts';
import { describeError, statusOf, type Status } from '../../protocol/status.ts';
import { safe } from '../../log/safe-text.ts';
import {
  assertInScope,
  auditProbe,
  type DicomIdentity,
  type Endpoint,
  type Observation,
  type ProbeContext,
} from '../probe.ts';
import { observe, round } from './observe.ts';
import {
  readRetrieveAnswers,
  type RetrieveAnswers,
  retrievePresentationContexts,
  retrieveRoleSelections,
} from './retrieve-proposal.ts';

export interface RetrieveOptions {
  /** Largest instance read into memory; larger ones are cut off (association aborted). Default 64 MiB. */
  readonly maxInstanceBytes?: number;
}

export type GetMeaning =
  /** One instance came back and parsed as DICOM: images leave the archive. */
  | 'retrieved'
  /** The archive started sub-operations but nothing usable arrived (failed, too large, not DICOM). */
  | 'attempted'
  /** A failure status and no sub-operation. */
  | 'refused'
  /** No Study Root GET context accepted. */
  | 'not-offered'
  /** GET accepted, but no storage context came back to receive on. */
  | 'no-storage-context'
  /** No target was found, and a C-GET for a random study UID (matching nothing) was not refused. */
  | 'no-target'
  /** No final status (deadline, abort, malformed answer) and no instance. */
  | 'no-answer';

export interface GetFacts {
  readonly attempted: boolean;
  readonly meaning: GetMeaning;
  /** Final C-GET-RSP status; null when not attempted or no final response. */
  readonly status: number | null;
  /** The peer answered with A-ABORT instead of a status. */
  readonly peerAborted: boolean;
  /** The C-GET named a real instance/series/study (else a random study UID nothing matches). */
  readonly targetFound: boolean;
  readonly instanceReceived: boolean;
  /** Bytes of the received data set (no Part 10 header); null when none. */
  readonly instanceBytes: number | null;
  readonly isDicom: boolean;
  readonly hasPixelData: boolean;
  /** SOP class of the instance (a class, never an instance UID). */
  readonly sopClass: string | null;
  readonly transferSyntax: string | null;
  /** A data set passed `maxInstanceBytes` and was cut off. */
  readonly instanceTooLarge: boolean;
  readonly subOperations: GetResult['subOperations'];
  readonly storeRequests: number;
  readonly storesRefused: number;
  readonly cancelSent: boolean;
  /** Storage classes the peer granted us the SCP role for (PS3.7 D.3.3.4). */
  readonly scpRoleGranted: number;
  readonly storageContextsAccepted: number;
  readonly durationMs: number | null;
}

export interface MoveFacts {
  readonly attempted: boolean;
  readonly meaning: MoveMeaning | 'not-run';
  readonly finalStatus: number | null;
  readonly peerAborted: boolean;
  readonly pendingResponses: number;
  readonly subOperations: GetResult['subOperations'] | null;
  /** The identifier named a real instance (else a random study UID nothing matches). */
  readonly targetFound: boolean;
  readonly cancelSent: boolean;
  readonly durationMs: number | null;
}

export interface RetrieveFacts {
  readonly associated: boolean;
  /** Associations opened (a peer that aborts on a refused request costs one per step; at most 3). */
  readonly associations: number;
  /** Deepest level at which the C-FIND found something to ask for. */
  readonly target: 'instance' | 'series' | 'study' | 'none';
  readonly find: {
    readonly offered: boolean;
    /** Final status of the study-level C-FIND; null when none came. */
    readonly status: number | null;
    /** The peer answered the C-FIND with A-ABORT (Orthanc 1.10's way of refusing). */
    readonly peerAborted: boolean;
  };
  readonly get: GetFacts | null;
  readonly move: MoveFacts | null;
}

const DIMSE_OVERHEAD_BUDGET = 16 * 1024 * 1024;
const MAX_ASSOCIATIONS = 3;

interface Session {
  readonly association: Association;
  readonly channel: DimseChannel;
  readonly answers: RetrieveAnswers;
}

interface Target {
  level: 'instance' | 'series' | 'study' | 'none';
  identifier: Record<string, string>;
  findStatus: number | null;
}

function firstString(v: unknown): string | null {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x.length > 0 ? x : null;
}

/** A random UID under 2.25 (ITU-T X.667): matches nothing in any archive. */
function randomUid(): string {
  const hex = randomUUID().replace(/-/g, '');
  return `2.25.${BigInt(`0x${hex}`).toString(10)}`;
}

/** One study, then one of its series, then one of its instances; each step C-CANCELs after one match. */
async function pickTarget(
  ctx: ProbeContext,
  channel: DimseChannel,
  find: { id: number; transferSyntax: string },
): Promise<Target> {
  const one = async (
    identifier: Record<string, string>,
    key: string,
  ): Promise<{ uid: string | null; status: number | null }> => {
    let uid: string | null = null;
    const s = await cFind(
      channel,
      {
        contextId: find.id,
        sopClassUid: SopClass.StudyRootQueryRetrieveFind,
        transferSyntax: find.transferSyntax,
        identifier,
        maxMatches: 1,
        timeoutMs: ctx.timeouts.dimseMs,
      },
      (ds) => {
        const v = firstString(ds[key]);
        // A hostile peer's "UID" goes back into our identifier: only a well-formed one does.
        if (uid === null && v !== null && /^[0-9.]{1,64}$/.test(v)) uid = v;
      },
    );
    return { uid, status: s.finalStatus };
  };
  const none: Target = { level: 'none', identifier: {}, findStatus: null };
  const study = await one({ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' }, 'StudyInstanceUID');
  if (study.uid === null) return { ...none, findStatus: study.status };
  const studyId = { StudyInstanceUID: study.uid };
  const atStudy: Target = {
    level: 'study',
    identifier: { QueryRetrieveLevel: 'STUDY', ...studyId },
    findStatus: study.status,
  };
  if (!channel.association.isOpen) return atStudy;
  const series = await one({ QueryRetrieveLevel: 'SERIES', ...studyId, SeriesInstanceUID: '' }, 'SeriesInstanceUID');
  if (series.uid === null) return atStudy;
  const seriesId = { ...studyId, SeriesInstanceUID: series.uid };
  const atSeries: Target = {
    level: 'series',
    identifier: { QueryRetrieveLevel: 'SERIES', ...seriesId },
    findStatus: study.status,
  };
  if (!channel.association.isOpen) return atSeries;
  const image = await one({ QueryRetrieveLevel: 'IMAGE', ...seriesId, SOPInstanceUID: '' }, 'SOPInstanceUID');
  if (image.uid === null) return atSeries;
  return {
    level: 'instance',
    identifier: { QueryRetrieveLevel: 'IMAGE', ...seriesId, SOPInstanceUID: image.uid },
    findStatus: study.status,
  };
}

function getMeaning(r: GetResult, peerAborted: boolean, targetFound: boolean): GetMeaning {
  const inst = r.instance;
  // Proof means DICOM that carries images, or a known document class (SR, PDF, RT, …).
  if (inst?.isDicom && (inst.hasPixelData || (inst.sopClassUid !== null && isNonImageStorageClass(inst.sopClassUid))))
    return 'retrieved';
  const s = r.subOperations;
  if (
    r.storeRequests > 0 ||
    r.instanceTooLarge ||
    (s.completed ?? 0) > 0 ||
    (s.failed ?? 0) > 0 ||
    (s.warning ?? 0) > 0
  )
    return 'attempted';
  if (peerAborted) return 'refused';
  if (r.finalStatus === null) return 'no-answer';
  if (statusClass(r.finalStatus) === 'failure') return 'refused';
  return targetFound ? 'attempted' : 'no-target';
}

const notRunGet = (meaning: GetMeaning, scpRoleGranted: number, storage: number, targetFound: boolean): GetFacts => ({
  attempted: false,
  meaning,
  status: null,
  peerAborted: false,
  targetFound,
  instanceReceived: false,
  instanceBytes: null,
  isDicom: false,
  hasPixelData: false,
  sopClass: null,
  transferSyntax: null,
  instanceTooLarge: false,
  subOperations: { remaining: null, completed: null, failed: null, warning: null },
  storeRequests: 0,
  storesRefused: 0,
  cancelSent: false,
  scpRoleGranted,
  storageContextsAccepted: storage,
  durationMs: null,
});

const notRunMove = (meaning: MoveFacts['meaning'], targetFound: boolean): MoveFacts => ({
  attempted: false,
  meaning,
  finalStatus: null,
  peerAborted: false,
  pendingResponses: 0,
  subOperations: null,
  targetFound,
  cancelSent: false,
  durationMs: null,
});

export function probeRetrieve(
  ctx: ProbeContext,
  ep: Endpoint,
  identity: DicomIdentity,
  opts: RetrieveOptions = {},
): Promise<Observation<RetrieveFacts>> {
  const maxInstanceBytes = opts.maxInstanceBytes ?? DEFAULT_MAX_INSTANCE_BYTES;
  const audit = (step: string, startedAt: string, t0: number, status: Status): void => {
    auditProbe(
      ctx,
      ep,
      { probe: `dicom.retrieve.${step}`, status, startedAt, durationMs: round(performance.now() - t0) },
      identity,
    );
  };
  return observe<RetrieveFacts>('dicom.retrieve', async () => {
    assertInScope(ctx, ep.host);
    ctx.log.log('debug', safe('retrieve'), { host: safe(ep.host), port: ep.port, tls: ep.tls });
    let session: Session | null = null;
    let associations = 0;
    let refusal: { status: Status; detail: string } | null = null;
    let worst: { status: Status; detail: string } | null = null;
    const note = (status: Status, detail: string | null): void => {
      if (status !== 'success' && worst === null) worst = { status, detail: detail ?? status };
    };
    // Some archives (Orthanc 1.10) abort the association on any refused request: each step gets a
    // fresh one if the last is gone. One at a time, each closed before the next is opened.
    const open = async (): Promise<Session | null> => {
      if (session?.association.isOpen) return session;
      session = null;
      if (refusal !== null || associations >= MAX_ASSOCIATIONS) return null;
      associations += 1;
      const startedAt = new Date().toISOString();
      const t0 = performance.now();
      const outcome = await requestAssociation({
        host: ep.host,
        port: ep.port,
        tls: ep.tls ? { rejectUnauthorized: false } : undefined,
        calledAe: identity.calledAe,
        callingAe: identity.callingAe,
        presentationContexts: retrievePresentationContexts(),
        roleSelections: retrieveRoleSelections(),
        timeouts: ctx.timeouts,
        byteBudget: maxInstanceBytes + DIMSE_OVERHEAD_BUDGET,
      });
      if (outcome.kind !== 'accepted') {
        const status: Status =
          outcome.kind === 'failed' ? outcome.status : outcome.kind === 'aborted' ? 'application-error' : 'success';
        audit('associate', startedAt, t0, status);
        refusal = { status, detail: outcome.kind === 'failed' ? outcome.detail : `association ${outcome.kind}` };
        return null;
      }
      audit('associate', startedAt, t0, 'success');
      const association = outcome.association;
      session = { association, channel: new DimseChannel(association), answers: readRetrieveAnswers(outcome.ac) };
      return session;
    };

    try {
      const first = await open();
      if (first === null) {
        const r = refusal as { status: Status; detail: string } | null;
        return {
          status: r?.status ?? 'unknown-error',
          detail: r?.detail ?? null,
          facts: {
            associated: false,
            associations,
            target: 'none',
            find: { offered: false, status: null, peerAborted: false },
            get: null,
            move: null,
          },
        };
      }
      const { answers } = first;

      // 1. What to ask for.
      let target: Target = { level: 'none', identifier: {}, findStatus: null };
      let findAborted = false;
      if (answers.find) {
        const startedAt = new Date().toISOString();
        const t0 = performance.now();
        try {
          target = await pickTarget(ctx, first.channel, answers.find);
          audit('find', startedAt, t0, 'success');
        } catch (err) {
          findAborted = first.association.peerAbort !== null;
          audit('find', startedAt, t0, statusOf(err));
          if (!findAborted) note(statusOf(err), describeError(err));
        }
      }
      const targetFound = target.level !== 'none';
      // Without a real target, a random study UID: nothing can match, the refusal (or not) is what is measured.
      const identifier = targetFound
        ? target.identifier
        : { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: randomUid() };

      // 2. C-GET one instance.
      let get: GetFacts;
      const g = await open();
      if (g === null) get = notRunGet('no-answer', 0, 0, targetFound);
      else if (!g.answers.get)
        get = notRunGet('not-offered', g.answers.scpRoleGranted, g.answers.storage.length, targetFound);
      else if (g.answers.storage.length === 0)
        get = notRunGet('no-storage-context', g.answers.scpRoleGranted, 0, targetFound);
      else {
        const startedAt = new Date().toISOString();
        const t0 = performance.now();
        const r = await cGet(g.channel, {
          contextId: g.answers.get.id,
          sopClassUid: SopClass.StudyRootQueryRetrieveGet,
          transferSyntax: g.answers.get.transferSyntax,
          identifier,
          storageContexts: g.answers.storage,
          maxInstanceBytes,
          timeoutMs: ctx.timeouts.dimseMs,
          totalTimeoutMs: ctx.timeouts.associationMs,
        });
        const durationMs = round(performance.now() - t0);
        audit('get', startedAt, t0, r.status);
        const peerAborted = g.association.peerAbort !== null;
        if (!(peerAborted && r.storeRequests === 0)) note(r.status, r.detail);
        const inst = r.instance;
        get = {
          attempted: true,
          meaning: getMeaning(r, peerAborted, targetFound),
          status: r.finalStatus,
          peerAborted,
          targetFound,
          instanceReceived: inst !== null,
          instanceBytes: inst?.bytes ?? null,
          isDicom: inst?.isDicom ?? false,
          hasPixelData: inst?.hasPixelData ?? false,
          sopClass: inst?.sopClassUid ?? null,
          transferSyntax: inst?.transferSyntax ?? null,
          instanceTooLarge: r.instanceTooLarge,
          subOperations: r.subOperations,
          storeRequests: r.storeRequests,
          storesRefused: r.storesRefused,
          cancelSent: r.cancelSent,
          scpRoleGranted: g.answers.scpRoleGranted,
          storageContextsAccepted: g.answers.storage.length,
          durationMs,
        };
      }

      // 3. C-MOVE to a destination nobody configured.
      let move: MoveFacts;
      const m = await open();
      if (m === null) move = notRunMove('not-run', targetFound);
      else if (!m.answers.move) move = notRunMove('not-offered', targetFound);
      else {
        const startedAt = new Date().toISOString();
        const t0 = performance.now();
        const r = await cMove(m.channel, {
          contextId: m.answers.move.id,
          sopClassUid: SopClass.StudyRootQueryRetrieveMove,
          transferSyntax: m.answers.move.transferSyntax,
          identifier,
          moveDestination: unknownMoveDestination(),
          timeoutMs: ctx.timeouts.dimseMs,
          totalTimeoutMs: ctx.timeouts.associationMs,
        });
        audit('move', startedAt, t0, r.status);
        const peerAborted = m.association.peerAbort !== null;
        if (!(peerAborted && r.pendingResponses === 0)) note(r.status, r.detail);
        move = {
          attempted: true,
          meaning: peerAborted && r.finalStatus === null && r.pendingResponses === 0 ? 'refused' : moveMeaning(r),
          finalStatus: r.finalStatus,
          peerAborted,
          pendingResponses: r.pendingResponses,
          subOperations: r.subOperations,
          targetFound,
          cancelSent: r.cancelSent,
          durationMs: round(performance.now() - t0),
        };
      }
      const w = worst as { status: Status; detail: string } | null;
      return {
        status: w?.status ?? 'success',
        detail: w?.detail ?? null,
        facts: {
          associated: true,
          associations,
          target: target.level,
          find: { offered: answers.find !== null, status: target.findStatus, peerAborted: findAborted },
          get,
          move,
        },
      };
    } finally {
      const s = session as Session | null;
      if (s) await s.association.release();
    }
  });
}
