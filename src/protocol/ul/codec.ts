/**
 * PS3.8 §9.3 upper-layer PDU codec: bytes ⇄ `Pdu` values, with no I/O.
 *
 * Why hand-written rather than dcmjs-dimse (the project prefers libraries): we measured it.
 * dcmjs-dimse costs 3.5–7.7× more CPU per association, drops the source/reason of an
 * A-ABORT, reports its own implementation version name when the peer sent none, and has
 * no cap on PDU size. A scanner facing hostile peers needs a bounded reader that never
 * throws and reports exactly what the peer sent, which is what this module is:
 * - `readPdu` refuses a PDU longer than the caller's limit from its 6-byte header alone,
 *   before waiting for (or buffering) its body;
 * - every peer mistake is a `malformed` result with a reason, never an exception;
 * - absent optional fields stay `undefined`; unknown PDUs, items and sub-items are kept
 *   as bytes; nothing is filled in with our own defaults.
 *
 * Leniency: reserved fields are ignored on input (PS3.8: "not tested") and zero on
 * output; UIDs and the implementation version name lose trailing NUL/space padding;
 * AE titles lose trailing spaces only; reserved bits 2–7 of a PDV message control header
 * are ignored. Framing is strict: any length that disagrees with its container is malformed.
 */

import { Cursor, DecodeError, Writer, hex, latin1 } from './bytes.ts';
import { readAssociateItems, writeAssociateItems } from './items.ts';
import { PduType } from './pdu.ts';
import type { AssociateAc, AssociateRq, Pdu, PDataTf, Pdv, ReadResult } from './pdu.ts';

export { describePdu } from './describe.ts';

/** PDU type (1) + reserved (1) + PDU length (4). The PDU length field counts the bytes after these. */
export const PDU_HEADER_LENGTH = 6;

/**
 * Bytes a PDV adds to a P-DATA-TF's PDU length besides its fragment: item length (4),
 * presentation context ID (1), message control header (1). With a peer maximum length L
 * (0 = unlimited), a P-DATA-TF carrying one PDV holds at most L − 6 bytes of fragment.
 */
export const PDV_ITEM_OVERHEAD = 6;

/** The fixed part of A-ASSOCIATE-RQ/AC before the items: version, reserved, 2 AE titles, 32 reserved. */
const ASSOCIATE_FIXED_LENGTH = 2 + 2 + 16 + 16 + 32;

const TYPE_CODES: Readonly<Record<Exclude<Pdu['type'], 'unknown'>, number>> = {
  'A-ASSOCIATE-RQ': PduType.AssociateRq,
  'A-ASSOCIATE-AC': PduType.AssociateAc,
  'A-ASSOCIATE-RJ': PduType.AssociateRj,
  'P-DATA-TF': PduType.PDataTf,
  'A-RELEASE-RQ': PduType.ReleaseRq,
  'A-RELEASE-RP': PduType.ReleaseRp,
  'A-ABORT': PduType.Abort,
};

const NAMES: Readonly<Record<number, string>> = {
  [PduType.AssociateRq]: 'A-ASSOCIATE-RQ',
  [PduType.AssociateAc]: 'A-ASSOCIATE-AC',
  [PduType.AssociateRj]: 'A-ASSOCIATE-RJ',
  [PduType.PDataTf]: 'P-DATA-TF',
  [PduType.ReleaseRq]: 'A-RELEASE-RQ',
  [PduType.ReleaseRp]: 'A-RELEASE-RP',
  [PduType.Abort]: 'A-ABORT',
};

// ─── encoding ────────────────────────────────────────────────────────────────

/**
 * An AE title as sent in A-ASSOCIATE-RQ/AC: 16 bytes, space padded. Throws a RangeError
 * for more than 16 characters or a character outside ISO 8859-1 (never truncates:
 * a scanner must know exactly which title it sent).
 */
export function encodeAeTitle(ae: string): Uint8Array {
  if (ae.length > 16) throw new RangeError(`AE title longer than 16 characters: ${JSON.stringify(ae)}`);
  const w = new Writer(16);
  w.latin1(ae, 'AE title');
  while (w.length < 16) w.u8(0x20, 'pad');
  return w.finish();
}

function writeAssociate(w: Writer, pdu: AssociateRq | AssociateAc): void {
  w.u16(pdu.protocolVersion, 'protocol version');
  w.zeros(2);
  w.bytes(encodeAeTitle(pdu.calledAe));
  w.bytes(encodeAeTitle(pdu.callingAe));
  w.zeros(32);
  writeAssociateItems(w, pdu);
}

function writePData(w: Writer, pdvs: readonly Pdv[]): void {
  for (const pdv of pdvs) {
    w.u32(pdv.data.length + 2, 'PDV item length');
    w.u8(pdv.contextId, 'presentation context ID');
    w.u8((pdv.isCommand ? 0x01 : 0) | (pdv.isLast ? 0x02 : 0), 'message control header');
    w.bytes(pdv.data);
  }
}

/**
 * Encodes one PDU. Throws a RangeError if a value cannot be represented (a field out of
 * range, an AE title over 16 characters, a non-ISO-8859-1 character, an item over 64 KiB):
 * that is a bug in the caller, not something a peer can cause.
 * An `unknown` PDU is written as given, even with a type byte 1–7 (useful for crafting
 * hostile PDUs in the lab); `readPdu` will then interpret it as that type.
 */
export function encodePdu(pdu: Pdu): Uint8Array {
  let capacity = 256;
  if (pdu.type === 'P-DATA-TF') {
    capacity = PDU_HEADER_LENGTH;
    for (const pdv of pdu.pdvs) capacity += PDV_ITEM_OVERHEAD + pdv.data.length;
  } else if (pdu.type === 'unknown') {
    capacity = PDU_HEADER_LENGTH + pdu.body.length;
  }
  const w = new Writer(capacity);
  const pduType = pdu.type === 'unknown' ? pdu.pduType : TYPE_CODES[pdu.type];
  w.u8(pduType, 'PDU type');
  w.u8(0, 'reserved');
  w.u32(0, 'PDU length');
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      writeAssociate(w, pdu);
      break;
    case 'A-ASSOCIATE-RJ': // Table 9-21
      w.zeros(1);
      w.u8(pdu.result, 'A-ASSOCIATE-RJ result');
      w.u8(pdu.source, 'A-ASSOCIATE-RJ source');
      w.u8(pdu.reason, 'A-ASSOCIATE-RJ reason');
      break;
    case 'P-DATA-TF':
      writePData(w, pdu.pdvs);
      break;
    case 'A-RELEASE-RQ':
    case 'A-RELEASE-RP': // Tables 9-24, 9-25
      w.zeros(4);
      break;
    case 'A-ABORT': // Table 9-26
      w.zeros(2);
      w.u8(pdu.source, 'A-ABORT source');
      w.u8(pdu.reason, 'A-ABORT reason');
      break;
    case 'unknown':
      w.bytes(pdu.body);
      break;
  }
  w.patch(2, 4, w.length - PDU_HEADER_LENGTH, 'PDU length');
  return w.finish();
}

// ─── decoding ────────────────────────────────────────────────────────────────

function readAeTitle(cur: Cursor, what: string): string {
  return latin1(cur.take(16, what)).replace(/ +$/, '');
}

function readAssociate(cur: Cursor, rq: boolean): AssociateRq | AssociateAc {
  if (cur.remaining < ASSOCIATE_FIXED_LENGTH) {
    throw new DecodeError(`${cur.context} length ${cur.remaining}, expected at least ${ASSOCIATE_FIXED_LENGTH}`);
  }
  const protocolVersion = cur.u16('protocol version');
  cur.skip(2, 'reserved');
  const calledAe = readAeTitle(cur, 'called AE title');
  const callingAe = readAeTitle(cur, 'calling AE title');
  cur.skip(32, 'reserved');
  const items = readAssociateItems(cur, rq);
  if (rq) {
    // PS3.8 Table 9-11: exactly one of each; without them there is no association to speak of.
    if (items.applicationContext === undefined)
      throw new DecodeError('A-ASSOCIATE-RQ without application context item');
    if (items.userInformation === undefined) throw new DecodeError('A-ASSOCIATE-RQ without user information item');
    return {
      type: 'A-ASSOCIATE-RQ',
      protocolVersion,
      calledAe,
      callingAe,
      applicationContext: items.applicationContext,
      presentationContexts: items.presentationContextsRq,
      userInformation: items.userInformation,
      unknownItems: items.unknownItems,
    };
  }
  const ac: { -readonly [K in keyof AssociateAc]: AssociateAc[K] } = {
    type: 'A-ASSOCIATE-AC',
    protocolVersion,
    calledAe,
    callingAe,
    presentationContexts: items.presentationContextsAc,
    unknownItems: items.unknownItems,
  };
  if (items.applicationContext !== undefined) ac.applicationContext = items.applicationContext;
  if (items.userInformation !== undefined) ac.userInformation = items.userInformation;
  return ac;
}

function readPData(cur: Cursor): PDataTf {
  const pdvs: Pdv[] = [];
  while (cur.remaining > 0) {
    if (cur.remaining < 4) {
      throw new DecodeError(`${cur.remaining} trailing bytes in P-DATA-TF, too few for a PDV item header`);
    }
    const length = cur.u32('PDV item length');
    if (length < 2) throw new DecodeError(`PDV item length ${length}, expected at least 2`);
    if (length > cur.remaining) {
      throw new DecodeError(`PDV item length ${length} exceeds remaining ${cur.remaining} bytes in P-DATA-TF`);
    }
    const contextId = cur.u8('presentation context ID');
    const header = cur.u8('message control header');
    pdvs.push({
      contextId,
      isCommand: (header & 0x01) !== 0,
      isLast: (header & 0x02) !== 0,
      data: cur.copy(length - 2, 'PDV fragment'),
    });
  }
  return { type: 'P-DATA-TF', pdvs };
}

function expectLength(cur: Cursor, expected: number): void {
  if (cur.remaining !== expected) {
    throw new DecodeError(`${cur.context} length ${cur.remaining}, expected ${expected}`);
  }
}

function decodeBody(pduType: number, cur: Cursor): Pdu {
  switch (pduType) {
    case PduType.AssociateRq:
      return readAssociate(cur, true);
    case PduType.AssociateAc:
      return readAssociate(cur, false);
    case PduType.AssociateRj: {
      expectLength(cur, 4);
      cur.skip(1, 'reserved');
      return { type: 'A-ASSOCIATE-RJ', result: cur.u8('result'), source: cur.u8('source'), reason: cur.u8('reason') };
    }
    case PduType.PDataTf:
      return readPData(cur);
    case PduType.ReleaseRq:
      expectLength(cur, 4);
      return { type: 'A-RELEASE-RQ' };
    case PduType.ReleaseRp:
      expectLength(cur, 4);
      return { type: 'A-RELEASE-RP' };
    case PduType.Abort: {
      expectLength(cur, 4);
      cur.skip(2, 'reserved');
      return { type: 'A-ABORT', source: cur.u8('source'), reason: cur.u8('reason') };
    }
    default:
      return { type: 'unknown', pduType, body: cur.copy(cur.remaining, 'PDU body') };
  }
}

const INCOMPLETE: ReadResult = { kind: 'incomplete' };

/**
 * Reads one PDU from the front of `buf`. Never throws.
 *
 * `maxPduLength` bounds the PDU length field (the bytes after the 6-byte header); a larger
 * declaration is `too-large` as soon as the header is in, whatever follows.
 * `incomplete` carries `needed` (the whole PDU's size) once the header is in.
 * `malformed` consumes the whole declared PDU, so a caller may skip it; most will abort.
 * Decoded byte fields (PDV data, unknown items) are copies: `buf` may be reused afterwards.
 */
export function readPdu(buf: Uint8Array, maxPduLength: number): ReadResult {
  let pduType = -1;
  let total = 0;
  try {
    if (buf.length < PDU_HEADER_LENGTH) return INCOMPLETE;
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const header = new DataView(bytes.buffer, bytes.byteOffset, PDU_HEADER_LENGTH);
    pduType = header.getUint8(0);
    const declaredLength = header.getUint32(2);
    // Written so that a NaN limit refuses everything rather than nothing.
    if (!(declaredLength <= maxPduLength)) return { kind: 'too-large', pduType, declaredLength };
    total = PDU_HEADER_LENGTH + declaredLength;
    if (bytes.length < total) return { kind: 'incomplete', needed: total };
    const cur = new Cursor(bytes, PDU_HEADER_LENGTH, total, NAMES[pduType] ?? `PDU ${hex(pduType)}`);
    return { kind: 'pdu', pdu: decodeBody(pduType, cur), bytesConsumed: total };
  } catch (e) {
    const reason = e instanceof DecodeError ? e.message : `internal decoder error: ${String(e)}`;
    return { kind: 'malformed', pduType, reason, bytesConsumed: total };
  }
}
