/**
 * nmap-style target specifications, parsed to integer intervals (never expanded to addresses):
 *
 *   192.0.2.7                      one IPv4 address
 *   192.0.2.0/24, 192.0.2.77/24    CIDR (a host part is dropped, as nmap does)
 *   192.0.2.10-20                  last-octet range
 *   192.0.2.10-192.0.3.20          full range
 *   10.0.1-3.1-254, 10.0.0,2.*     nmap octet ranges: per octet a comma list of n, n-m, n-, -m, - or *
 *   2001:db8::7, 2001:db8::/64     IPv6 address and CIDR
 *   2001:db8::1-2001:db8::ff       IPv6 full range
 *   pacs.example.org               hostname (resolved later, by whoever iterates)
 *
 * IPv4-mapped IPv6 (`::ffff:192.0.2.7`, or the part of a v6 CIDR/range inside ::ffff:0:0/96)
 * becomes IPv4: that is what a connection to it reaches. Zone ids (`fe80::1%eth0`), CIDR on
 * hostnames and the shorthand IPv4 forms are refused with a reason.
 */
import { readFile } from 'node:fs/promises';
import { V4_MAPPED_HI, V4_MAPPED_LO, V4_MAX, ipv4Complaint, parseIPv4, parseIPv6 } from './address.ts';
import type { Interval } from './intervals.ts';

export interface AddressSpec {
  readonly kind: 'addresses';
  readonly text: string;
  /** Where the spec came from: 'argv', 'targets.txt:12', 'facilities.csv:4'... */
  readonly origin: string | null;
  readonly v4: readonly Interval[];
  readonly v6: readonly Interval[];
  /** Members counted per interval (intervals of one spec never overlap). */
  readonly size: bigint;
}

export interface HostnameSpec {
  readonly kind: 'hostname';
  readonly text: string;
  readonly origin: string | null;
  /** Lower case, without a trailing dot. */
  readonly name: string;
}

export type TargetSpec = AddressSpec | HostnameSpec;

export interface SpecProblem {
  readonly spec: string;
  readonly origin: string | null;
  readonly message: string;
}

export class TargetSpecError extends Error {
  readonly problems: readonly SpecProblem[];
  constructor(problems: readonly SpecProblem[]) {
    const lines = problems.map((p) => `${p.origin ? `${p.origin}: ` : ''}${JSON.stringify(p.spec)}: ${p.message}`);
    super(problems.length === 1 ? lines[0]! : `${problems.length} bad target specs:\n  ${lines.join('\n  ')}`);
    this.name = 'TargetSpecError';
    this.problems = problems;
  }
}

/** An octet pattern may expand to at most this many disjoint blocks; past that, list CIDRs. */
export const MAX_PATTERN_BLOCKS = 65_536;

/** A spec with where it came from. */
export interface SpecSource {
  readonly text: string;
  readonly origin: string | null;
}

export function parseTargetSpec(text: string, origin: string | null = null): TargetSpec {
  const spec = text.trim();
  const fail = (message: string): never => {
    throw new TargetSpecError([{ spec: text, origin, message }]);
  };
  if (spec === '') return fail('empty target');
  if (/\s/.test(spec)) return fail('contains white space (one target per argument)');
  if (spec.includes('%'))
    return fail('IPv6 zone ids (%iface) are not supported: scan link-local addresses with a routable address instead');

  const addresses = (v4: Interval[], v6: Interval[]): AddressSpec => {
    let size = 0n;
    for (const [lo, hi] of v4) size += hi - lo + 1n;
    for (const [lo, hi] of v6) size += hi - lo + 1n;
    return { kind: 'addresses', text: spec, origin, v4, v6, size };
  };

  const slash = spec.indexOf('/');
  if (slash >= 0) {
    const base = spec.slice(0, slash);
    const prefixText = spec.slice(slash + 1);
    const v4 = parseIPv4(base);
    const v6 = v4 === null ? parseIPv6(base) : null;
    if (v4 === null && v6 === null) {
      const why = ipv4Complaint(base);
      if (why) return fail(why);
      if (isHostname(base)) return fail('CIDR notation on a hostname is not supported: resolve it and give the subnet');
      return fail('the part before "/" is not an IP address');
    }
    const bits = v4 !== null ? 32 : 128;
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
      return fail(`prefix length must be a whole number from 0 to ${bits}`);
    }
    const prefix = BigInt(prefixText);
    const hostBits = BigInt(bits) - prefix;
    const value = v4 !== null ? BigInt(v4) : v6!;
    const lo = (value >> hostBits) << hostBits;
    const hi = lo + (1n << hostBits) - 1n;
    const out4: Interval[] = [];
    const out6: Interval[] = [];
    if (v4 !== null) out4.push([lo, hi]);
    else splitMapped(lo, hi, out4, out6);
    return addresses(out4, out6);
  }

  const dash = spec.indexOf('-');
  if (
    dash > 0 &&
    spec.indexOf('-', dash + 1) < 0 &&
    (spec.includes(':') || /^\d+(\.\d+){3}-\d+(\.\d+){3}$/.test(spec))
  ) {
    // full range a-b (IPv4 with 7 dots, or IPv6)
    const a = spec.slice(0, dash);
    const b = spec.slice(dash + 1);
    const a4 = parseIPv4(a);
    const b4 = parseIPv4(b);
    const a6 = a4 === null ? parseIPv6(a) : null;
    const b6 = b4 === null ? parseIPv6(b) : null;
    if ((a4 === null && a6 === null) || (b4 === null && b6 === null)) {
      return fail('a range must be two addresses of the same family, first-last');
    }
    if ((a4 === null) !== (b4 === null)) return fail('a range cannot mix IPv4 and IPv6');
    const lo = a4 !== null ? BigInt(a4) : a6!;
    const hi = b4 !== null ? BigInt(b4) : b6!;
    if (lo > hi) return fail('reversed range: the first address is after the last');
    const out4: Interval[] = [];
    const out6: Interval[] = [];
    if (a4 !== null) out4.push([lo, hi]);
    else splitMapped(lo, hi, out4, out6);
    return addresses(out4, out6);
  }

  const v4 = parseIPv4(spec);
  if (v4 !== null) return addresses([[BigInt(v4), BigInt(v4)]], []);

  if (spec.includes(':')) {
    const v6 = parseIPv6(spec);
    if (v6 === null) return fail('not a valid IPv6 address');
    const out4: Interval[] = [];
    const out6: Interval[] = [];
    splitMapped(v6, v6, out4, out6);
    return addresses(out4, out6);
  }

  const parts = spec.split('.');
  if (parts.length === 4 && parts.every((p) => /^[0-9,*-]+$/.test(p)) && /[-,*]/.test(spec)) {
    const result = parseOctetPattern(parts);
    if (typeof result === 'string') return fail(result);
    return addresses(result, []);
  }

  const why = ipv4Complaint(spec);
  if (why) return fail(why);
  if (/^[\d.*,-]+$/.test(spec)) return fail('not an IPv4 address, range or octet pattern');
  if (!isHostname(spec)) return fail('not an IP address, CIDR, range or hostname');
  return { kind: 'hostname', text: spec, origin, name: spec.replace(/\.$/, '').toLowerCase() };
}

/** Parses many specs, reporting every bad one at once. */
export function parseTargetSpecs(sources: Iterable<string | SpecSource>): TargetSpec[] {
  const out: TargetSpec[] = [];
  const problems: SpecProblem[] = [];
  for (const s of sources) {
    const src = typeof s === 'string' ? { text: s, origin: null } : s;
    try {
      out.push(parseTargetSpec(src.text, src.origin));
    } catch (err) {
      if (err instanceof TargetSpecError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new TargetSpecError(problems);
  return out;
}

/**
 * Reads an nmap `-iL` / `--excludefile` style list: specs separated by white space or new lines,
 * `#` starts a comment to the end of the line. Each spec keeps its `file:line` origin.
 */
export async function readSpecFile(path: string): Promise<SpecSource[]> {
  const text = await readFile(path, 'utf8');
  return splitSpecList(text, path);
}

export function splitSpecList(text: string, name: string): SpecSource[] {
  const out: SpecSource[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i]!.indexOf('#');
    const body = hash >= 0 ? lines[i]!.slice(0, hash) : lines[i]!;
    for (const word of body.split(/\s+/)) {
      if (word !== '') out.push({ text: word, origin: `${name}:${i + 1}` });
    }
  }
  return out;
}

function isHostname(text: string): boolean {
  const name = text.replace(/\.$/, '');
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (!labels.every((l) => /^[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?$/.test(l))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]!); // an all-numeric last label is a mistyped address
}

/** Puts the part of a v6 interval inside ::ffff:0:0/96 into v4, the rest into v6. */
function splitMapped(lo: bigint, hi: bigint, v4: Interval[], v6: Interval[]): void {
  if (hi < V4_MAPPED_LO || lo > V4_MAPPED_HI) {
    v6.push([lo, hi]);
    return;
  }
  if (lo < V4_MAPPED_LO) v6.push([lo, V4_MAPPED_LO - 1n]);
  v4.push([
    (lo > V4_MAPPED_LO ? lo : V4_MAPPED_LO) - V4_MAPPED_LO,
    (hi < V4_MAPPED_HI ? hi : V4_MAPPED_HI) - V4_MAPPED_LO,
  ]);
  if (hi > V4_MAPPED_HI) v6.push([V4_MAPPED_HI + 1n, hi]);
}

type OctetRanges = Array<[number, number]>;

function parseOctet(text: string): OctetRanges | string {
  const ranges: OctetRanges = [];
  for (const item of text.split(',')) {
    let lo: number;
    let hi: number;
    const num = (s: string): number | null => (/^(0|[1-9]\d{0,2})$/.test(s) && Number(s) <= 255 ? Number(s) : null);
    if (item === '*' || item === '-') {
      lo = 0;
      hi = 255;
    } else if (item.includes('-')) {
      const [a, b, extra] = item.split('-');
      if (extra !== undefined) return `bad octet range ${JSON.stringify(item)}`;
      const l = a === '' ? 0 : num(a!);
      const h = b === '' ? 255 : num(b!);
      if (l === null || h === null)
        return `bad octet range ${JSON.stringify(item)} (octets are 0-255, no leading zeros)`;
      if (l > h) return `reversed octet range ${JSON.stringify(item)}`;
      lo = l;
      hi = h;
    } else {
      const v = num(item);
      if (v === null) return `bad octet ${JSON.stringify(item)} (octets are 0-255, no leading zeros)`;
      lo = v;
      hi = v;
    }
    ranges.push([lo, hi]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: OctetRanges = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

function parseOctetPattern(parts: string[]): Interval[] | string {
  const octets: OctetRanges[] = [];
  for (const p of parts) {
    const r = parseOctet(p);
    if (typeof r === 'string') return r;
    octets.push(r);
  }
  const isFull = (o: OctetRanges) => o.length === 1 && o[0]![0] === 0 && o[0]![1] === 255;
  let pivot = 3;
  while (pivot >= 0 && isFull(octets[pivot]!)) pivot--;
  if (pivot < 0) return [[0n, V4_MAX]];
  // Octets before the pivot are enumerated value by value; the pivot's ranges and the full octets
  // after it form contiguous blocks.
  let blocks = octets[pivot]!.length;
  for (let i = 0; i < pivot; i++) blocks *= octets[i]!.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
  if (blocks > MAX_PATTERN_BLOCKS) {
    return `octet pattern expands to ${blocks} separate blocks (at most ${MAX_PATTERN_BLOCKS}): list CIDRs instead`;
  }
  const unit = 256n ** BigInt(3 - pivot);
  const out: Interval[] = [];
  const walk = (i: number, base: bigint): void => {
    if (i === pivot) {
      for (const [lo, hi] of octets[pivot]!) out.push([base + BigInt(lo) * unit, base + BigInt(hi + 1) * unit - 1n]);
      return;
    }
    const weight = 256n ** BigInt(3 - i);
    for (const [lo, hi] of octets[i]!) for (let v = lo; v <= hi; v++) walk(i + 1, base + BigInt(v) * weight);
  };
  walk(0, 0n);
  return out;
}
