/**
 * IP addresses as integers: IPv4 as 0..2^32-1, IPv6 as 0..2^128-1 (bigint for both, so one
 * interval type serves both families). Parsing is strict on purpose: a scope decides what a
 * hospital network may receive, so `010.0.0.1` (octal to inet_aton, decimal to others), `127.1`,
 * `0x7f.0.0.1` and zone ids are refused rather than guessed.
 *
 * An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) reaches the IPv4 host when connected to, so
 * it is canonicalised to its IPv4 form everywhere an address is checked or produced.
 */

export type Family = 4 | 6;

export const V4_MAX = (1n << 32n) - 1n;
export const V6_MAX = (1n << 128n) - 1n;
/** ::ffff:0:0/96, the IPv4-mapped block. */
export const V4_MAPPED_LO = 0xffffn << 32n;
export const V4_MAPPED_HI = V4_MAPPED_LO + V4_MAX;

export interface ParsedAddress {
  readonly family: Family;
  readonly value: bigint;
}

const V4_RE = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** Strict dotted quad; returns the 32-bit value or null. */
export function parseIPv4(text: string): number | null {
  const m = V4_RE.exec(text);
  if (!m) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    v = v * 256 + o;
  }
  return v;
}

/** Why a string that looks like an IPv4 address is not one (for error messages), or null. */
export function ipv4Complaint(text: string): string | null {
  if (/^\d+(\.\d+){3}$/.test(text)) {
    if (text.split('.').some((o) => o.length > 1 && o.startsWith('0'))) {
      return 'leading zeros in an octet are ambiguous (octal to some tools): write them without';
    }
    return 'an octet is larger than 255';
  }
  if (/^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,2}$/i.test(text)) {
    return 'shorthand and hexadecimal IPv4 forms are not accepted: write four decimal octets';
  }
  return null;
}

/** IPv6 per RFC 4291 text forms (with optional embedded IPv4 tail); returns the 128-bit value or null. */
export function parseIPv6(text: string): bigint | null {
  if (text.length < 2 || text.length > 45 || text.includes('%')) return null;
  let head = text;
  let tail4: number | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) > lastColon) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (tail4 === null) return null;
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::", "ffff:1.2.3.4" is invalid (would leave "ffff:")
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = tail4 === null ? 8 : 6;
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::')) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    if (!left || !right) return null;
    const missing = groupsWanted - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    const all = parseGroups(head);
    if (!all || all.length !== groupsWanted) return null;
    groups = all;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (tail4 !== null) v = (v << 32n) | BigInt(tail4);
  return v;
}

/**
 * Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 becomes IPv4. Null when not an address.
 */
export function parseAddress(text: string): ParsedAddress | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { family: 4, value: BigInt(v4) };
  const v6 = parseIPv6(text);
  if (v6 === null) return null;
  if (v6 >= V4_MAPPED_LO && v6 <= V4_MAPPED_HI) return { family: 4, value: v6 - V4_MAPPED_LO };
  return { family: 6, value: v6 };
}

export function formatIPv4(v: number): string {
  return `${Math.floor(v / 16777216) % 256}.${Math.floor(v / 65536) % 256}.${Math.floor(v / 256) % 256}.${v % 256}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (first on a tie) of 2+ zero groups as "::". */
export function formatIPv6(v: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function formatAddress(family: Family, value: bigint): string {
  return family === 4 ? formatIPv4(Number(value)) : formatIPv6(value);
}

/** The canonical text of an address (IPv4-mapped IPv6 as IPv4), or null when not an address. */
export function canonicalAddress(text: string): string | null {
  const p = parseAddress(text);
  return p ? formatAddress(p.family, p.value) : null;
}

export function familyMax(family: Family): bigint {
  return family === 4 ? V4_MAX : V6_MAX;
}

export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}
