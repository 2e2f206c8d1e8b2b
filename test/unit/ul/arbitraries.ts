/**
 * fast-check arbitraries for PDUs, shaped like what `readPdu` returns: optional fields
 * absent (not `undefined`), strings without the padding the decoder strips, unknown
 * items only of types the decoder would not interpret.
 */
import fc from 'fast-check';
import type {
  Abort,
  AssociateAc,
  AssociateRj,
  AssociateRq,
  PDataTf,
  Pdu,
  Pdv,
  PresentationContextAc,
  PresentationContextRq,
  ReleaseRp,
  ReleaseRq,
  UnknownItem,
  UnknownPdu,
  UserInformation,
} from '../../../src/protocol/ul/pdu.ts';

/** Plain objects, so that they deep-equal what the decoder builds. */
const NO_NULL_PROTO = { noNullPrototype: true } as const;

export const byte = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const smallBytes = fc.uint8Array({ maxLength: 40 });

/** Any string of ISO 8859-1 characters (one byte each on the wire). */
const latin1 = (maxLength: number): fc.Arbitrary<string> =>
  fc.array(byte, { maxLength }).map((codes) => String.fromCharCode(...codes));

/** UIDs: mostly well-formed, sometimes arbitrary bytes; never with trailing NUL/space padding. */
export const uid: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.array(fc.nat(999999), { minLength: 1, maxLength: 10 }).map((c) => c.join('.')) },
    { weight: 1, arbitrary: latin1(70) },
  )
  .map((s) => s.replace(/[\0 ]+$/, ''));

/** AE titles as decoded: up to 16 characters, leading spaces kept, trailing spaces trimmed. */
export const aeTitle: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('ANY-SCP', 'PACSMAP', 'ORTHANC', 'STORESCP', ' LEADING', ''),
  latin1(16).map((s) => s.replace(/ +$/, '')),
);

const unknownItem = (excluded: readonly number[]): fc.Arbitrary<UnknownItem> =>
  fc.record({ itemType: byte.filter((t) => !excluded.includes(t)), data: smallBytes }, NO_NULL_PROTO);

const unknownItems = (excluded: readonly number[]): fc.Arbitrary<UnknownItem[]> =>
  fc.array(unknownItem(excluded), { maxLength: 3 });

/** Optional `unknownItems` on presentation contexts: absent, or a non-empty list. */
const optionalUnknownItems = (excluded: readonly number[]) =>
  fc.option(fc.array(unknownItem(excluded), { minLength: 1, maxLength: 2 }), { nil: undefined });

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const USER_INFO_TYPES = [0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x58, 0x59];

export const userInformation: fc.Arbitrary<UserInformation> = fc.record(
  {
    maxLength: u32,
    implementationClassUid: uid,
    implementationVersionName: latin1(16).map((s) => s.replace(/[\0 ]+$/, '')),
    asyncOps: fc.record({ maxInvoked: u16, maxPerformed: u16 }, NO_NULL_PROTO),
    roleSelections: fc.array(fc.record({ sopClassUid: uid, scuRole: byte, scpRole: byte }, NO_NULL_PROTO), {
      maxLength: 3,
    }),
    extendedNegotiations: fc.array(fc.record({ sopClassUid: uid, applicationInformation: smallBytes }, NO_NULL_PROTO), {
      maxLength: 2,
    }),
    userIdentityRq: fc.record(
      {
        identityType: byte,
        positiveResponseRequested: fc.boolean(),
        primaryField: smallBytes,
        secondaryField: smallBytes,
      },
      NO_NULL_PROTO,
    ),
    userIdentityAc: fc.record({ serverResponse: smallBytes }, NO_NULL_PROTO),
    unknownItems: unknownItems(USER_INFO_TYPES),
  },
  { noNullPrototype: true, requiredKeys: ['roleSelections', 'extendedNegotiations', 'unknownItems'] },
);

const presentationContextRq: fc.Arbitrary<PresentationContextRq> = fc
  .record({
    id: byte,
    abstractSyntax: uid,
    transferSyntaxes: fc.array(uid, { maxLength: 4 }),
    unknownItems: optionalUnknownItems([0x40]), // a repeated 0x30 is fine: the first one is the abstract syntax
  })
  .map(withoutUndefined);

const presentationContextAc: fc.Arbitrary<PresentationContextAc> = fc
  .record({
    id: byte,
    result: byte,
    transferSyntax: fc.option(uid, { nil: undefined }),
    unknownItems: optionalUnknownItems([0x40]),
  })
  .map(withoutUndefined);

export const associateRq: fc.Arbitrary<AssociateRq> = fc.record(
  {
    type: fc.constant('A-ASSOCIATE-RQ' as const),
    protocolVersion: u16,
    calledAe: aeTitle,
    callingAe: aeTitle,
    applicationContext: fc.oneof(fc.constant('1.2.840.10008.3.1.1.1'), uid),
    presentationContexts: fc.array(presentationContextRq, { maxLength: 4 }),
    userInformation,
    unknownItems: unknownItems([0x10, 0x20, 0x50]),
  },
  NO_NULL_PROTO,
);

export const associateAc: fc.Arbitrary<AssociateAc> = fc.record(
  {
    type: fc.constant('A-ASSOCIATE-AC' as const),
    protocolVersion: u16,
    calledAe: aeTitle,
    callingAe: aeTitle,
    applicationContext: fc.oneof(fc.constant('1.2.840.10008.3.1.1.1'), uid),
    presentationContexts: fc.array(presentationContextAc, { maxLength: 4 }),
    userInformation,
    unknownItems: unknownItems([0x10, 0x21, 0x50]),
  },
  {
    noNullPrototype: true,
    requiredKeys: ['type', 'protocolVersion', 'calledAe', 'callingAe', 'presentationContexts', 'unknownItems'],
  },
);

export const associateRj: fc.Arbitrary<AssociateRj> = fc.record(
  {
    type: fc.constant('A-ASSOCIATE-RJ' as const),
    result: byte,
    source: byte,
    reason: byte,
  },
  NO_NULL_PROTO,
);

const pdv: fc.Arbitrary<Pdv> = fc.record(
  {
    contextId: byte,
    isCommand: fc.boolean(),
    isLast: fc.boolean(),
    data: fc.uint8Array({ maxLength: 200 }),
  },
  NO_NULL_PROTO,
);

export const pDataTf: fc.Arbitrary<PDataTf> = fc.record(
  {
    type: fc.constant('P-DATA-TF' as const),
    pdvs: fc.array(pdv, { maxLength: 4 }),
  },
  NO_NULL_PROTO,
);

const releaseRq: fc.Arbitrary<ReleaseRq> = fc.constant({ type: 'A-RELEASE-RQ' });
const releaseRp: fc.Arbitrary<ReleaseRp> = fc.constant({ type: 'A-RELEASE-RP' });
const abort: fc.Arbitrary<Abort> = fc.record(
  { type: fc.constant('A-ABORT' as const), source: byte, reason: byte },
  NO_NULL_PROTO,
);

const unknownPdu: fc.Arbitrary<UnknownPdu> = fc.record(
  {
    type: fc.constant('unknown' as const),
    pduType: byte.filter((t) => t < 1 || t > 7),
    body: fc.uint8Array({ maxLength: 64 }),
  },
  NO_NULL_PROTO,
);

export const pdu: fc.Arbitrary<Pdu> = fc.oneof(
  associateRq,
  associateAc,
  associateRj,
  pDataTf,
  releaseRq,
  releaseRp,
  abort,
  unknownPdu,
);
