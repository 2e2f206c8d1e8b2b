/**
 * Byte-level helpers shared by the PDU codec: a bounds-checked big-endian
 * reader over a slice of a buffer and a growable big-endian writer.
 * Internal to `src/protocol/ul/`; other layers use `codec.ts`.
 */

/** A PS3.8 violation found while decoding; its message becomes the `malformed` reason. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Hex for log and error messages: 0x5 → "0x05". */
export function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

/** Bytes as a string, one character per byte (lossless for every byte value). */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  // Chunked to keep String.fromCharCode's argument count bounded (items are at most 64 KiB).
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** Trailing NUL and space padding, which sloppy peers add to UIDs and names. */
export function stripPadding(s: string): string {
  return s.replace(/[\0 ]+$/, '');
}

/**
 * A read position inside `[start, end)` of `bytes`. Every read is bounds-checked
 * and a violation is a DecodeError naming `context`, never an out-of-range read.
 */
export class Cursor {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly end: number;
  readonly context: string;
  pos: number;

  constructor(bytes: Uint8Array, start: number, end: number, context: string) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
    this.end = end;
    this.context = context;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  #need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new DecodeError(`${what} needs ${n} bytes but only ${this.remaining} remain in ${this.context}`);
    }
  }

  u8(what: string): number {
    this.#need(1, what);
    return this.view.getUint8(this.pos++);
  }

  u16(what: string): number {
    this.#need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.#need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  skip(n: number, what: string): void {
    this.#need(n, what);
    this.pos += n;
  }

  /** A view (not a copy) of the next n bytes. */
  take(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A copy of the next n bytes, owned by the caller (independent of the input buffer). */
  copy(n: number, what: string): Uint8Array {
    return this.take(n, what).slice();
  }

  /** A cursor over the next n bytes, for a nested item; this cursor moves past them. */
  sub(n: number, context: string): Cursor {
    this.#need(n, context);
    const c = new Cursor(this.bytes, this.pos, this.pos + n, context);
    this.pos += n;
    return c;
  }

  /** Fails if bytes are left over in a fixed-layout field. */
  expectEnd(): void {
    if (this.remaining !== 0) {
      throw new DecodeError(`${this.remaining} unexpected trailing bytes in ${this.context}`);
    }
  }
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`${what} must be an integer in 0..${max}, got ${v}`);
  }
}

/** A growable big-endian writer. Encoding errors are RangeErrors (caller bugs, not peer input). */
export class Writer {
  #buf: Uint8Array;
  #view: DataView;
  length = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(Math.max(capacity, 16));
    this.#view = new DataView(this.#buf.buffer);
  }

  #ensure(n: number): void {
    const want = this.length + n;
    if (want <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < want) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number, what: string): void {
    checkUint(v, 0xff, what);
    this.#ensure(1);
    this.#buf[this.length++] = v;
  }

  u16(v: number, what: string): void {
    checkUint(v, 0xffff, what);
    this.#ensure(2);
    this.#view.setUint16(this.length, v);
    this.length += 2;
  }

  u32(v: number, what: string): void {
    checkUint(v, 0xffffffff, what);
    this.#ensure(4);
    this.#view.setUint32(this.length, v);
    this.length += 4;
  }

  zeros(n: number): void {
    this.#ensure(n);
    this.#buf.fill(0, this.length, this.length + n);
    this.length += n;
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }

  /** One byte per character; characters above U+00FF cannot be sent and are refused. */
  latin1(s: string, what: string): void {
    this.#ensure(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) throw new RangeError(`${what} has a character outside ISO 8859-1 at index ${i}`);
      this.#buf[this.length++] = c;
    }
  }

  /** Overwrites a big-endian length written earlier as a placeholder. */
  patch(at: number, width: 2 | 4, v: number, what: string): void {
    checkUint(v, width === 2 ? 0xffff : 0xffffffff, what);
    if (width === 2) this.#view.setUint16(at, v);
    else this.#view.setUint32(at, v);
  }

  /** Starts an item: type, reserved 00H, 2-byte length placeholder. Returns the item's offset. */
  beginItem(itemType: number, what: string): number {
    const at = this.length;
    this.u8(itemType, `${what} item type`);
    this.u8(0, 'reserved');
    this.u16(0, 'item length');
    return at;
  }

  /** Ends an item begun at `at`: writes its length (bytes after the 4-byte item header). */
  endItem(at: number, what: string): void {
    this.patch(at + 2, 2, this.length - at - 4, `${what} item length`);
  }

  /** The written bytes, in an exactly sized buffer of their own. */
  finish(): Uint8Array {
    return this.length === this.#buf.length ? this.#buf : this.#buf.slice(0, this.length);
  }
}
