/**
 * Encoding the lab's C-FIND response identifiers.
 *
 * The project's `encodeDataset` (dcmjs) costs ~55 µs per identifier, which is most of the lab's
 * CPU when a fleet of thousands of endpoints answers a benchmark's queries. The lab's identifiers
 * are always flat, ASCII, short-string VRs in a little-endian syntax, so this module writes those
 * directly (~3 µs), byte for byte what `encodeDataset` writes (a unit test holds it to that), and
 * hands anything else (big endian, deflate, a long or binary VR) to `encodeDataset`.
 */
import { encodeDataset } from '../protocol/dimse/dataset.ts';
import { TransferSyntax } from '../protocol/dimse/constants.ts';
import { DicomMetaDictionary } from '../protocol/dimse/dcmjs.ts';
import type { Identifier } from './archive.ts';

/** Short-length string VRs (2-byte length in explicit VR), padded with a space (UI: NUL). */
const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'PN', 'SH', 'TM', 'UI', 'LT', 'ST']);
/** VRs an identifier can carry through either encoder; other keywords are dropped from answers. */
const ENCODABLE_VRS = new Set([...STRING_VRS, 'UC', 'UR', 'UT', 'US', 'UL', 'SS', 'SL', 'FL', 'FD', 'AT']);

interface KeyInfo {
  readonly group: number;
  readonly element: number;
  readonly vr: string;
}

const cache = new Map<string, KeyInfo | null>();

function info(keyword: string): KeyInfo | null {
  let v = cache.get(keyword);
  if (v === undefined) {
    const entry = DicomMetaDictionary.nameMap[keyword];
    const m = entry ? /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/i.exec(entry.tag) : null;
    v = entry && m ? { group: parseInt(m[1] ?? '0', 16), element: parseInt(m[2] ?? '0', 16), vr: entry.vr } : null;
    cache.set(keyword, v);
  }
  return v;
}

/** True when the lab can put this keyword in an answer (known to the dictionary, not a sequence or bulk data). */
export function answerable(keyword: string): boolean {
  const i = info(keyword);
  return i !== null && ENCODABLE_VRS.has(i.vr);
}

function fastEncodable(ds: Identifier): boolean {
  for (const [k, v] of Object.entries(ds)) {
    const i = info(k);
    if (!i || !STRING_VRS.has(i.vr)) return false;
    for (const one of Array.isArray(v) ? v : [v]) if (!/^[\x20-\x5b\x5d-\x7e]*$/.test(one)) return false;
  }
  return true;
}

export function encodeIdentifier(ds: Identifier, transferSyntax: string): Uint8Array {
  const explicit = transferSyntax === TransferSyntax.ExplicitVRLittleEndian;
  if (!(explicit || transferSyntax === TransferSyntax.ImplicitVRLittleEndian) || !fastEncodable(ds)) {
    return encodeDataset(ds, transferSyntax);
  }
  const els: { tag: number; vr: string; bytes: string }[] = [];
  for (const [k, v] of Object.entries(ds)) {
    const i = info(k) as KeyInfo;
    let text = Array.isArray(v) ? v.join('\\') : v;
    if (text.length % 2 === 1) text += i.vr === 'UI' ? '\0' : ' ';
    els.push({ tag: ((i.group << 16) | i.element) >>> 0, vr: i.vr, bytes: text });
  }
  els.sort((a, b) => a.tag - b.tag);
  let size = 0;
  for (const e of els) size += 8 + e.bytes.length;
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const e of els) {
    if (e.bytes.length > 0xffff) return encodeDataset(ds, transferSyntax);
    out.writeUInt16LE(e.tag >>> 16, o);
    out.writeUInt16LE(e.tag & 0xffff, o + 2);
    if (explicit) {
      out.write(e.vr, o + 4, 'latin1');
      out.writeUInt16LE(e.bytes.length, o + 6);
    } else {
      out.writeUInt32LE(e.bytes.length, o + 4);
    }
    out.write(e.bytes, o + 8, 'latin1');
    o += 8 + e.bytes.length;
  }
  return out;
}
