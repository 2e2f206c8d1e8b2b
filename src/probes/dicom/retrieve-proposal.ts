/**
 * The association `dicom.retrieve` proposes (separate from the default proposal, which only
 * negotiates): Study Root FIND, MOVE and GET, plus the common storage SOP classes with an SCP/SCU
 * Role Selection item asking for the SCP role only (PS3.7 D.3.3.4: SCU role 0, SCP role 1), which
 * is what lets the archive send C-GET's C-STORE sub-operations back to us on this association.
 * Uncompressed transfer syntaxes only: the instance is parsed in memory, never decompressed.
 */
import type { AssociateAc, PresentationContextRq, RoleSelection } from '../../protocol/ul/pdu.ts';
import { SopClass, StorageSopClass, TransferSyntax } from '../../protocol/dimse/constants.ts';
import type { StorageContext } from '../../protocol/dimse/get.ts';

const TRANSFER_SYNTAXES = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];

export const RETRIEVE_CONTEXT = { find: 1, move: 3, get: 5 } as const;

const STORAGE: ReadonlyArray<{ id: number; uid: string }> = Object.values(StorageSopClass).map((uid, i) => ({
  id: 7 + 2 * i,
  uid,
}));

export function retrievePresentationContexts(): PresentationContextRq[] {
  return [
    {
      id: RETRIEVE_CONTEXT.find,
      abstractSyntax: SopClass.StudyRootQueryRetrieveFind,
      transferSyntaxes: TRANSFER_SYNTAXES,
    },
    {
      id: RETRIEVE_CONTEXT.move,
      abstractSyntax: SopClass.StudyRootQueryRetrieveMove,
      transferSyntaxes: TRANSFER_SYNTAXES,
    },
    {
      id: RETRIEVE_CONTEXT.get,
      abstractSyntax: SopClass.StudyRootQueryRetrieveGet,
      transferSyntaxes: TRANSFER_SYNTAXES,
    },
    ...STORAGE.map((s) => ({ id: s.id, abstractSyntax: s.uid, transferSyntaxes: TRANSFER_SYNTAXES })),
  ];
}

/** SCP role only, for every storage class proposed. */
export function retrieveRoleSelections(): RoleSelection[] {
  return STORAGE.map((s) => ({ sopClassUid: s.uid, scuRole: 0, scpRole: 1 }));
}

export interface RetrieveAnswers {
  readonly find: { id: number; transferSyntax: string } | null;
  readonly move: { id: number; transferSyntax: string } | null;
  readonly get: { id: number; transferSyntax: string } | null;
  /** Storage contexts the peer accepted (whatever it said about roles). */
  readonly storage: readonly StorageContext[];
  /** Storage classes for which the AC's role selection item grants us the SCP role. */
  readonly scpRoleGranted: number;
}

export function readRetrieveAnswers(ac: AssociateAc): RetrieveAnswers {
  const accepted = (id: number): { id: number; transferSyntax: string } | null => {
    const pc = ac.presentationContexts.find((c) => c.id === id);
    return pc && pc.result === 0 && pc.transferSyntax ? { id, transferSyntax: pc.transferSyntax } : null;
  };
  const storage: StorageContext[] = [];
  for (const s of STORAGE) {
    const pc = accepted(s.id);
    if (pc) storage.push({ contextId: pc.id, transferSyntax: pc.transferSyntax });
  }
  const roles = ac.userInformation?.roleSelections ?? [];
  const granted = new Set(roles.filter((r) => r.scpRole === 1).map((r) => r.sopClassUid));
  const scpRoleGranted = STORAGE.filter((s) => accepted(s.id) !== null && granted.has(s.uid)).length;
  return {
    find: accepted(RETRIEVE_CONTEXT.find),
    move: accepted(RETRIEVE_CONTEXT.move),
    get: accepted(RETRIEVE_CONTEXT.get),
    storage,
    scpRoleGranted,
  };
}
