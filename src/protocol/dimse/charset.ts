/**
 * Specific Character Set (0008,0005) → a text decoder (PS3.3 C.12.1.1.2, PS3.5 6.1).
 *
 * Why not dcmjs's own handling: dcmjs 0.52 maps only the FIRST value of
 * (0008,0005), so the common `\ISO 2022 IR 87` (value 1 empty, Japanese by
 * escape sequences) is decoded as Latin-1; with `ignoreErrors: false` it throws
 * on any multi-valued or unknown term, and it rewrites the element to
 * `ISO_IR 192` in its output. Here we keep the terms as given and decode ISO
 * 2022 code extensions ourselves, segment by segment, with WHATWG decoders
 * (Node's full ICU): JIS X 0208/0212 through EUC-JP, KS X 1001 through EUC-KR,
 * GB 2312 through GBK, JIS X 0201 katakana through Shift_JIS.
 *
 * Nothing here throws on input. Anything we do not understand (an unknown
 * term, an unknown escape sequence, a decoder the runtime lacks) is decoded as
 * ISO 8859-1 instead and `fallback` is set, so callers can report it.
 */

/** What dcmjs's ReadBufferStream calls: `decoder.decode(new DataView(...))`. */
export interface TextDecoderLike {
  decode(input?: ArrayBuffer | ArrayBufferView): string;
}

export interface CharsetDecoder extends TextDecoderLike {
  /** The (0008,0005) values as given, trailing padding removed (value 1 may be ''). */
  readonly terms: readonly string[];
  /** Set once anything had to be decoded as Latin-1 because we did not understand it. */
  readonly fallback: boolean;
}

type G0 = 'ascii' | 'jisx0208' | 'jisx0212';

/** A WHATWG label, or 'iso-8859-1' (decoded exactly, not as windows-1252). */
type Label = string;

const LATIN1: Label = 'iso-8859-1';

/** Single-byte sets: 'ISO_IR n' (no extensions) and 'ISO 2022 IR n' (G1 via ESC - x). */
const SINGLE_BYTE: Readonly<Record<string, Label>> = {
  '6': LATIN1, // ASCII; bytes above 0x7F are non-conformant, read leniently
  '100': LATIN1,
  '101': 'iso-8859-2',
  '109': 'iso-8859-3',
  '110': 'iso-8859-4',
  '144': 'iso-8859-5',
  '127': 'iso-8859-6',
  '126': 'iso-8859-7',
  '138': 'iso-8859-8',
  '148': 'iso-8859-9',
  '203': 'iso-8859-15',
  '166': 'windows-874', // TIS 620-2533
  '13': 'shift_jis', // JIS X 0201: katakana in GR, romaji in GL (read as ASCII)
};

/** Escape sequences (after ESC) that designate a G1 set, PS3.3 Tables C.12-3/4. */
const G1_ESCAPES: Readonly<Record<string, Label>> = {
  '-A': LATIN1,
  '-B': 'iso-8859-2',
  '-C': 'iso-8859-3',
  '-D': 'iso-8859-4',
  '-L': 'iso-8859-5',
  '-G': 'iso-8859-6',
  '-F': 'iso-8859-7',
  '-H': 'iso-8859-8',
  '-M': 'iso-8859-9',
  '-b': 'iso-8859-15',
  '-T': 'windows-874',
  ')I': 'shift_jis', // JIS X 0201 katakana (ISO 2022 IR 13)
  '$)C': 'euc-kr', // KS X 1001 (ISO 2022 IR 149)
  '$)A': 'gbk', // GB 2312 (ISO 2022 IR 58)
};

/** Escape sequences that designate a G0 set. */
const G0_ESCAPES: Readonly<Record<string, G0>> = {
  '(B': 'ascii', // ISO 646 IRV (ISO 2022 IR 6)
  '(J': 'ascii', // JIS X 0201 romaji (ISO 2022 IR 13/14): ASCII but ¥ and ‾
  $B: 'jisx0208', // ISO 2022 IR 87
  '$(D': 'jisx0212', // ISO 2022 IR 159
};

/** Bytes at which the character sets return to those of value 1 (PS3.5 6.1.2.5.3). */
const RESET_BYTES = new Set([0x5c /* \ */, 0x5e /* ^ */, 0x3d /* = */, 0x0d, 0x0a, 0x09, 0x0c]);

const ESC = 0x1b;

type WhatwgDecoder = InstanceType<typeof TextDecoder>;

const decoderCache = new Map<Label, WhatwgDecoder | null>();

/** A WHATWG decoder for `label`, or null if this runtime lacks it (e.g. small-icu builds). */
function whatwg(label: Label): WhatwgDecoder | null {
  let d = decoderCache.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label); // fatal: false → U+FFFD on bad input, never throws
    } catch {
      d = null;
    }
    decoderCache.set(label, d);
  }
  return d;
}

function toBytes(input?: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (input === undefined) return new Uint8Array(0);
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return new Uint8Array(input);
}

/** Exact ISO 8859-1 (WHATWG 'latin1' is windows-1252, which is not what DICOM means). */
export function decodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Normalises a term for lookup: 'ISO_IR 100', 'iso-ir-100', 'ISO IR  100' → 'ISO IR 100'. */
function normaliseTerm(term: string): string {
  return term
    .trim()
    .toUpperCase()
    .replace(/[_\-\s]+/g, ' ');
}

interface Parsed {
  readonly kind: 'plain' | 'iso2022';
  /** plain: the whole-value decoder; iso2022: the initial G1 set. */
  readonly label: Label;
  readonly understood: boolean;
}

function parseTerms(terms: readonly string[]): Parsed {
  const norm = terms.map(normaliseTerm);
  const first = norm[0] ?? '';
  if (norm.length <= 1) {
    if (first === '') return { kind: 'plain', label: LATIN1, understood: true };
    if (first === 'ISO IR 192') return { kind: 'plain', label: 'utf-8', understood: true };
    if (first === 'GB18030') return { kind: 'plain', label: 'gb18030', understood: true };
    if (first === 'GBK') return { kind: 'plain', label: 'gbk', understood: true };
    const single = /^ISO IR (\d+)$/.exec(first);
    if (single?.[1] !== undefined && SINGLE_BYTE[single[1]] !== undefined) {
      return { kind: 'plain', label: SINGLE_BYTE[single[1]] ?? LATIN1, understood: true };
    }
    // A lone 'ISO 2022 IR n' (value 1 designates, escapes may switch) is handled below.
  }
  // Code extensions: every value must be an 'ISO 2022 IR n' term we know (value 1 may be empty).
  let understood = true;
  let initial: Label = LATIN1;
  norm.forEach((term, i) => {
    if (term === '' && i === 0) return;
    const m = /^ISO 2022 IR (\d+)$/.exec(term);
    const n = m?.[1];
    if (n === undefined || !(n in SINGLE_BYTE || n === '87' || n === '159' || n === '149' || n === '58')) {
      understood = false;
      return;
    }
    if (i === 0) {
      // Value 1's G1 set is active at the start of every value (multi-byte G0 sets never start active).
      if (n === '149') initial = 'euc-kr';
      else if (n === '58') initial = 'gbk';
      else initial = SINGLE_BYTE[n] ?? LATIN1;
    }
  });
  if (!understood) return { kind: 'plain', label: LATIN1, understood: false };
  return { kind: 'iso2022', label: initial, understood: true };
}

/** Splits a raw (0008,0005) value into its terms, as given (trailing space/NUL padding removed). */
export function splitCharsetTerms(raw: string): string[] {
  const trimmed = raw.replace(/[\0 ]+$/, '');
  if (trimmed === '') return [];
  return trimmed.split('\\').map((t) => t.replace(/^ +| +$/g, ''));
}

/**
 * A decoder for the given (0008,0005) terms (`[]` or `['']` = default repertoire).
 * `decode()` never throws.
 */
export function charsetDecoder(terms: readonly string[]): CharsetDecoder {
  const parsed = parseTerms(terms);
  const state = { fallback: !parsed.understood };

  const decodeWith = (label: Label, bytes: Uint8Array): string => {
    if (bytes.length === 0) return '';
    if (label === LATIN1) return decodeLatin1(bytes);
    const d = whatwg(label);
    if (d === null) {
      state.fallback = true;
      return decodeLatin1(bytes);
    }
    return d.decode(bytes);
  };

  /** JIS X 0208 / 0212 in 7-bit G0 → EUC-JP (set the high bits; 0x8F prefixes JIS X 0212). */
  const decodeJis = (g0: 'jisx0208' | 'jisx0212', run: Uint8Array): string => {
    const out: number[] = [];
    for (let i = 0; i < run.length; i++) {
      const b = run[i] ?? 0;
      const b2 = run[i + 1];
      if (b >= 0x21 && b <= 0x7e && b2 !== undefined && b2 >= 0x21 && b2 <= 0x7e) {
        if (g0 === 'jisx0212') out.push(0x8f);
        out.push(b | 0x80, b2 | 0x80);
        i++;
      } else {
        out.push(b); // controls, spaces, a dangling byte: as is (EUC-JP is ASCII-compatible)
      }
    }
    return decodeWith('euc-jp', Uint8Array.from(out));
  };

  const decodeIso2022 = (bytes: Uint8Array): string => {
    let g0: G0 = 'ascii';
    let g1: Label = parsed.label;
    let out = '';
    let runStart = 0;
    const flush = (end: number) => {
      if (end > runStart) {
        const run = bytes.subarray(runStart, end);
        out += g0 === 'ascii' ? decodeWith(g1, run) : decodeJis(g0, run);
      }
    };
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i] ?? 0;
      if (b === ESC) {
        flush(i);
        // Longest escape we know is 3 bytes after ESC.
        const seq3 = String.fromCharCode(...bytes.subarray(i + 1, i + 4));
        let matched = 0;
        for (const len of [3, 2]) {
          const s = seq3.slice(0, len);
          if (s.length !== len) continue;
          const dG0 = G0_ESCAPES[s];
          const dG1 = G1_ESCAPES[s];
          if (dG0 !== undefined) g0 = dG0;
          else if (dG1 !== undefined) g1 = dG1;
          else continue;
          matched = len;
          break;
        }
        if (matched === 0) {
          state.fallback = true; // unknown escape: drop the ESC, decode what follows as it is
          i += 1;
        } else {
          i += 1 + matched;
        }
        runStart = i;
        continue;
      }
      if (g0 === 'ascii' && RESET_BYTES.has(b)) {
        flush(i);
        out += String.fromCharCode(b);
        g1 = parsed.label;
        i += 1;
        runStart = i;
        continue;
      }
      i += 1;
    }
    flush(bytes.length);
    return out;
  };

  return {
    terms: [...terms],
    get fallback() {
      return state.fallback;
    },
    decode(input?: ArrayBuffer | ArrayBufferView): string {
      try {
        const bytes = toBytes(input);
        if (parsed.kind === 'plain') return decodeWith(parsed.label, bytes);
        if (!bytes.includes(ESC)) return decodeWith(parsed.label, bytes);
        return decodeIso2022(bytes);
      } catch {
        // Defensive: nothing above should throw; never let a value break a decode.
        state.fallback = true;
        try {
          return decodeLatin1(toBytes(input));
        } catch {
          return '';
        }
      }
    },
  };
}
