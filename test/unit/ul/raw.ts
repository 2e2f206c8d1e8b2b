/** Tiny helpers to write raw (possibly broken) PDUs by hand in tests, independent of the encoder. */

export const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const u16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** A PDU: type, reserved, 4-byte length (the body's, unless `declared` says otherwise), body. */
export function frame(type: number, body: readonly number[], declared = body.length): Uint8Array {
  return new Uint8Array([type, 0, ...u32(declared), ...body]);
}

/** An item or sub-item: type, reserved, 2-byte length (the value's, unless `declared` says otherwise), value. */
export function item(type: number, value: readonly number[], declared = value.length): number[] {
  return [type, 0, ...u16(declared), ...value];
}

/** A 2-byte length then the bytes (role selection UIDs, user identity fields). */
export const prefixed = (value: readonly number[], declared = value.length): number[] => [...u16(declared), ...value];

/** A PDV item: 4-byte length, context ID, message control header, fragment. */
export function pdv(contextId: number, header: number, data: readonly number[], declared = data.length + 2): number[] {
  return [...u32(declared), contextId, header, ...data];
}

/** The fixed part of A-ASSOCIATE-RQ/AC (68 bytes) followed by items. */
export function associateBody(
  items: readonly number[],
  called = 'ANY-SCP',
  calling = 'PACSMAP',
  reserved = 0,
): number[] {
  const ae = (s: string): number[] => ascii(s.padEnd(16, ' '));
  return [
    0x00,
    0x01,
    reserved,
    reserved,
    ...ae(called),
    ...ae(calling),
    ...new Array<number>(32).fill(reserved),
    ...items,
  ];
}

export const APP_CONTEXT = item(0x10, ascii('1.2.840.10008.3.1.1.1'));
