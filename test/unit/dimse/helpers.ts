/** Raw data-set builders for tests: bytes exactly as a peer could send them, no library in between. */

export type Bytes = Uint8Array | string;

/** Latin-1 string → bytes (one char = one byte), so tests can write raw bytes as '\x1b$B…'. */
export function raw(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

export function utf8(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'utf8'));
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function value(v: Bytes, pad: number): Uint8Array {
  const bytes = typeof v === 'string' ? raw(v) : v;
  return bytes.length % 2 === 0 ? bytes : cat(bytes, Uint8Array.of(pad));
}

/** Implicit VR Little Endian element; `length` overrides the declared length (for hostile cases). */
export function implicitEl(
  group: number,
  element: number,
  v: Bytes,
  opts: { pad?: number; length?: number } = {},
): Uint8Array {
  const body = value(v, opts.pad ?? 0x20);
  const out = new Uint8Array(8 + body.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, group, true);
  view.setUint16(2, element, true);
  view.setUint32(4, opts.length ?? body.length, true);
  out.set(body, 8);
  return out;
}

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

/** Explicit VR Little Endian element. */
export function explicitEl(
  group: number,
  element: number,
  vr: string,
  v: Bytes,
  opts: { pad?: number; length?: number } = {},
): Uint8Array {
  const body = value(v, opts.pad ?? 0x20);
  const long = LONG.has(vr);
  const header = long ? 12 : 8;
  const out = new Uint8Array(header + body.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, group, true);
  view.setUint16(2, element, true);
  out[4] = vr.charCodeAt(0);
  out[5] = vr.charCodeAt(1);
  if (long) view.setUint32(8, opts.length ?? body.length, true);
  else view.setUint16(6, opts.length ?? body.length, true);
  out.set(body, header);
  return out;
}

/** An item/delimiter header (FFFE,xxxx) + 32-bit length, little endian. */
export function itemHeader(element: number, length: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0xfffe, true);
  view.setUint16(2, element, true);
  view.setUint32(4, length, true);
  return out;
}
export const ITEM = 0xe000;
export const ITEM_END = 0xe00d;
export const SEQ_END = 0xe0dd;
export const UNDEFINED = 0xffffffff;

/**
 * Runs `fn` with every console method and process.stdout/stderr.write captured;
 * returns what would have been printed. Synchronous on purpose: nothing else
 * (the test runner included) can write while the capture is in place.
 */
export function captureOutput(fn: () => void): string[] {
  const written: string[] = [];
  const record = (...args: unknown[]) => {
    written.push(
      args
        .map((a) =>
          typeof a === 'string' ? a : a instanceof Uint8Array ? Buffer.from(a).toString('latin1') : String(a),
        )
        .join(' '),
    );
  };
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir'] as const;
  const savedConsole = methods.map((m) => console[m]);
  const savedOut = process.stdout.write;
  const savedErr = process.stderr.write;
  for (const m of methods) console[m] = record;
  process.stdout.write = ((chunk: unknown) => (record(chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => (record(chunk), true)) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    methods.forEach((m, i) => {
      console[m] = savedConsole[i] as (typeof console)[typeof m];
    });
    process.stdout.write = savedOut;
    process.stderr.write = savedErr;
  }
  return written;
}
