/**
 * Scope: what may be contacted. Every connection attempt asks `allows(address)` first.
 *
 * The decision comes from our interval sets: sorted, merged ranges searched by bisection, so a
 * registry of 10,000 facilities costs log2(10,000) comparisons per check (they also give the set
 * algebra the target generator needs: intersecting a /8 with the scope, naming what lies outside
 * as CIDRs). Node's BlockList, the runtime's own matcher, gets the same entries and must agree as
 * well while the scope has at most CROSS_CHECK_RULES ranges: it checks rules one by one (70 µs a
 * check with 10,000 ranges, which would throttle a sweep), so large scopes rely on the interval
 * sets alone, which the unit tests hold against BlockList and a naive model.
 * Entries carry a label (for a facility registry: which facility, which hostname), so
 * `explain(address)` can say why an address is, or is not, in scope.
 *
 * Specs are those of src/targets/spec.ts minus hostnames: addresses, CIDRs, ranges, octet
 * patterns. Hostnames are resolved before they reach a scope and are never trusted by name.
 * IPv4-mapped IPv6 is checked as the IPv4 address it reaches; the unspecified addresses
 * (0.0.0.0, ::) are never allowed, since connecting to them reaches this machine.
 */
import net from 'node:net';
import { type Family, formatAddress, parseAddress } from '../targets/address.ts';
import { IntervalSet, type Interval } from '../targets/intervals.ts';
import { parseTargetSpec, type AddressSpec } from '../targets/spec.ts';

export interface ScopeEntry {
  readonly kind: 'allow' | 'exclude';
  readonly spec: string;
  readonly label: string;
  readonly v4: readonly Interval[];
  readonly v6: readonly Interval[];
}

export interface ScopeDecision {
  /** Canonical form of the address, or null when it is not an IP address. */
  readonly address: string | null;
  readonly allowed: boolean;
  /** Labels of the allow entries that contain the address. */
  readonly allowedBy: readonly string[];
  /** Labels of the exclusions that contain the address. */
  readonly excludedBy: readonly string[];
  /** One line for a log or a report. */
  readonly reason: string;
}

/** Up to this many ranges, BlockList cross-checks every decision. */
export const CROSS_CHECK_RULES = 256;

export class Scope {
  private readonly allowedList = new net.BlockList();
  private readonly excludedList = new net.BlockList();
  private rules = 0;
  private readonly entryList: ScopeEntry[] = [];
  private cache: { v4: IntervalSet; v6: IntervalSet } | null = null;

  /** Allows one address, a CIDR subnet (`10.0.0.0/8`, `2001:db8::/32`), a range (`a-b`, `a.b.c.d-e`) or an octet pattern. */
  allow(spec: string, label: string = spec): this {
    this.add('allow', spec, label);
    return this;
  }

  /** Excludes the same forms; an exclusion wins over any allow. */
  exclude(spec: string, label: string = spec): this {
    this.add('exclude', spec, label);
    return this;
  }

  allows(address: string): boolean {
    const p = parseAddress(address);
    if (!p || p.value === 0n) return false; // not an address (hostnames are resolved first), or unspecified
    if (!this.effective(p.family).has(p.value)) return false;
    if (this.rules > CROSS_CHECK_RULES) return true;
    const text = formatAddress(p.family, p.value);
    const type = p.family === 4 ? 'ipv4' : 'ipv6';
    return this.allowedList.check(text, type) && !this.excludedList.check(text, type);
  }

  /** Whether BlockList still cross-checks every decision (small scopes). */
  get crossChecked(): boolean {
    return this.rules <= CROSS_CHECK_RULES;
  }

  explain(address: string): ScopeDecision {
    const p = parseAddress(address);
    if (!p) {
      return {
        address: null,
        allowed: false,
        allowedBy: [],
        excludedBy: [],
        reason: `${JSON.stringify(address)} is not an IP address`,
      };
    }
    const text = formatAddress(p.family, p.value);
    const containing = (kind: ScopeEntry['kind']) =>
      this.entryList
        .filter(
          (e) => e.kind === kind && (p.family === 4 ? e.v4 : e.v6).some(([lo, hi]) => lo <= p.value && p.value <= hi),
        )
        .map((e) => e.label);
    const allowedBy = containing('allow');
    const excludedBy = containing('exclude');
    const allowed = this.allows(text);
    let reason: string;
    if (p.value === 0n) reason = `${text} is the unspecified address (it reaches this machine): never in scope`;
    else if (excludedBy.length > 0) reason = `${text} is excluded by ${excludedBy.join(', ')}`;
    else if (allowedBy.length === 0) reason = `${text} is in no allowed range`;
    else reason = `${text} is allowed by ${allowedBy.join(', ')}`;
    return { address: text, allowed, allowedBy, excludedBy, reason };
  }

  /** What may be contacted in one family: allowed minus excluded. */
  effective(family: Family): IntervalSet {
    if (!this.cache) {
      const set = (kind: ScopeEntry['kind'], f: Family) =>
        IntervalSet.from(this.entryList.filter((e) => e.kind === kind).flatMap((e) => (f === 4 ? e.v4 : e.v6)));
      this.cache = {
        v4: set('allow', 4)
          .subtract(set('exclude', 4))
          .subtract(IntervalSet.from([[0n, 0n]])),
        v6: set('allow', 6)
          .subtract(set('exclude', 6))
          .subtract(IntervalSet.from([[0n, 0n]])),
      };
    }
    return family === 4 ? this.cache.v4 : this.cache.v6;
  }

  /** How many addresses may be contacted. */
  size(): bigint {
    return this.effective(4).size + this.effective(6).size;
  }

  isEmpty(): boolean {
    return this.effective(4).isEmpty() && this.effective(6).isEmpty();
  }

  entries(): readonly ScopeEntry[] {
    return this.entryList;
  }

  toString(): string {
    return this.entryList.map((e) => `${e.kind === 'allow' ? '+' : '-'}${e.spec}`).join(' ');
  }

  private add(kind: ScopeEntry['kind'], spec: string, label: string): void {
    const parsed = parseTargetSpec(spec);
    if (parsed.kind === 'hostname') {
      throw new Error(`not an address, subnet or range (a scope never trusts a name; resolve it first): ${spec}`);
    }
    const a: AddressSpec = parsed;
    const list = kind === 'allow' ? this.allowedList : this.excludedList;
    this.rules += a.v4.length + a.v6.length;
    if (this.rules <= CROSS_CHECK_RULES) {
      for (const [lo, hi] of a.v4) list.addRange(formatAddress(4, lo), formatAddress(4, hi), 'ipv4');
      for (const [lo, hi] of a.v6) list.addRange(formatAddress(6, lo), formatAddress(6, hi), 'ipv6');
    }
    this.entryList.push({ kind, spec: a.text, label, v4: a.v4, v6: a.v6 });
    this.cache = null;
  }
}
