/**
 * PS3.7 §9.3 / §E.1 DIMSE command set (group 0000) encoder and decoder.
 *
 * Why hand-written rather than through dcmjs: the command group is a small,
 * fixed set of elements whose VRs we know, always Implicit VR Little Endian
 * (PS3.7 6.3.1). A bounded parser that checks every length against the bytes
 * actually present and never throws is simpler and safer, when the bytes come
 * from a hostile peer, than routing them through a general dataset parser
 * (dcmjs is lenient: it clamps overrunning lengths, logs, and throws on
 * others). dcmjs is used for identifiers (see dataset.ts), where a general
 * dictionary-driven parser is what is needed.
 *
 * No I/O here, and no association logic: bytes in, plain objects out.
 */

/**
 * A DIMSE command as plain data. Every field is optional because the decoder
 * reports what the peer sent, nothing more; `commandField` is the one field
 * the decoder insists on (without it a message cannot be dispatched).
 * Numbers are unsigned 16-bit (US) unless noted.
 *
 * `errorComment` is free text written by the peer: treat it like any other
 * peer-supplied value and never log it raw.
 */
export interface Command {
  /** (0000,0002) UI */
  readonly affectedSopClassUid?: string | undefined;
  /** (0000,0003) UI */
  readonly requestedSopClassUid?: string | undefined;
  /** (0000,0100) US */
  readonly commandField?: number | undefined;
  /** (0000,0110) US */
  readonly messageId?: number | undefined;
  /** (0000,0120) US */
  readonly messageIdBeingRespondedTo?: number | undefined;
  /** (0000,0600) AE */
  readonly moveDestination?: string | undefined;
  /** (0000,0700) US */
  readonly priority?: number | undefined;
  /** (0000,0800) US: 0x0101 = no data set follows. */
  readonly commandDataSetType?: number | undefined;
  /** (0000,0900) US */
  readonly status?: number | undefined;
  /** (0000,0901) AT, VM 1-n: each tag as `(group << 16 | element) >>> 0`. */
  readonly offendingElement?: readonly number[] | undefined;
  /** (0000,0902) LO: peer free text. */
  readonly errorComment?: string | undefined;
  /** (0000,0903) US */
  readonly errorId?: number | undefined;
  /** (0000,1000) UI */
  readonly affectedSopInstanceUid?: string | undefined;
  /** (0000,1001) UI */
  readonly requestedSopInstanceUid?: string | undefined;
  /** (0000,1020) US */
  readonly numberOfRemainingSuboperations?: number | undefined;
  /** (0000,1021) US */
  readonly numberOfCompletedSuboperations?: number | undefined;
  /** (0000,1022) US */
  readonly numberOfFailedSuboperations?: number | undefined;
  /** (0000,1023) US */
  readonly numberOfWarningSuboperations?: number | undefined;
  /** (0000,1030) AE */
  readonly moveOriginatorAeTitle?: string | undefined;
  /** (0000,1031) US */
  readonly moveOriginatorMessageId?: number | undefined;
}

export type DecodeCommandResult =
  | {
      readonly ok: true;
      readonly command: Command;
      /** Group 0000 elements we do not interpret, as `(0000 << 16 | element)`, in wire order. Values are dropped. */
      readonly unknownTags: readonly number[];
      /** (0000,0000) was present but did not match the bytes that followed it (kept going: lenient peers exist). */
      readonly groupLengthMismatch: boolean;
    }
  | { readonly ok: false; readonly reason: string };

type Vr = 'UI' | 'AE' | 'LO' | 'US' | 'AT';
type CommandKey = keyof Command;

interface ElementDef {
  readonly element: number;
  readonly key: CommandKey;
  readonly vr: Vr;
}

/** In ascending tag order, which is the order we write them in. */
const ELEMENTS: readonly ElementDef[] = [
  { element: 0x0002, key: 'affectedSopClassUid', vr: 'UI' },
  { element: 0x0003, key: 'requestedSopClassUid', vr: 'UI' },
  { element: 0x0100, key: 'commandField', vr: 'US' },
  { element: 0x0110, key: 'messageId', vr: 'US' },
  { element: 0x0120, key: 'messageIdBeingRespondedTo', vr: 'US' },
  { element: 0x0600, key: 'moveDestination', vr: 'AE' },
  { element: 0x0700, key: 'priority', vr: 'US' },
  { element: 0x0800, key: 'commandDataSetType', vr: 'US' },
  { element: 0x0900, key: 'status', vr: 'US' },
  { element: 0x0901, key: 'offendingElement', vr: 'AT' },
  { element: 0x0902, key: 'errorComment', vr: 'LO' },
  { element: 0x0903, key: 'errorId', vr: 'US' },
  { element: 0x1000, key: 'affectedSopInstanceUid', vr: 'UI' },
  { element: 0x1001, key: 'requestedSopInstanceUid', vr: 'UI' },
  { element: 0x1020, key: 'numberOfRemainingSuboperations', vr: 'US' },
  { element: 0x1021, key: 'numberOfCompletedSuboperations', vr: 'US' },
  { element: 0x1022, key: 'numberOfFailedSuboperations', vr: 'US' },
  { element: 0x1023, key: 'numberOfWarningSuboperations', vr: 'US' },
  { element: 0x1030, key: 'moveOriginatorAeTitle', vr: 'AE' },
  { element: 0x1031, key: 'moveOriginatorMessageId', vr: 'US' },
];

const BY_ELEMENT: ReadonlyMap<number, ElementDef> = new Map(ELEMENTS.map((d) => [d.element, d]));

/** PS3.5 6.2 maximum value lengths, enforced on encode only (decode is lenient and reports). */
const MAX_STRING_LENGTH: Readonly<Record<'UI' | 'AE' | 'LO', number>> = { UI: 64, AE: 16, LO: 64 };

const GROUP_LENGTH_ELEMENT = 0x0000;
const HEADER_LENGTH = 8; // tag (4) + 32-bit length (4), Implicit VR LE

// ---------------------------------------------------------------- encoding

function encodeString(value: string, vr: 'UI' | 'AE' | 'LO', key: string): Uint8Array {
  // Command strings are from the default repertoire (ASCII); refuse anything else
  // rather than send bytes a peer may misread. Messages name the field, never the value.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new RangeError(`${key}: only printable ASCII is allowed`);
    if (c === 0x5c) throw new RangeError(`${key}: backslash is not allowed`);
  }
  if (vr === 'UI' && !/^[0-9.]*$/.test(value)) throw new RangeError(`${key}: a UID has only digits and dots`);
  if (value.length > MAX_STRING_LENGTH[vr]) {
    throw new RangeError(`${key}: longer than ${MAX_STRING_LENGTH[vr]} characters`);
  }
  const padded = value.length % 2 === 0 ? value.length : value.length + 1;
  const out = new Uint8Array(padded);
  for (let i = 0; i < value.length; i++) out[i] = value.charCodeAt(i);
  // UI is padded with NUL, the other string VRs with a space (PS3.5 6.2).
  if (padded !== value.length) out[value.length] = vr === 'UI' ? 0x00 : 0x20;
  return out;
}

function checkUint16(value: number, key: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`${key}: must be an integer in 0..65535`);
  }
  return value;
}

function encodeValue(def: ElementDef, value: unknown): Uint8Array {
  switch (def.vr) {
    case 'US': {
      if (typeof value !== 'number') throw new TypeError(`${def.key}: must be a number`);
      const out = new Uint8Array(2);
      new DataView(out.buffer).setUint16(0, checkUint16(value, def.key), true);
      return out;
    }
    case 'AT': {
      if (!Array.isArray(value)) throw new TypeError(`${def.key}: must be an array of tags`);
      const tags = value as readonly unknown[];
      const out = new Uint8Array(tags.length * 4);
      const view = new DataView(out.buffer);
      tags.forEach((tag, i) => {
        if (typeof tag !== 'number' || !Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) {
          throw new RangeError(`${def.key}: each tag must be a 32-bit unsigned integer`);
        }
        view.setUint16(i * 4, tag >>> 16, true); // group
        view.setUint16(i * 4 + 2, tag & 0xffff, true); // element
      });
      return out;
    }
    default: {
      if (typeof value !== 'string') throw new TypeError(`${def.key}: must be a string`);
      return encodeString(value, def.vr, def.key);
    }
  }
}

function writeHeader(view: DataView, offset: number, element: number, length: number): void {
  view.setUint16(offset, 0x0000, true);
  view.setUint16(offset + 2, element, true);
  view.setUint32(offset + 4, length, true);
}

/**
 * Encodes a command set: Implicit VR Little Endian, elements in ascending tag
 * order, preceded by (0000,0000) CommandGroupLength (the byte count of the
 * elements that follow it). Fields that are `undefined` are not written.
 * Throws (TypeError/RangeError, naming the field, never the value) on values
 * that cannot be encoded: this is for our own messages, not for peer input.
 */
export function encodeCommand(cmd: Command): Uint8Array {
  if (cmd.commandField === undefined) throw new TypeError('commandField: required');
  const parts: { element: number; value: Uint8Array }[] = [];
  for (const def of ELEMENTS) {
    const value = cmd[def.key];
    if (value === undefined) continue;
    parts.push({ element: def.element, value: encodeValue(def, value) });
  }
  const groupLength = parts.reduce((n, p) => n + HEADER_LENGTH + p.value.length, 0);
  const out = new Uint8Array(HEADER_LENGTH + 4 + groupLength);
  const view = new DataView(out.buffer);
  writeHeader(view, 0, GROUP_LENGTH_ELEMENT, 4);
  view.setUint32(HEADER_LENGTH, groupLength, true);
  let offset = HEADER_LENGTH + 4;
  for (const p of parts) {
    writeHeader(view, offset, p.element, p.value.length);
    out.set(p.value, offset + HEADER_LENGTH);
    offset += HEADER_LENGTH + p.value.length;
  }
  return out;
}

// ---------------------------------------------------------------- decoding

function fail(reason: string): { readonly ok: false; readonly reason: string } {
  return { ok: false, reason };
}

/** Latin-1 decode (command strings are ASCII; anything else is kept byte-for-char, never throws). */
function decodeString(bytes: Uint8Array, vr: 'UI' | 'AE' | 'LO'): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] ?? 0);
  // Trailing padding (NUL for UI, space for the others; peers mix them up) is insignificant.
  s = s.replace(/[\0 ]+$/, '');
  // Leading spaces are insignificant for AE and LO (PS3.5 6.2), not for UI.
  return vr === 'UI' ? s : s.replace(/^ +/, '');
}

/** Element tags as hex for reason strings: tags are structure, never patient values. */
function hexTag(group: number, element: number): string {
  const h = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${h(group)},${h(element)})`;
}

/**
 * Decodes a command set from a hostile peer. Never throws. Checks every length
 * against the bytes present; rejects elements that overrun, elements outside
 * group 0000, duplicates, values of the wrong size for their VR, and a command
 * without (0000,0100). Unknown group-0000 elements are skipped and their tags
 * reported. A (0000,0000) that disagrees with the bytes is reported, not fatal.
 * Reasons name tags and sizes only, never values.
 */
export function decodeCommand(bytes: Uint8Array): DecodeCommandResult {
  try {
    return decodeCommandUnsafe(bytes);
  } catch {
    // Defensive only: nothing below is expected to throw.
    return fail('internal error while decoding the command set');
  }
}

function decodeCommandUnsafe(bytes: Uint8Array): DecodeCommandResult {
  if (!(bytes instanceof Uint8Array)) return fail('command set is not a byte array');
  if (bytes.length === 0) return fail('empty command set');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Record<string, unknown> = {};
  const seen = new Set<number>();
  const unknownTags: number[] = [];
  let groupLength: number | undefined;
  let groupLengthStart = 0;
  let offset = 0;

  while (offset < bytes.length) {
    if (bytes.length - offset < HEADER_LENGTH) {
      return fail(`truncated element header at offset ${offset}`);
    }
    const group = view.getUint16(offset, true);
    const element = view.getUint16(offset + 2, true);
    const length = view.getUint32(offset + 4, true);
    const valueStart = offset + HEADER_LENGTH;
    if (group !== 0x0000) return fail(`element ${hexTag(group, element)} is outside the command group`);
    if (length === 0xffffffff) return fail(`element ${hexTag(group, element)} has undefined length`);
    if (length > bytes.length - valueStart) {
      return fail(
        `element ${hexTag(group, element)} length ${length} overruns the ${bytes.length - valueStart} bytes left`,
      );
    }
    if (seen.has(element)) return fail(`element ${hexTag(group, element)} appears twice`);
    seen.add(element);
    const value = bytes.subarray(valueStart, valueStart + length);
    offset = valueStart + length;

    if (element === GROUP_LENGTH_ELEMENT) {
      if (length !== 4) return fail(`element ${hexTag(group, element)} has length ${length}, expected 4`);
      groupLength = view.getUint32(valueStart, true);
      groupLengthStart = offset;
      continue;
    }
    const def = BY_ELEMENT.get(element);
    if (def === undefined) {
      unknownTags.push(element);
      continue;
    }
    switch (def.vr) {
      case 'US':
        if (length !== 2) return fail(`element ${hexTag(group, element)} (US) has length ${length}, expected 2`);
        fields[def.key] = view.getUint16(valueStart, true);
        break;
      case 'AT': {
        if (length % 4 !== 0)
          return fail(`element ${hexTag(group, element)} (AT) has length ${length}, not a multiple of 4`);
        const tags: number[] = [];
        for (let i = 0; i < length; i += 4) {
          tags.push(((view.getUint16(valueStart + i, true) << 16) | view.getUint16(valueStart + i + 2, true)) >>> 0);
        }
        fields[def.key] = tags;
        break;
      }
      default:
        fields[def.key] = decodeString(value, def.vr);
    }
  }

  if (fields['commandField'] === undefined) return fail('command set has no (0000,0100) CommandField');
  const groupLengthMismatch = groupLength !== undefined && groupLength !== bytes.length - groupLengthStart;
  return { ok: true, command: fields as Command, unknownTags, groupLengthMismatch };
}

/** True when the command says a data set follows (anything but 0x0101, PS3.7 E.1). */
export function hasDataSet(cmd: Command): boolean {
  return cmd.commandDataSetType !== undefined && cmd.commandDataSetType !== 0x0101;
}
