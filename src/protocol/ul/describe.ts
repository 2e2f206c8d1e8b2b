/** One-line PDU summaries for logs (re-exported by `codec.ts`). */

import { hex } from './bytes.ts';
import { DICOM_APPLICATION_CONTEXT } from './pdu.ts';
import type { Pdu, UserInformation } from './pdu.ts';

/** A peer-supplied string, safe and short for a log line. */
function show(s: string): string {
  const cut = s.length > 64 ? `${s.slice(0, 64)}…` : s;
  return /^[\x21-\x7e]*$/.test(cut) && cut.length > 0 ? cut : JSON.stringify(cut);
}

const RJ_RESULTS: Readonly<Record<number, string>> = { 1: 'rejected-permanent', 2: 'rejected-transient' };
const RJ_SOURCES: Readonly<Record<number, string>> = {
  1: 'service-user',
  2: 'service-provider (ACSE)',
  3: 'service-provider (presentation)',
};
/** PS3.8 Table 9-21: the reason's meaning depends on the source. */
const RJ_REASONS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: {
    1: 'no-reason-given',
    2: 'application-context-name-not-supported',
    3: 'calling-AE-title-not-recognized',
    7: 'called-AE-title-not-recognized',
  },
  2: { 1: 'no-reason-given', 2: 'protocol-version-not-supported' },
  3: { 1: 'temporary-congestion', 2: 'local-limit-exceeded' },
};
const ABORT_SOURCES: Readonly<Record<number, string>> = { 0: 'service-user', 2: 'service-provider' };
/** PS3.8 Table 9-26 (meaningful when the source is the service provider). */
const ABORT_REASONS: Readonly<Record<number, string>> = {
  0: 'reason-not-specified',
  1: 'unrecognized-PDU',
  2: 'unexpected-PDU',
  4: 'unrecognized-PDU-parameter',
  5: 'unexpected-PDU-parameter',
  6: 'invalid-PDU-parameter-value',
};
const PC_RESULTS: Readonly<Record<number, string>> = {
  0: 'accepted',
  1: 'user-rejection',
  2: 'no-reason',
  3: 'abstract-syntax-not-supported',
  4: 'transfer-syntaxes-not-supported',
};

function labelled(n: number, labels: Readonly<Record<number, string>> | undefined): string {
  const label = labels?.[n];
  return label === undefined ? String(n) : `${n} (${label})`;
}

function describeUserInformation(ui: UserInformation): string {
  const parts: string[] = [];
  if (ui.maxLength !== undefined) parts.push(`maxLength=${ui.maxLength}`);
  if (ui.implementationClassUid !== undefined) parts.push(`impl=${show(ui.implementationClassUid)}`);
  if (ui.implementationVersionName !== undefined) parts.push(`version=${show(ui.implementationVersionName)}`);
  if (ui.asyncOps !== undefined) parts.push(`async=${ui.asyncOps.maxInvoked}/${ui.asyncOps.maxPerformed}`);
  if (ui.roleSelections.length > 0) parts.push(`roles=${ui.roleSelections.length}`);
  if (ui.extendedNegotiations.length > 0) parts.push(`extNeg=${ui.extendedNegotiations.length}`);
  // Identity fields may hold credentials: only the type and sizes are ever shown.
  if (ui.userIdentityRq !== undefined) parts.push(`identity=type${ui.userIdentityRq.identityType}`);
  if (ui.userIdentityAc !== undefined) parts.push(`identityResponse=${ui.userIdentityAc.serverResponse.length}B`);
  if (ui.unknownItems.length > 0)
    parts.push(`unknownSubItems=[${ui.unknownItems.map((u) => hex(u.itemType)).join(',')}]`);
  return parts.join(' ');
}

/**
 * A one-line summary for logs. Never includes P-DATA content, user identity fields or
 * unknown bytes (only their sizes); peer-supplied strings are escaped and shortened.
 */
export function describePdu(pdu: Pdu): string {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC': {
      const parts = [pdu.type, `called=${show(pdu.calledAe)}`, `calling=${show(pdu.callingAe)}`];
      if (pdu.protocolVersion !== 1) parts.push(`version=${pdu.protocolVersion}`);
      if (pdu.applicationContext === undefined) parts.push('no-application-context');
      else if (pdu.applicationContext !== DICOM_APPLICATION_CONTEXT)
        parts.push(`context=${show(pdu.applicationContext)}`);
      if (pdu.type === 'A-ASSOCIATE-RQ') {
        const pcs = pdu.presentationContexts.map(
          (pc) => `${pc.id}:${show(pc.abstractSyntax)}/${pc.transferSyntaxes.length}ts`,
        );
        parts.push(`pcs=[${pcs.slice(0, 8).join(' ')}${pcs.length > 8 ? ` …+${pcs.length - 8}` : ''}]`);
      } else {
        const pcs = pdu.presentationContexts.map((pc) =>
          pc.result === 0
            ? `${pc.id}:accepted ${show(pc.transferSyntax ?? '(no transfer syntax)')}`
            : `${pc.id}:${labelled(pc.result, PC_RESULTS)}`,
        );
        parts.push(`pcs=[${pcs.slice(0, 8).join(', ')}${pcs.length > 8 ? ` …+${pcs.length - 8}` : ''}]`);
      }
      if (pdu.userInformation === undefined) parts.push('no-user-information');
      else parts.push(describeUserInformation(pdu.userInformation));
      if (pdu.unknownItems.length > 0)
        parts.push(`unknownItems=[${pdu.unknownItems.map((u) => hex(u.itemType)).join(',')}]`);
      return parts.filter((p) => p !== '').join(' ');
    }
    case 'A-ASSOCIATE-RJ':
      return `A-ASSOCIATE-RJ result=${labelled(pdu.result, RJ_RESULTS)} source=${labelled(pdu.source, RJ_SOURCES)} reason=${labelled(pdu.reason, RJ_REASONS[pdu.source])}`;
    case 'P-DATA-TF': {
      const pdvs = pdu.pdvs.map(
        (p) => `[pc=${p.contextId} ${p.isCommand ? 'command' : 'data'}${p.isLast ? ' last' : ''} ${p.data.length}B]`,
      );
      return `P-DATA-TF ${pdvs.length} PDV${pdvs.length === 1 ? '' : 's'}${pdvs.length > 0 ? ' ' : ''}${pdvs.slice(0, 4).join(' ')}${pdvs.length > 4 ? ' …' : ''}`;
    }
    case 'A-RELEASE-RQ':
    case 'A-RELEASE-RP':
      return pdu.type;
    case 'A-ABORT':
      return `A-ABORT source=${labelled(pdu.source, ABORT_SOURCES)} reason=${labelled(pdu.reason, pdu.source === 2 ? ABORT_REASONS : undefined)}`;
    case 'unknown':
      return `unknown PDU type ${hex(pdu.pduType)} (${pdu.body.length}B body)`;
  }
}
