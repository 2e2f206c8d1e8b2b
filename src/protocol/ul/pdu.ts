/**
 * PS3.8 §9.3 upper-layer protocol data units, as plain data.
 *
 * These types say exactly what was on the wire: optional fields are `undefined`
 * when the peer omitted them (never filled with our own defaults), AE titles are
 * kept as the peer sent them (trailing spaces trimmed, nothing else), and items
 * we do not understand are kept as bytes.
 */

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PDataTf: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaxLength: 0x51,
  ImplementationClassUid: 0x52,
  AsyncOps: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRq: 0x58,
  UserIdentityAc: 0x59,
} as const;

/** The DICOM application context name (PS3.7 Annex A.2.1). */
export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/** An item (or sub-item) whose type we do not interpret; kept verbatim. */
export interface UnknownItem {
  readonly itemType: number;
  readonly data: Uint8Array;
}

export interface RoleSelection {
  readonly sopClassUid: string;
  readonly scuRole: number;
  readonly scpRole: number;
}

export interface AsyncOps {
  readonly maxInvoked: number;
  readonly maxPerformed: number;
}

/** PS3.7 D.3.3.7.1 user identity negotiation, requestor side. */
export interface UserIdentityRq {
  /** 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT. */
  readonly identityType: number;
  readonly positiveResponseRequested: boolean;
  readonly primaryField: Uint8Array;
  readonly secondaryField: Uint8Array;
}

/** PS3.7 D.3.3.7.2 user identity negotiation, acceptor side. */
export interface UserIdentityAc {
  readonly serverResponse: Uint8Array;
}

export interface SopClassExtendedNegotiation {
  readonly sopClassUid: string;
  readonly applicationInformation: Uint8Array;
}

export interface UserInformation {
  /** Maximum length of the variable field of P-DATA-TF PDUs the sender will receive; 0 = no limit. */
  readonly maxLength?: number | undefined;
  readonly implementationClassUid?: string | undefined;
  readonly implementationVersionName?: string | undefined;
  readonly asyncOps?: AsyncOps | undefined;
  readonly roleSelections: readonly RoleSelection[];
  readonly extendedNegotiations: readonly SopClassExtendedNegotiation[];
  readonly userIdentityRq?: UserIdentityRq | undefined;
  readonly userIdentityAc?: UserIdentityAc | undefined;
  /** Sub-items of types we do not interpret (including 0x57), verbatim. */
  readonly unknownItems: readonly UnknownItem[];
}

export interface PresentationContextRq {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
  /**
   * Sub-items other than the first 0x30 and the 0x40s (unknown types, repeated abstract
   * syntaxes), verbatim. Absent when there were none.
   */
  readonly unknownItems?: readonly UnknownItem[] | undefined;
}

/** PS3.8 Table 9-18 result/reason values. */
export const PresentationContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

export interface PresentationContextAc {
  readonly id: number;
  readonly result: number;
  /** The one transfer syntax the acceptor chose; `undefined` if the sub-item was absent. */
  readonly transferSyntax?: string | undefined;
  /** Sub-items other than the first 0x40 (unknown types, extra transfer syntaxes), verbatim. Absent when there were none. */
  readonly unknownItems?: readonly UnknownItem[] | undefined;
}

export interface AssociateRq {
  readonly type: 'A-ASSOCIATE-RQ';
  readonly protocolVersion: number;
  readonly calledAe: string;
  readonly callingAe: string;
  readonly applicationContext: string;
  readonly presentationContexts: readonly PresentationContextRq[];
  readonly userInformation: UserInformation;
  readonly unknownItems: readonly UnknownItem[];
}

export interface AssociateAc {
  readonly type: 'A-ASSOCIATE-AC';
  readonly protocolVersion: number;
  /** Called/calling AE titles as echoed by the acceptor (PS3.8 says "not tested"; we report them). */
  readonly calledAe: string;
  readonly callingAe: string;
  readonly applicationContext?: string | undefined;
  readonly presentationContexts: readonly PresentationContextAc[];
  readonly userInformation?: UserInformation | undefined;
  readonly unknownItems: readonly UnknownItem[];
}

export interface AssociateRj {
  readonly type: 'A-ASSOCIATE-RJ';
  /** 1 rejected-permanent, 2 rejected-transient. */
  readonly result: number;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  readonly source: number;
  readonly reason: number;
}

export interface Pdv {
  readonly contextId: number;
  readonly isCommand: boolean;
  readonly isLast: boolean;
  readonly data: Uint8Array;
}

export interface PDataTf {
  readonly type: 'P-DATA-TF';
  readonly pdvs: readonly Pdv[];
}

export interface ReleaseRq {
  readonly type: 'A-RELEASE-RQ';
}

export interface ReleaseRp {
  readonly type: 'A-RELEASE-RP';
}

export interface Abort {
  readonly type: 'A-ABORT';
  /** 0 service-user, 2 service-provider. */
  readonly source: number;
  readonly reason: number;
}

/** A PDU whose type byte is not one of PS3.8's seven; kept as bytes. */
export interface UnknownPdu {
  readonly type: 'unknown';
  readonly pduType: number;
  readonly body: Uint8Array;
}

export type Pdu = AssociateRq | AssociateAc | AssociateRj | PDataTf | ReleaseRq | ReleaseRp | Abort | UnknownPdu;

/**
 * The result of reading one PDU from the front of a buffer. The reader never throws.
 * - `pdu`: a whole PDU was decoded; `bytesConsumed` bytes may be dropped from the buffer.
 * - `incomplete`: more bytes are needed (`needed` is the total the PDU will take, once the header is known).
 * - `too-large`: the header declares a PDU longer than the caller allows; nothing more should be read.
 * - `malformed`: the PDU's framing is known but its content breaks PS3.8 (`reason` says how).
 */
export type ReadResult =
  | { readonly kind: 'pdu'; readonly pdu: Pdu; readonly bytesConsumed: number }
  | { readonly kind: 'incomplete'; readonly needed?: number | undefined }
  | { readonly kind: 'too-large'; readonly pduType: number; readonly declaredLength: number }
  | { readonly kind: 'malformed'; readonly pduType: number; readonly reason: string; readonly bytesConsumed: number };
