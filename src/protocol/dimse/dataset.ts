/**
 * Identifiers (C-FIND/C-MOVE/C-GET data sets) encoded and decoded with dcmjs.
 *
 * Bare data sets only: no Part 10 preamble, no meta group (PS3.7 6.3.1: a
 * DIMSE data set travels in the presentation context's transfer syntax).
 *
 * Decoding is for bytes from a hostile peer. `decodeDataset` never throws:
 *  1. A bounded walk of our own checks the framing first (every length against
 *     the bytes present, sequences and items properly closed, depth and element
 *     count limits, fixed-size binary VRs a multiple of their size). dcmjs is
 *     lenient where we want to be strict: it clamps overrunning values and reads
 *     on, logging, and reads past a value when a US/UL/… length is not a multiple
 *     of its size. Only framing that passes reaches dcmjs.
 *  2. dcmjs parses the elements (`DicomMessage._readTag`, one element at a
 *     time), with our Specific Character Set decoder installed on its stream
 *     (see charset.ts for why not dcmjs's own).
 *  3. We naturalise to plain data with dcmjs's dictionary keywords.
 * Reason strings name offsets, tags and sizes, never values.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DicomJsonDataset, DicomJsonElement } from 'dcmjs';
import {
  DicomMessage,
  DicomMetaDictionary,
  ReadBufferStream,
  ValueRepresentation,
  WriteBufferStream,
} from './dcmjs.ts';
import { charsetDecoder, decodeLatin1, splitCharsetTerms } from './charset.ts';
import type { CharsetDecoder } from './charset.ts';
import { TransferSyntax } from './constants.ts';

/** A value in a decoded (naturalised) dataset. */
export type DatasetValue =
  string | number | Uint8Array | readonly (string | number)[] | readonly Uint8Array[] | readonly Dataset[];
/** Keyword ('PatientName') or, for tags not in the dictionary, 8 hex digits ('00091010'). */
export type Dataset = { [keyword: string]: DatasetValue };

export type DecodeDatasetResult =
  | {
      readonly ok: true;
      /**
       * Plain data: one value → scalar, several → array, zero-length → '' (present
       * but empty), sequences → arrays of datasets. PN values are Part 10
       * strings ('Yamada^Tarou=山田^太郎=やまだ^たろう'). Trailing padding removed.
       */
      readonly dataset: Dataset;
      /** (0008,0005) exactly as the peer sent it (padding removed), if present. */
      readonly specificCharacterSet?: string | undefined;
      /** True if some text was decoded as ISO 8859-1 because its character set was not understood. */
      readonly charsetFallback: boolean;
    }
  | { readonly ok: false; readonly reason: string };

export interface DecodeDatasetOptions {
  /** Largest data set (after inflating, for Deflated) we accept. Default 4 MiB. */
  readonly maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 4 * 1024 * 1024;
const MAX_DEPTH = 8;
const MAX_ELEMENTS = 100_000;
const UNDEFINED_LENGTH = 0xffffffff;

const SUPPORTED_SYNTAXES: ReadonlySet<string> = new Set(Object.values(TransferSyntax));

/** VRs dcmjs knows, or maps to UN with a 32-bit length (OL, OV, SV) exactly as PS3.5 encodes them. */
const KNOWN_VRS = new Set(
  'AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);
/** Explicit VR with a 2-byte reserved field and a 32-bit length (PS3.5 7.1.2). */
const LONG_VRS = new Set('OB OD OF OL OV OW SQ UC UN UR UT SV UV'.split(' '));
/** Fixed-size binary VRs dcmjs reads value by value: the length must be a multiple of the size. */
const FIXED_SIZE: Readonly<Record<string, number>> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, AT: 4, FD: 8, UV: 8 };
/** VRs whose text depends on (0008,0005) (PS3.5 6.1.2.3). */
const CHARSET_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'PN', 'UC', 'UT']);

type Fail = { readonly ok: false; readonly reason: string };
const fail = (reason: string): Fail => ({ ok: false, reason });

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
function tagKey(group: number, element: number): string {
  return `(${hex4(group)},${hex4(element)})`;
}

/** The VR dcmjs will use for an implicit-VR element (mirrors DicomMessage._readTag). */
function implicitVr(group: number, element: number, length: number): string {
  const entry = DicomMetaDictionary.dictionary[tagKey(group, element)];
  if (entry === undefined) {
    if (length === UNDEFINED_LENGTH) return 'SQ';
    if (group === 0x7fe0 && element === 0x0010) return 'OW';
    if (group % 2 === 1 && element >= 0x0010 && element <= 0x00ff) return 'LO'; // private creator
    return 'UN';
  }
  return effectiveVr(entry.vr);
}

/** dcmjs's createByTypeString mapping for dictionary VR strings. */
function effectiveVr(vr: string): string {
  if (vr === 'xs') return 'US';
  if (vr === 'ox') return 'OW';
  return KNOWN_VRS.has(vr) ? vr : 'UN';
}

// ------------------------------------------------------------ framing walk

interface Walk {
  readonly view: DataView;
  readonly little: boolean;
  readonly explicit: boolean;
  elements: number;
  /** Value bytes of the top-level (0008,0005), if any. */
  charset?: Uint8Array | undefined;
}

type Step = { readonly ok: true; readonly next: number } | Fail;

/**
 * Walks a data set in [start, end). With `inItem` (undefined-length item) it
 * stops after an item delimiter, which it requires.
 */
function walkDataset(w: Walk, start: number, end: number, depth: number, inItem: boolean): Step {
  const v = w.view;
  let off = start;
  while (off < end) {
    if (end - off < 8) return fail(`truncated element header at offset ${off}`);
    const group = v.getUint16(off, w.little);
    const element = v.getUint16(off + 2, w.little);
    if (group === 0xfffe) {
      if (inItem && element === 0xe00d) {
        if (v.getUint32(off + 4, w.little) !== 0) return fail(`item delimiter with non-zero length at offset ${off}`);
        return { ok: true, next: off + 8 };
      }
      return fail(`unexpected ${tagKey(group, element)} at offset ${off}`);
    }
    if (++w.elements > MAX_ELEMENTS) return fail(`more than ${MAX_ELEMENTS} elements`);

    let vr: string;
    let length: number;
    let valueStart: number;
    if (w.explicit) {
      vr = String.fromCharCode(v.getUint8(off + 4), v.getUint8(off + 5));
      if (!KNOWN_VRS.has(vr)) return fail(`invalid VR for ${tagKey(group, element)} at offset ${off}`);
      if (LONG_VRS.has(vr)) {
        if (end - off < 12) return fail(`truncated element header at offset ${off}`);
        length = v.getUint32(off + 8, w.little);
        valueStart = off + 12;
      } else {
        length = v.getUint16(off + 6, w.little);
        valueStart = off + 8;
      }
      if (vr === 'UN') {
        // dcmjs re-reads UN with the dictionary VR when the tag is known.
        const entry = DicomMetaDictionary.dictionary[tagKey(group, element)];
        if (entry !== undefined && entry.vr !== 'SQ') vr = effectiveVr(entry.vr);
      }
    } else {
      length = v.getUint32(off + 4, w.little);
      valueStart = off + 8;
      vr = implicitVr(group, element, length);
    }

    if (vr === 'SQ') {
      const step = walkSequence(w, valueStart, length, end, depth + 1);
      if (!step.ok) return step;
      off = step.next;
      continue;
    }
    if (length === UNDEFINED_LENGTH) return fail(`undefined length on non-sequence ${tagKey(group, element)}`);
    if (length > end - valueStart) {
      return fail(`${tagKey(group, element)} length ${length} overruns the ${end - valueStart} bytes left`);
    }
    const size = FIXED_SIZE[vr];
    if (size !== undefined && length % size !== 0) {
      return fail(`${tagKey(group, element)} (${vr}) length ${length} is not a multiple of ${size}`);
    }
    if (depth === 0 && group === 0x0008 && element === 0x0005) {
      w.charset = new Uint8Array(v.buffer, v.byteOffset + valueStart, length);
    }
    off = valueStart + length;
  }
  if (inItem) return fail('item without an item delimiter');
  return { ok: true, next: off };
}

function walkSequence(w: Walk, start: number, length: number, end: number, depth: number): Step {
  if (depth > MAX_DEPTH) return fail(`sequences nested deeper than ${MAX_DEPTH}`);
  const v = w.view;
  const undefinedLength = length === UNDEFINED_LENGTH;
  if (!undefinedLength && length > end - start) {
    return fail(`sequence at offset ${start} length ${length} overruns the ${end - start} bytes left`);
  }
  const seqEnd = undefinedLength ? end : start + length;
  let off = start;
  while (off < seqEnd) {
    if (seqEnd - off < 8) return fail(`truncated item header at offset ${off}`);
    const group = v.getUint16(off, w.little);
    const element = v.getUint16(off + 2, w.little);
    const itemLength = v.getUint32(off + 4, w.little);
    if (group === 0xfffe && element === 0xe0dd) {
      if (itemLength !== 0) return fail(`sequence delimiter with non-zero length at offset ${off}`);
      // In a defined-length sequence dcmjs stops at the delimiter; it must then be the last thing.
      if (!undefinedLength && off + 8 !== seqEnd)
        return fail(`sequence delimiter inside a defined-length sequence at offset ${off}`);
      return { ok: true, next: off + 8 };
    }
    if (group !== 0xfffe || element !== 0xe000)
      return fail(`expected an item at offset ${off}, found ${tagKey(group, element)}`);
    const itemStart = off + 8;
    if (itemLength === UNDEFINED_LENGTH) {
      const step = walkDataset(w, itemStart, seqEnd, depth, true);
      if (!step.ok) return step;
      off = step.next;
    } else {
      if (itemLength > seqEnd - itemStart) {
        return fail(`item at offset ${off} length ${itemLength} overruns the ${seqEnd - itemStart} bytes left`);
      }
      const step = walkDataset(w, itemStart, itemStart + itemLength, depth, false);
      if (!step.ok) return step;
      off = itemStart + itemLength;
    }
  }
  if (undefinedLength) return fail('sequence without a sequence delimiter');
  return { ok: true, next: off };
}

// ---------------------------------------------------- dcmjs decoding

/** dcmjs decodes text in sequence items with its default TextDecoder('latin1') — WHATWG windows-1252. */
const WINDOWS_1252_TO_BYTE: ReadonlyMap<number, number> = (() => {
  const all = new Uint8Array(256).map((_, i) => i);
  const text = new TextDecoder('latin1').decode(all);
  return new Map([...text].map((ch, i) => [ch.codePointAt(0) ?? 0, i]));
})();

function windows1252Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = WINDOWS_1252_TO_BYTE.get(text.charCodeAt(i)) ?? 0x3f;
  return out;
}

interface PnObject {
  Alphabetic?: unknown;
  Ideographic?: unknown;
  Phonetic?: unknown;
}

function pnToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof String) return value.toString();
  if (value === null || typeof value !== 'object') return '';
  const o = value as PnObject;
  const parts = [o.Alphabetic, o.Ideographic, o.Phonetic].map((p) => (typeof p === 'string' ? p : ''));
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('=');
}

function pnFromString(text: string): PnObject {
  const [a, i, p] = text.split('=');
  return { ...(a ? { Alphabetic: a } : {}), ...(i ? { Ideographic: i } : {}), ...(p ? { Phonetic: p } : {}) };
}

/**
 * Text in sequence items was decoded by dcmjs as windows-1252 (its streams for
 * items never get our decoder). Recover the bytes and decode them properly.
 * An item with its own (0008,0005) was decoded by dcmjs with that; left as is
 * (and reported as a fallback: we cannot promise it is right).
 */
function recodeItems(dict: DicomJsonDataset, decoder: CharsetDecoder, flags: { fallback: boolean }): void {
  for (const el of Object.values(dict)) {
    if (el.vr !== 'SQ' || !Array.isArray(el.Value)) continue;
    for (const item of el.Value as DicomJsonDataset[]) {
      if (item['00080005'] !== undefined) {
        flags.fallback = true;
        continue;
      }
      for (const child of Object.values(item)) {
        if (!CHARSET_VRS.has(child.vr) || !Array.isArray(child.Value) || child.Value.length === 0) continue;
        const isPn = child.vr === 'PN';
        const joined = child.Value.map((x) => (isPn ? pnToString(x) : typeof x === 'string' ? x : '')).join('\\');
        const text = decoder.decode(windows1252Bytes(joined));
        const values = text.split('\\');
        child.Value = isPn ? values.filter(Boolean).map(pnFromString) : values;
      }
      recodeItems(item, decoder, flags);
    }
  }
}

function trimPadding(s: string): string {
  return s.replace(/[\0 ]+$/, '');
}

function plainScalar(vr: string, x: unknown): string | number | Uint8Array | Dataset {
  if (vr === 'PN') return trimPadding(pnToString(x));
  if (typeof x === 'string') return trimPadding(x);
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (x instanceof ArrayBuffer) return new Uint8Array(x.slice(0));
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength));
  return ''; // null (empty IS/DS), undefined
}

function plainElement(el: DicomJsonElement): DatasetValue {
  const values = Array.isArray(el.Value) ? el.Value : [];
  if (el.vr === 'SQ') return (values as DicomJsonDataset[]).map(naturalise);
  if (values.length === 0) return '';
  const plain = values.map((x) => plainScalar(el.vr, x));
  if (plain.length === 1) return plain[0] as DatasetValue;
  return plain as DatasetValue;
}

/** Dictionary keywords as keys (8 hex digits for tags the dictionary lacks), plain values. */
function naturalise(dict: DicomJsonDataset): Dataset {
  const out: Dataset = {};
  for (const [tag, el] of Object.entries(dict)) {
    const entry = DicomMetaDictionary.dictionary[`(${tag.slice(0, 4)},${tag.slice(4, 8)})`];
    out[entry?.name ?? tag] = plainElement(el);
  }
  return out;
}

function inflateBounded(bytes: Uint8Array, maxLength: number): Uint8Array | Fail {
  try {
    return new Uint8Array(inflateRawSync(bytes, { maxOutputLength: maxLength }));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return fail(`deflated data set inflates to more than ${maxLength} bytes`);
    return fail('deflated data set does not inflate');
  }
}

/**
 * Decodes a bare data set (no preamble/meta) in `transferSyntaxUid`: Implicit
 * VR LE, Explicit VR LE, Explicit VR BE, Deflated Explicit VR LE (inflated
 * with a size bound). Never throws.
 */
export function decodeDataset(
  bytes: Uint8Array,
  transferSyntaxUid: string,
  options: DecodeDatasetOptions = {},
): DecodeDatasetResult {
  try {
    return decodeDatasetUnsafe(bytes, transferSyntaxUid, options);
  } catch {
    // dcmjs error messages can carry values: never pass them on.
    return fail('data set could not be parsed');
  }
}

function decodeDatasetUnsafe(
  bytes: Uint8Array,
  transferSyntaxUid: string,
  options: DecodeDatasetOptions,
): DecodeDatasetResult {
  if (!(bytes instanceof Uint8Array)) return fail('data set is not a byte array');
  if (typeof transferSyntaxUid !== 'string' || !SUPPORTED_SYNTAXES.has(transferSyntaxUid)) {
    return fail('unsupported transfer syntax');
  }
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (bytes.length > maxLength) return fail(`data set of ${bytes.length} bytes is larger than ${maxLength}`);

  let syntax: string = transferSyntaxUid;
  let data = bytes;
  if (transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian) {
    const inflated = inflateBounded(bytes, maxLength);
    if (!(inflated instanceof Uint8Array)) return inflated;
    data = inflated;
    syntax = TransferSyntax.ExplicitVRLittleEndian;
  }
  const little = syntax !== TransferSyntax.ExplicitVRBigEndian;
  const explicit = syntax !== TransferSyntax.ImplicitVRLittleEndian;

  // 1. Framing.
  const walk: Walk = {
    view: new DataView(data.buffer, data.byteOffset, data.byteLength),
    little,
    explicit,
    elements: 0,
  };
  const framed = walkDataset(walk, 0, data.length, 0, false);
  if (!framed.ok) return framed;

  // 2. Character set, as given.
  const rawCharset = walk.charset === undefined ? undefined : trimPadding(decodeLatin1(walk.charset));
  const decoder = charsetDecoder(rawCharset === undefined ? [] : splitCharsetTerms(rawCharset));

  // 3. dcmjs, one element at a time (DicomMessage._read would apply its own charset handling).
  // A standalone ArrayBuffer of exactly these bytes. (Not data.slice().buffer: for a Node Buffer,
  // slice() shares memory and .buffer is the whole pool, so dcmjs would read other bytes.)
  const copy = new Uint8Array(data).buffer;
  const stream = new ReadBufferStream(copy, little);
  stream.setDecoder(decoder);
  const dict: DicomJsonDataset = {};
  while (!stream.end()) {
    const info = DicomMessage._readTag(stream, syntax);
    dict[info.tag.toCleanString()] = { vr: info.vr.type, Value: info.values };
  }
  const flags = { fallback: false };
  recodeItems(dict, decoder, flags);

  const dataset = naturalise(dict);
  if (rawCharset !== undefined) {
    const terms = splitCharsetTerms(rawCharset);
    dataset['SpecificCharacterSet'] = terms.length === 1 ? (terms[0] ?? '') : terms;
  }
  return {
    ok: true,
    dataset,
    ...(rawCharset === undefined ? {} : { specificCharacterSet: rawCharset }),
    charsetFallback: decoder.fallback || flags.fallback,
  };
}

// ------------------------------------------------------------ encoding

/** What an identifier key may hold: '' / null = universal matching (zero length). */
export type IdentifierValue = string | number | null | readonly (string | number)[];

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

function checkValue(keyword: string, vr: string, value: string, utf8: boolean): void {
  if (!utf8 && !isAscii(value)) {
    // dcmjs always writes text as UTF-8, so anything else would mislabel the bytes.
    throw new RangeError(`${keyword}: non-ASCII text needs SpecificCharacterSet 'ISO_IR 192'`);
  }
  if (/[\r\n\t\f]/.test(value) && !['ST', 'LT', 'UT'].includes(vr)) {
    throw new RangeError(`${keyword}: control characters are not allowed in ${vr}`);
  }
  const rep = ValueRepresentation.createByTypeString(vr);
  const max = rep.rangeMatchingMaxLength ?? rep.maxLength ?? rep.maxCharLength;
  for (const one of vr === 'ST' || vr === 'LT' || vr === 'UT' || vr === 'UR' ? [value] : value.split('\\')) {
    if (vr === 'PN') {
      if (one.split('=').some((group) => group.length > 64))
        throw new RangeError(`${keyword}: a PN component group is longer than 64`);
    } else if (typeof max === 'number' && max > 0 && !rep.isBinary() && one.length > max) {
      // dcmjs would silently truncate it (and log the value).
      throw new RangeError(`${keyword}: longer than ${max} characters for ${vr}`);
    }
  }
}

/**
 * Encodes an identifier given in dcmjs's naturalised form, e.g.
 * `{ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientName: '' }`,
 * as a bare data set in `transferSyntaxUid`. Empty values ('' or null) are
 * written with zero length (universal matching); `undefined` keys are skipped.
 * No sequences (not needed for our C-FIND identifiers).
 *
 * Throws TypeError/RangeError on our own mistakes (unknown keyword, sequence,
 * non-ASCII text without ISO_IR 192, a value too long for its VR). Messages
 * name the keyword, never the value.
 */
export function encodeDataset(dataset: Readonly<Record<string, unknown>>, transferSyntaxUid: string): Uint8Array {
  if (!SUPPORTED_SYNTAXES.has(transferSyntaxUid)) throw new RangeError('unsupported transfer syntax');
  const charset = dataset['SpecificCharacterSet'];
  const utf8 =
    typeof charset === 'string' &&
    charset
      .trim()
      .toUpperCase()
      .replace(/[_\s]+/g, ' ') === 'ISO IR 192';
  const natural: Record<string, string | (string | number)[] | number> = {};
  for (const [keyword, raw] of Object.entries(dataset)) {
    if (raw === undefined) continue;
    const entry = DicomMetaDictionary.nameMap[keyword];
    if (entry === undefined) throw new TypeError(`unknown DICOM keyword: ${keyword}`);
    const vr = effectiveVr(entry.vr);
    if (vr === 'SQ') throw new TypeError(`${keyword}: sequences are not supported in identifiers`);
    if (['OB', 'OD', 'OF', 'OW', 'UN'].includes(vr))
      throw new TypeError(`${keyword}: binary VR ${vr} is not supported`);
    const list: readonly unknown[] = Array.isArray(raw) ? raw : [raw];
    const out: (string | number)[] = [];
    for (const x of list) {
      if (x === null || x === '') out.push('');
      else if (typeof x === 'number' && Number.isFinite(x)) out.push(x);
      else if (typeof x === 'string') {
        checkValue(keyword, vr, x, utf8);
        out.push(x);
      } else throw new TypeError(`${keyword}: values must be strings, finite numbers or null`);
    }
    // dcmjs writes '' (and a lone null) as a zero-length value.
    natural[keyword] = out.length === 0 ? '' : out.length === 1 ? (out[0] ?? '') : out;
  }
  let den: DicomJsonDataset;
  let bytes: Uint8Array;
  const syntax =
    transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian
      ? TransferSyntax.ExplicitVRLittleEndian
      : transferSyntaxUid;
  try {
    den = DicomMetaDictionary.denaturalizeDataset(natural);
    const stream = new WriteBufferStream(1024, syntax !== TransferSyntax.ExplicitVRBigEndian);
    DicomMessage.write(den, stream, syntax);
    bytes = new Uint8Array(stream.getBuffer());
  } catch {
    // dcmjs messages can include values; say only that it failed.
    throw new Error('dcmjs could not encode the identifier');
  }
  if (transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian) return new Uint8Array(deflateRawSync(bytes));
  return bytes;
}
