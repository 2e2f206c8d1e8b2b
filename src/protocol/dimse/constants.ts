/**
 * DIMSE constants (PS3.7) and the UIDs pacsmap speaks (PS3.4, PS3.6 Annex A).
 *
 * Plain `as const` objects (no enums: Node runs this file with type stripping).
 */

/** PS3.7 E.1 Command Field (0000,0100) values for the composite services we use. */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  CCancelRq: 0x0fff,
} as const;
export type CommandFieldValue = (typeof CommandField)[keyof typeof CommandField];

const COMMAND_FIELD_NAMES: ReadonlyMap<number, string> = new Map([
  [CommandField.CStoreRq, 'C-STORE-RQ'],
  [CommandField.CStoreRsp, 'C-STORE-RSP'],
  [CommandField.CGetRq, 'C-GET-RQ'],
  [CommandField.CGetRsp, 'C-GET-RSP'],
  [CommandField.CFindRq, 'C-FIND-RQ'],
  [CommandField.CFindRsp, 'C-FIND-RSP'],
  [CommandField.CMoveRq, 'C-MOVE-RQ'],
  [CommandField.CMoveRsp, 'C-MOVE-RSP'],
  [CommandField.CEchoRq, 'C-ECHO-RQ'],
  [CommandField.CEchoRsp, 'C-ECHO-RSP'],
  [CommandField.CCancelRq, 'C-CANCEL-RQ'],
]);

/** 'C-FIND-RSP' etc., or `undefined` for a value we do not know. */
export function commandFieldName(value: number): string | undefined {
  return COMMAND_FIELD_NAMES.get(value);
}

/** True for the response half of a request/response pair (bit 15 set). */
export function isResponse(commandField: number): boolean {
  return (commandField & 0x8000) !== 0;
}

/**
 * PS3.7 E.1 Command Data Set Type (0000,0800): 0x0101 means "no data set";
 * any other value means one follows. We send 0x0001 when one does (as DCMTK and
 * pynetdicom do); on receipt only `!== Absent` matters.
 */
export const CommandDataSetType = {
  Present: 0x0001,
  Absent: 0x0101,
} as const;

/** PS3.7 E.1 Priority (0000,0700). */
export const Priority = {
  Medium: 0x0000,
  High: 0x0001,
  Low: 0x0002,
} as const;

/**
 * Status (0000,0900) values we name (PS3.7 Annex C and the service-specific
 * tables of PS3.4 C.4). Not exhaustive: `statusClass()` classifies any value.
 */
export const Status = {
  Success: 0x0000,
  // Pending (C-FIND, C-GET, C-MOVE)
  Pending: 0xff00,
  /** C-FIND: pending, some optional keys were not supported. */
  PendingWarning: 0xff01,
  Cancel: 0xfe00,
  // Warning
  AttributeListError: 0x0107,
  AttributeValueOutOfRange: 0x0116,
  /** C-GET/C-MOVE: sub-operations complete, one or more failures or warnings. */
  SubOperationsCompleteWithFailures: 0xb000,
  /** C-STORE: coercion of data elements. */
  CoercionOfDataElements: 0xb000,
  ElementsDiscarded: 0xb006,
  DataSetDoesNotMatchSopClassWarning: 0xb007,
  // Failure (general, PS3.7 C.5)
  NoSuchAttribute: 0x0105,
  InvalidAttributeValue: 0x0106,
  ProcessingFailure: 0x0110,
  DuplicateSopInstance: 0x0111,
  NoSuchObjectInstance: 0x0112,
  NoSuchSopClass: 0x0118,
  ClassInstanceConflict: 0x0119,
  MissingAttribute: 0x0120,
  MissingAttributeValue: 0x0121,
  RefusedSopClassNotSupported: 0x0122,
  RefusedNotAuthorized: 0x0124,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  ResourceLimitation: 0x0213,
  // Failure (query/retrieve/storage specific, PS3.4 C.4 / B.2.3)
  RefusedOutOfResources: 0xa700,
  RefusedOutOfResourcesNumberOfMatches: 0xa701,
  RefusedOutOfResourcesSubOperations: 0xa702,
  RefusedMoveDestinationUnknown: 0xa801,
  IdentifierDoesNotMatchSopClass: 0xa900,
  UnableToProcess: 0xc000,
} as const;

export type StatusClass = 'success' | 'pending' | 'cancel' | 'warning' | 'failure';

/**
 * PS3.7 C.1: the class of any status value.
 * - success 0x0000; pending 0xFF00/0xFF01; cancel 0xFE00;
 * - warning 0x0001, 0x0107, 0x0116, 0xBxxx;
 * - failure 0xAxxx, 0xCxxx, 0x01xx, 0x02xx (general failures, e.g. 0x0122 refused SOP class);
 * - anything else (including other 0xFFxx/0xFExx and out-of-range numbers) is
 *   treated as failure: an unknown status never counts as success.
 */
export function statusClass(status: number): StatusClass {
  if (!Number.isInteger(status) || status < 0 || status > 0xffff) return 'failure';
  if (status === 0x0000) return 'success';
  if (status === 0xff00 || status === 0xff01) return 'pending';
  if (status === 0xfe00) return 'cancel';
  if (status === 0x0001 || status === 0x0107 || status === 0x0116) return 'warning';
  if ((status & 0xf000) === 0xb000) return 'warning';
  return 'failure';
}

/** PS3.5 A: transfer syntaxes a C-FIND identifier may travel in. */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  /** Retired, still seen on old equipment. */
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
} as const;
export type TransferSyntaxUid = (typeof TransferSyntax)[keyof typeof TransferSyntax];

/** The command set is always Implicit VR Little Endian (PS3.7 6.3.1). */
export const COMMAND_TRANSFER_SYNTAX = TransferSyntax.ImplicitVRLittleEndian;

/** Non-storage SOP classes (PS3.4 A, C, K). */
export const SopClass = {
  Verification: '1.2.840.10008.1.1',
  PatientRootQueryRetrieveFind: '1.2.840.10008.5.1.4.1.2.1.1',
  PatientRootQueryRetrieveMove: '1.2.840.10008.5.1.4.1.2.1.2',
  PatientRootQueryRetrieveGet: '1.2.840.10008.5.1.4.1.2.1.3',
  StudyRootQueryRetrieveFind: '1.2.840.10008.5.1.4.1.2.2.1',
  StudyRootQueryRetrieveMove: '1.2.840.10008.5.1.4.1.2.2.2',
  StudyRootQueryRetrieveGet: '1.2.840.10008.5.1.4.1.2.2.3',
  /** Worklists also leak patient data to strangers, so we ask about it. */
  ModalityWorklistFind: '1.2.840.10008.5.1.4.31',
} as const;

/** A set of common Storage SOP classes (PS3.4 B.5), proposed for C-STORE/C-GET acceptance checks. */
export const StorageSopClass = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  EnhancedCT: '1.2.840.10008.5.1.4.1.1.2.1',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  EnhancedMR: '1.2.840.10008.5.1.4.1.1.4.1',
  CR: '1.2.840.10008.5.1.4.1.1.1',
  DX: '1.2.840.10008.5.1.4.1.1.1.1',
  MG: '1.2.840.10008.5.1.4.1.1.1.2',
  US: '1.2.840.10008.5.1.4.1.1.6.1',
  USMultiframe: '1.2.840.10008.5.1.4.1.1.3.1',
  SC: '1.2.840.10008.5.1.4.1.1.7',
  NM: '1.2.840.10008.5.1.4.1.1.20',
  PET: '1.2.840.10008.5.1.4.1.1.128',
  XA: '1.2.840.10008.5.1.4.1.1.12.1',
  RF: '1.2.840.10008.5.1.4.1.1.12.2',
  RTImage: '1.2.840.10008.5.1.4.1.1.481.1',
  RTDose: '1.2.840.10008.5.1.4.1.1.481.2',
  RTStructureSet: '1.2.840.10008.5.1.4.1.1.481.3',
  RTPlan: '1.2.840.10008.5.1.4.1.1.481.5',
  EncapsulatedPDF: '1.2.840.10008.5.1.4.1.1.104.1',
  BasicTextSR: '1.2.840.10008.5.1.4.1.1.88.11',
  EnhancedSR: '1.2.840.10008.5.1.4.1.1.88.22',
  ComprehensiveSR: '1.2.840.10008.5.1.4.1.1.88.33',
} as const;

const SOP_CLASS_NAMES: ReadonlyMap<string, string> = new Map([
  ...Object.entries(SopClass).map(([name, uid]): [string, string] => [uid, name]),
  ...Object.entries(StorageSopClass).map(([name, uid]): [string, string] => [uid, name]),
]);

/** Short name ('CT', 'StudyRootQueryRetrieveFind', …) of a SOP class UID we know, else `undefined`. */
export function sopClassName(uid: string): string | undefined {
  return SOP_CLASS_NAMES.get(uid);
}

/** Short name of a transfer syntax UID we know, else `undefined`. */
export function transferSyntaxName(uid: string): string | undefined {
  for (const [name, value] of Object.entries(TransferSyntax)) if (value === uid) return name;
  return undefined;
}
