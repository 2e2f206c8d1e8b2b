/**
 * A set of targets, generated lazily: IPv4 and IPv6 addresses as interval sets (a /8 or a v6 /64
 * costs a few integers), plus hostnames that are resolved only when the iteration reaches them.
 *
 * Index space: [0, A4) the IPv4 addresses in ascending order, [A4, A4 + A6) the IPv6 ones, then
 * one slot per hostname still to resolve. `count()` is exact for addresses; each hostname counts
 * once (like nmap, the first address a name resolves to is scanned) and may be dropped when
 * reached (unresolvable, excluded, duplicate, out of scope: reported through `onSkip`).
 *
 * Order: sequential, or a keyed permutation of the index space (./permutation.ts) so that
 * consecutive probes land on different networks; positions, not addresses, are what a resumable
 * scan records, and `start`/`shard` pick up from a position or split the work between workers.
 *
 * Every produced address passes the scope given to the iteration, if any; `restrict(scope)`
 * first intersects the set with the scope and names what lies outside, so a CLI can say so.
 */
import { lookup } from 'node:dns/promises';
import type { Scope } from '../scope/scope.ts';
import { type Family, formatAddress, formatIPv4, parseAddress } from './address.ts';
import { IntervalSet, type Interval } from './intervals.ts';
import { Permutation, type Seed } from './permutation.ts';
import { TargetSpecError, parseTargetSpec, type SpecProblem, type SpecSource, type TargetSpec } from './spec.ts';

export interface Target {
  /** Canonical address text (IPv4-mapped IPv6 as IPv4). */
  readonly address: string;
  readonly family: Family;
  /** The name this address was listed under, when it came from a hostname. */
  readonly hostname: string | null;
  /** Position in the iteration order (what a resumable scan records). */
  readonly position: bigint;
}

/** Resolves a name to its addresses (any order; the first is used). Tests pass a fake. */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

/** The system resolver (getaddrinfo, so /etc/hosts applies), all addresses in the order returned. */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, order: 'verbatim' })).map((a) => a.address);

export type SkipReason = 'excluded' | 'out-of-scope' | 'unresolvable' | 'duplicate';

export interface Skipped {
  /** The hostname or address concerned. */
  readonly target: string;
  readonly address: string | null;
  readonly reason: SkipReason;
  readonly detail: string;
}

export interface IterateOptions {
  /** 'random' (default) or 'sequential'. */
  readonly order?: 'random' | 'sequential';
  /** Seed of the random order; a random one when absent (pass the scan's stored seed to resume). */
  readonly seed?: Seed;
  /** First position to produce (resume). */
  readonly start?: bigint;
  /** Position to stop before. */
  readonly end?: bigint;
  /** Produce only positions p with p % count === index (workers). */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Every address is checked against it; those outside are skipped and reported. */
  readonly scope?: Scope;
  readonly onSkip?: (skipped: Skipped) => void;
}

/** A name listed as a target, with where it came from. */
export interface HostEntry {
  readonly name: string;
  readonly origin: string | null;
}

/** An address already resolved from a name (e.g. a facility registry's hosts), labelled with it. */
export interface PinnedHost {
  readonly hostname: string;
  readonly address: string;
}

export interface TargetSetInput {
  readonly include: Iterable<string | SpecSource | TargetSpec>;
  readonly exclude?: Iterable<string | SpecSource | TargetSpec>;
  readonly pinned?: Iterable<PinnedHost>;
  /** Resolves hostname exclusions now and hostname targets during iteration. */
  readonly resolver?: Resolver;
}

export interface TargetStats {
  /** Addresses as listed, counting repeats (hostnames not included). */
  readonly listed: bigint;
  /** Addresses listed more than once (merged). */
  readonly duplicates: bigint;
  /** Addresses removed by exclusions. */
  readonly excluded: bigint;
  /** Hostnames listed more than once, or removed by a hostname exclusion. */
  readonly hostnamesDropped: number;
}

type Slot =
  | { readonly kind: 'address'; readonly family: Family; readonly value: bigint }
  | { readonly kind: 'host'; readonly entry: HostEntry };

/** How one hostname ended: the address to produce, or why not. */
type HostDecision = { readonly address: string; readonly family: Family } | { readonly skipped: Skipped };

export class TargetSet {
  readonly v4: IntervalSet;
  readonly v6: IntervalSet;
  readonly hostnames: readonly HostEntry[];
  readonly stats: TargetStats;
  private readonly excludedV4: IntervalSet;
  private readonly excludedV6: IntervalSet;
  private readonly excludedNames: ReadonlySet<string>;
  private readonly labels: ReadonlyMap<string, string>;
  private readonly resolver: Resolver;

  private constructor(init: {
    v4: IntervalSet;
    v6: IntervalSet;
    hostnames: readonly HostEntry[];
    stats: TargetStats;
    excludedV4: IntervalSet;
    excludedV6: IntervalSet;
    excludedNames: ReadonlySet<string>;
    labels: ReadonlyMap<string, string>;
    resolver: Resolver;
  }) {
    this.v4 = init.v4;
    this.v6 = init.v6;
    this.hostnames = init.hostnames;
    this.stats = init.stats;
    this.excludedV4 = init.excludedV4;
    this.excludedV6 = init.excludedV6;
    this.excludedNames = init.excludedNames;
    this.labels = init.labels;
    this.resolver = init.resolver;
  }

  /**
   * Parses the specs (every bad one reported at once, in a TargetSpecError), merges repeats,
   * resolves hostname exclusions (all their addresses are excluded) and subtracts exclusions.
   */
  static async build(input: TargetSetInput): Promise<TargetSet> {
    const resolver = input.resolver ?? systemResolver;
    const problems: SpecProblem[] = [];
    const parse = (s: string | SpecSource | TargetSpec): TargetSpec | null => {
      if (typeof s !== 'string' && 'kind' in s) return s;
      const src = typeof s === 'string' ? { text: s, origin: null } : s;
      try {
        return parseTargetSpec(src.text, src.origin);
      } catch (err) {
        if (!(err instanceof TargetSpecError)) throw err;
        problems.push(...err.problems);
        return null;
      }
    };
    const inc4: Interval[] = [];
    const inc6: Interval[] = [];
    const hosts: HostEntry[] = [];
    let listed = 0n;
    for (const s of input.include) {
      const spec = parse(s);
      if (!spec) continue;
      if (spec.kind === 'hostname') hosts.push({ name: spec.name, origin: spec.origin });
      else {
        inc4.push(...spec.v4);
        inc6.push(...spec.v6);
        listed += spec.size;
      }
    }
    const labels = new Map<string, string>();
    for (const pin of input.pinned ?? []) {
      const p = parseAddress(pin.address);
      if (!p) {
        problems.push({ spec: pin.address, origin: pin.hostname, message: 'a pinned host needs an IP address' });
        continue;
      }
      (p.family === 4 ? inc4 : inc6).push([p.value, p.value]);
      listed += 1n;
      const text = formatAddress(p.family, p.value);
      if (!labels.has(text)) labels.set(text, pin.hostname);
    }
    const ex4: Interval[] = [];
    const ex6: Interval[] = [];
    const exNames = new Set<string>();
    for (const s of input.exclude ?? []) {
      const spec = parse(s);
      if (!spec) continue;
      if (spec.kind === 'addresses') {
        ex4.push(...spec.v4);
        ex6.push(...spec.v6);
        continue;
      }
      exNames.add(spec.name);
      let addresses: readonly string[];
      try {
        addresses = await resolver(spec.name);
      } catch (err) {
        problems.push({
          spec: spec.text,
          origin: spec.origin,
          message: `cannot resolve an excluded hostname: ${errorText(err)}`,
        });
        continue;
      }
      for (const a of addresses) {
        const p = parseAddress(a);
        if (p) (p.family === 4 ? ex4 : ex6).push([p.value, p.value]);
      }
    }
    if (problems.length > 0) throw new TargetSpecError(problems);

    const all4 = IntervalSet.from(inc4);
    const all6 = IntervalSet.from(inc6);
    const excludedV4 = IntervalSet.from(ex4);
    const excludedV6 = IntervalSet.from(ex6);
    const v4 = all4.subtract(excludedV4);
    const v6 = all6.subtract(excludedV6);
    const seen = new Set<string>();
    const hostnames: HostEntry[] = [];
    for (const h of hosts) {
      if (seen.has(h.name) || exNames.has(h.name)) continue;
      seen.add(h.name);
      hostnames.push(h);
    }
    for (const [address] of labels) {
      const p = parseAddress(address)!;
      if (!(p.family === 4 ? v4 : v6).has(p.value)) labels.delete(address);
    }
    const unique = all4.size + all6.size;
    return new TargetSet({
      v4,
      v6,
      hostnames,
      stats: {
        listed,
        duplicates: listed - unique,
        excluded: unique - v4.size - v6.size,
        hostnamesDropped: hosts.length - hostnames.length,
      },
      excludedV4,
      excludedV6,
      excludedNames: exNames,
      labels,
      resolver,
    });
  }

  /** Addresses plus hostnames still to resolve (each counting one). */
  count(): bigint {
    return this.v4.size + this.v6.size + BigInt(this.hostnames.length);
  }

  addressCount(): bigint {
    return this.v4.size + this.v6.size;
  }

  /**
   * The part of this set inside the scope, and what lies outside it (for the CLI to report; it is
   * never produced). Hostnames are kept: they are checked once resolved.
   */
  restrict(scope: Scope): {
    readonly targets: TargetSet;
    readonly outsideV4: IntervalSet;
    readonly outsideV6: IntervalSet;
  } {
    const v4 = this.v4.intersect(scope.effective(4));
    const v6 = this.v6.intersect(scope.effective(6));
    const labels = new Map([...this.labels].filter(([a]) => scope.allows(a)));
    const targets = new TargetSet({
      v4,
      v6,
      hostnames: this.hostnames,
      stats: this.stats,
      excludedV4: this.excludedV4,
      excludedV6: this.excludedV6,
      excludedNames: this.excludedNames,
      labels,
      resolver: this.resolver,
    });
    return { targets, outsideV4: this.v4.subtract(v4), outsideV6: this.v6.subtract(v6) };
  }

  /** Does the set (addresses part) contain this address? */
  hasAddress(address: string): boolean {
    const p = parseAddress(address);
    return p !== null && (p.family === 4 ? this.v4 : this.v6).has(p.value);
  }

  /** The name an address of the set was listed under (pinned hosts), or null. */
  hostnameOf(address: string): string | null {
    const p = parseAddress(address);
    return p ? (this.labels.get(formatAddress(p.family, p.value)) ?? null) : null;
  }

  /** Targets in the chosen order. Hostnames are resolved when reached. */
  async *iterate(options: IterateOptions = {}): AsyncGenerator<Target> {
    const cursor = new Cursor(this.count(), options);
    const decisions = new HostDecisions(this, options);
    for (let pos = cursor.next(); pos !== null; pos = cursor.next()) {
      const slot = this.slot(cursor.index(pos));
      if (slot.kind === 'address') {
        const t = this.addressTarget(slot.family, slot.value, pos, options);
        if (t) yield t;
        continue;
      }
      const d = await decisions.decide(slot.entry);
      if ('skipped' in d) continue;
      yield { address: d.address, family: d.family, hostname: slot.entry.name, position: pos };
    }
  }

  /** The same, without hostnames to resolve (throws if there are any): for workers and benchmarks. */
  *iterateSync(options: IterateOptions = {}): Generator<Target> {
    if (this.hostnames.length > 0) throw new Error('this target set has hostnames to resolve: use iterate()');
    const cursor = new Cursor(this.count(), options);
    for (let pos = cursor.next(); pos !== null; pos = cursor.next()) {
      const slot = this.slot(cursor.index(pos)) as Extract<Slot, { kind: 'address' }>;
      const t = this.addressTarget(slot.family, slot.value, pos, options);
      if (t) yield t;
    }
  }

  /** @internal the target behind index i of the (sequential) index space. */
  slot(i: bigint): Slot {
    const n4 = this.v4.size;
    if (i < n4) return { kind: 'address', family: 4, value: this.v4.at(i) };
    const n6 = this.v6.size;
    if (i < n4 + n6) return { kind: 'address', family: 6, value: this.v6.at(i - n4) };
    return { kind: 'host', entry: this.hostnames[Number(i - n4 - n6)]! };
  }

  /** @internal */
  addressTarget(family: Family, value: bigint, position: bigint, options: IterateOptions): Target | null {
    const address = family === 4 ? formatIPv4(Number(value)) : formatAddress(6, value);
    if (options.scope && !options.scope.allows(address)) {
      options.onSkip?.({
        target: address,
        address,
        reason: 'out-of-scope',
        detail: `${address} is outside the authorised scope`,
      });
      return null;
    }
    return { address, family, hostname: this.labels.get(address) ?? null, position };
  }

  /** @internal how a resolved name fares against exclusions, the address set and the scope. */
  async resolveEntry(entry: HostEntry, options: IterateOptions, taken: Set<string>): Promise<HostDecision> {
    const skip = (reason: SkipReason, address: string | null, detail: string): HostDecision => {
      const skipped = { target: entry.name, address, reason, detail };
      options.onSkip?.(skipped);
      return { skipped };
    };
    let first: string | undefined;
    try {
      first = (await this.resolver(entry.name))[0];
    } catch (err) {
      return skip('unresolvable', null, `cannot resolve ${entry.name}: ${errorText(err)}`);
    }
    const p = first === undefined ? null : parseAddress(first);
    if (!p) return skip('unresolvable', null, `${entry.name} resolved to no usable address`);
    const address = formatAddress(p.family, p.value);
    if ((p.family === 4 ? this.excludedV4 : this.excludedV6).has(p.value)) {
      return skip('excluded', address, `${entry.name} resolves to ${address}, which is excluded`);
    }
    if ((p.family === 4 ? this.v4 : this.v6).has(p.value) || taken.has(address)) {
      return skip('duplicate', address, `${entry.name} resolves to ${address}, already a target`);
    }
    if (options.scope && !options.scope.allows(address)) {
      return skip('out-of-scope', address, `${entry.name} resolves to ${address}, outside the authorised scope`);
    }
    taken.add(address);
    return { address, family: p.family };
  }
}

/** Resolves each hostname once per iteration and remembers the outcome (work items visit a host once per port). */
export class HostDecisions {
  private readonly done = new Map<string, Promise<HostDecision>>();
  private readonly taken = new Set<string>();
  private readonly set: TargetSet;
  private readonly options: IterateOptions;

  constructor(set: TargetSet, options: IterateOptions) {
    this.set = set;
    this.options = options;
  }

  decide(entry: HostEntry): Promise<HostDecision> {
    let d = this.done.get(entry.name);
    if (!d) {
      d = this.set.resolveEntry(entry, this.options, this.taken);
      this.done.set(entry.name, d);
    }
    return d;
  }
}

/** Walks positions [start, end) (optionally one shard of them) and maps each to an index. */
export class Cursor {
  private readonly perm: Permutation | null;
  private readonly end: bigint;
  private readonly step: bigint;
  private pos: bigint;

  constructor(size: bigint, options: IterateOptions) {
    const shard = options.shard ?? { index: 0, count: 1 };
    if (
      !Number.isInteger(shard.count) ||
      shard.count < 1 ||
      !Number.isInteger(shard.index) ||
      shard.index < 0 ||
      shard.index >= shard.count
    ) {
      throw new RangeError(`bad shard ${shard.index}/${shard.count}`);
    }
    const start = options.start ?? 0n;
    if (start < 0n) throw new RangeError('start must be >= 0');
    this.end = options.end === undefined || options.end > size ? size : options.end;
    this.step = BigInt(shard.count);
    // first position >= start that belongs to the shard
    const idx = BigInt(shard.index);
    const r = ((start % this.step) + this.step) % this.step;
    this.pos = start + ((idx - r + this.step) % this.step);
    this.perm =
      (options.order ?? 'random') === 'random' && size > 0n
        ? new Permutation(size, options.seed ?? Permutation.randomSeed())
        : null;
  }

  next(): bigint | null {
    if (this.pos >= this.end) return null;
    const p = this.pos;
    this.pos += this.step;
    return p;
  }

  index(position: bigint): bigint {
    if (!this.perm) return position;
    return this.perm.numeric ? BigInt(this.perm.atNumber(Number(position))) : this.perm.at(position);
  }
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.message : String(err);
}
