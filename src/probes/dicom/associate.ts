/**
 * Probe `dicom.associate`: opens one association proposing every service, and records all the
 * peer said: accept or reject (with result/source/reason), abort, echoed AE titles, maximum PDU
 * length, implementation class UID and version name as present or absent, per-context results,
 * TLS facts and timings.
 */
import { requestAssociation, type Association, type AssociationFacts } from '../../protocol/association/requestor.ts';
import type { AssociateRj, Abort } from '../../protocol/ul/pdu.ts';
import type { Status } from '../../protocol/status.ts';
import { safe } from '../../log/safe-text.ts';
import { assertInScope, type DicomIdentity, type Endpoint, type Observation, type ProbeContext } from '../probe.ts';
import { proposedPresentationContexts, readAnswers, type ContextAnswer } from './proposal.ts';
import { observe, round } from './observe.ts';

export interface AssociateFacts {
  readonly accepted: boolean;
  /** The peer answered with valid upper-layer PDUs (AC, RJ or A-ABORT): it speaks DICOM. */
  readonly spokeDicom: boolean;
  readonly calledAe: string;
  readonly callingAe: string;
  readonly reject: { readonly result: number; readonly source: number; readonly reason: number } | null;
  readonly abort: { readonly source: number; readonly reason: number } | null;
  readonly acceptor: {
    /** AE titles as the AC echoed them. */
    readonly calledAe: string;
    readonly callingAe: string;
    readonly maxPduLength: number | null;
    readonly implementationClassUid: string | null;
    readonly implementationVersionName: string | null;
    readonly asyncOps: { readonly maxInvoked: number; readonly maxPerformed: number } | null;
    readonly applicationContext: string | null;
  } | null;
  readonly contexts: readonly ContextAnswer[];
  readonly tls: AssociationFacts['tls'];
  readonly timings: { readonly connectMs: number | null; readonly acseMs: number | null };
}

export interface AssociateOutcome {
  readonly observation: Observation<AssociateFacts>;
  /** The open association when accepted; the caller must release it. */
  readonly association: Association | null;
}

function failedFacts(identity: DicomIdentity, facts: AssociationFacts | null, spokeDicom: boolean): AssociateFacts {
  return {
    accepted: false,
    spokeDicom,
    calledAe: identity.calledAe,
    callingAe: identity.callingAe,
    reject: null,
    abort: null,
    acceptor: null,
    contexts: [],
    tls: facts?.tls ?? null,
    timings: {
      connectMs: facts?.connectMs != null ? round(facts.connectMs) : null,
      acseMs: facts?.acseMs != null ? round(facts.acseMs) : null,
    },
  };
}

export async function probeAssociate(
  ctx: ProbeContext,
  ep: Endpoint,
  identity: DicomIdentity,
): Promise<AssociateOutcome> {
  let association: Association | null = null;
  const observation = await observe<AssociateFacts>('dicom.associate', async () => {
    assertInScope(ctx, ep.host);
    ctx.log.log('debug', safe('associate'), { host: safe(ep.host), port: ep.port, tls: ep.tls });
    const outcome = await requestAssociation({
      host: ep.host,
      port: ep.port,
      tls: ep.tls ? { rejectUnauthorized: false } : undefined,
      calledAe: identity.calledAe,
      callingAe: identity.callingAe,
      presentationContexts: proposedPresentationContexts(),
      timeouts: ctx.timeouts,
    });
    switch (outcome.kind) {
      case 'accepted': {
        association = outcome.association;
        const ac = outcome.ac;
        const ui = ac.userInformation;
        const f = outcome.association.facts;
        return {
          status: 'success' as Status,
          facts: {
            accepted: true,
            spokeDicom: true,
            calledAe: identity.calledAe,
            callingAe: identity.callingAe,
            reject: null,
            abort: null,
            acceptor: {
              calledAe: ac.calledAe,
              callingAe: ac.callingAe,
              maxPduLength: ui?.maxLength ?? null,
              implementationClassUid: ui?.implementationClassUid ?? null,
              implementationVersionName: ui?.implementationVersionName ?? null,
              asyncOps: ui?.asyncOps ?? null,
              applicationContext: ac.applicationContext ?? null,
            },
            contexts: readAnswers(ac),
            tls: f.tls,
            timings: { connectMs: round(f.connectMs ?? 0), acseMs: round(f.acseMs ?? 0) },
          },
        };
      }
      case 'rejected': {
        const rj: AssociateRj = outcome.reject;
        return {
          status: 'success' as Status,
          facts: {
            ...failedFacts(identity, outcome.facts, true),
            reject: { result: rj.result, source: rj.source, reason: rj.reason },
          },
        };
      }
      case 'aborted': {
        const ab: Abort = outcome.abort;
        return {
          status: 'application-error' as Status,
          detail: `peer answered the association request with A-ABORT (source ${ab.source}, reason ${ab.reason})`,
          facts: { ...failedFacts(identity, outcome.facts, true), abort: { source: ab.source, reason: ab.reason } },
        };
      }
      case 'failed':
        return {
          status: outcome.status,
          detail: outcome.detail,
          facts: failedFacts(identity, outcome.facts, outcome.spokeDicom),
        };
    }
  });
  return { observation, association };
}
