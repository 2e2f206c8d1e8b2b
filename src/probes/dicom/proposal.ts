/**
 * What a stranger's association proposes, and how to read the peer's answer back into
 * services. One association asks for everything at once (verification, query, retrieve,
 * storage): negotiation only, nothing is moved or stored by proposing.
 */
import type { AssociateAc, PresentationContextRq } from '../../protocol/ul/pdu.ts';
import { SopClass, StorageSopClass, TransferSyntax } from '../../protocol/dimse/constants.ts';

export type ServiceKind = 'echo' | 'find' | 'move' | 'get' | 'store';

export interface ProposedContext {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly name: string;
  readonly service: ServiceKind;
}

const TRANSFER_SYNTAXES = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];

function build(): readonly ProposedContext[] {
  const entries: Array<[string, string, ServiceKind]> = [
    [SopClass.Verification, 'Verification', 'echo'],
    [SopClass.StudyRootQueryRetrieveFind, 'Study Root Q/R FIND', 'find'],
    [SopClass.PatientRootQueryRetrieveFind, 'Patient Root Q/R FIND', 'find'],
    [SopClass.StudyRootQueryRetrieveMove, 'Study Root Q/R MOVE', 'move'],
    [SopClass.PatientRootQueryRetrieveMove, 'Patient Root Q/R MOVE', 'move'],
    [SopClass.StudyRootQueryRetrieveGet, 'Study Root Q/R GET', 'get'],
    [SopClass.PatientRootQueryRetrieveGet, 'Patient Root Q/R GET', 'get'],
    ...Object.entries(StorageSopClass).map(([name, uid]): [string, string, ServiceKind] => [uid, name, 'store']),
  ];
  return entries.map(([abstractSyntax, name, service], i) => ({ id: 2 * i + 1, abstractSyntax, name, service }));
}

export const PROPOSAL: readonly ProposedContext[] = build();

export function proposedPresentationContexts(): PresentationContextRq[] {
  return PROPOSAL.map((p) => ({ id: p.id, abstractSyntax: p.abstractSyntax, transferSyntaxes: TRANSFER_SYNTAXES }));
}

export interface ContextAnswer {
  readonly id: number;
  readonly name: string;
  readonly abstractSyntax: string;
  readonly service: ServiceKind;
  /** PS3.8 result: 0 acceptance, 1 user rejection, 2 no reason, 3 abstract syntax not supported, 4 transfer syntaxes not supported; null if the peer did not answer this context. */
  readonly result: number | null;
  readonly transferSyntax: string | null;
}

export function readAnswers(ac: AssociateAc): ContextAnswer[] {
  return PROPOSAL.map((p) => {
    const pc = ac.presentationContexts.find((c) => c.id === p.id);
    const accepted = pc?.result === 0;
    return {
      id: p.id,
      name: p.name,
      abstractSyntax: p.abstractSyntax,
      service: p.service,
      result: pc ? pc.result : null,
      transferSyntax: accepted ? (pc?.transferSyntax ?? null) : null,
    };
  });
}

/** The first accepted context for an abstract syntax, with its transfer syntax. */
export function acceptedContext(
  answers: readonly ContextAnswer[],
  abstractSyntax: string,
): { id: number; transferSyntax: string } | null {
  const a = answers.find((x) => x.abstractSyntax === abstractSyntax && x.result === 0 && x.transferSyntax);
  return a ? { id: a.id, transferSyntax: a.transferSyntax! } : null;
}

export interface ServicesOffered {
  readonly echo: boolean;
  readonly find: boolean;
  readonly move: boolean;
  readonly get: boolean;
  readonly store: boolean;
  /** Names of the storage SOP classes accepted. */
  readonly storageClasses: readonly string[];
}

export function servicesOffered(answers: readonly ContextAnswer[]): ServicesOffered {
  const ok = (k: ServiceKind): boolean => answers.some((a) => a.service === k && a.result === 0);
  return {
    echo: ok('echo'),
    find: ok('find'),
    move: ok('move'),
    get: ok('get'),
    store: ok('store'),
    storageClasses: answers.filter((a) => a.service === 'store' && a.result === 0).map((a) => a.name),
  };
}
