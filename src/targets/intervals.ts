/**
 * Sets of integers as sorted, disjoint, non-adjacent closed intervals [lo, hi]. The algebra the
 * target generator and the scope share: union, difference, intersection, membership by binary
 * search, and the i-th member by prefix sums, all without materialising a member.
 */

export type Interval = readonly [lo: bigint, hi: bigint];

export class IntervalSet {
  private readonly los: readonly bigint[];
  private readonly his: readonly bigint[];
  /** cum[i] = number of members in intervals 0..i-1; cum[length] = size. */
  private readonly cum: readonly bigint[];

  private constructor(los: bigint[], his: bigint[]) {
    this.los = los;
    this.his = his;
    const cum: bigint[] = [0n];
    let total = 0n;
    for (let i = 0; i < los.length; i++) {
      total += his[i]! - los[i]! + 1n;
      cum.push(total);
    }
    this.cum = cum;
  }

  static readonly EMPTY = new IntervalSet([], []);

  /** Builds from any intervals (overlapping, adjacent, unsorted); each must have lo <= hi. */
  static from(intervals: Iterable<Interval>): IntervalSet {
    const list = [...intervals];
    for (const [lo, hi] of list) if (lo > hi) throw new RangeError(`interval with lo > hi: ${lo}..${hi}`);
    list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const los: bigint[] = [];
    const his: bigint[] = [];
    for (const [lo, hi] of list) {
      const n = his.length;
      if (n > 0 && lo <= his[n - 1]! + 1n) {
        if (hi > his[n - 1]!) his[n - 1] = hi;
      } else {
        los.push(lo);
        his.push(hi);
      }
    }
    return new IntervalSet(los, his);
  }

  get intervalCount(): number {
    return this.los.length;
  }

  get size(): bigint {
    return this.cum[this.cum.length - 1]!;
  }

  isEmpty(): boolean {
    return this.los.length === 0;
  }

  *intervals(): IterableIterator<Interval> {
    for (let i = 0; i < this.los.length; i++) yield [this.los[i]!, this.his[i]!];
  }

  /** Index of the interval holding x, or -1. */
  private find(x: bigint): number {
    let lo = 0;
    let hi = this.los.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (x < this.los[mid]!) hi = mid - 1;
      else if (x > this.his[mid]!) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  has(x: bigint): boolean {
    return this.find(x) >= 0;
  }

  /** The k-th smallest member (0-based). */
  at(k: bigint): bigint {
    if (k < 0n || k >= this.size) throw new RangeError(`index ${k} outside 0..${this.size - 1n}`);
    let lo = 0;
    let hi = this.los.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.cum[mid]! <= k) lo = mid;
      else hi = mid - 1;
    }
    return this.los[lo]! + (k - this.cum[lo]!);
  }

  /** Rank of x among the members (how many members are smaller), when x is a member; else -1n. */
  rank(x: bigint): bigint {
    const i = this.find(x);
    return i < 0 ? -1n : this.cum[i]! + (x - this.los[i]!);
  }

  union(other: IntervalSet): IntervalSet {
    if (other.isEmpty()) return this;
    if (this.isEmpty()) return other;
    return IntervalSet.from([...this.intervals(), ...other.intervals()]);
  }

  intersect(other: IntervalSet): IntervalSet {
    const los: bigint[] = [];
    const his: bigint[] = [];
    let i = 0;
    let j = 0;
    while (i < this.los.length && j < other.los.length) {
      const lo = this.los[i]! > other.los[j]! ? this.los[i]! : other.los[j]!;
      const hi = this.his[i]! < other.his[j]! ? this.his[i]! : other.his[j]!;
      if (lo <= hi) {
        los.push(lo);
        his.push(hi);
      }
      if (this.his[i]! < other.his[j]!) i++;
      else j++;
    }
    return new IntervalSet(los, his);
  }

  subtract(other: IntervalSet): IntervalSet {
    if (other.isEmpty() || this.isEmpty()) return this;
    const los: bigint[] = [];
    const his: bigint[] = [];
    let j = 0;
    for (let i = 0; i < this.los.length; i++) {
      let lo = this.los[i]!;
      const hi = this.his[i]!;
      while (j < other.los.length && other.his[j]! < lo) j++;
      let k = j;
      while (lo <= hi) {
        if (k >= other.los.length || other.los[k]! > hi) {
          los.push(lo);
          his.push(hi);
          break;
        }
        if (other.los[k]! > lo) {
          los.push(lo);
          his.push(other.los[k]! - 1n);
        }
        lo = other.his[k]! + 1n;
        k++;
      }
    }
    return new IntervalSet(los, his);
  }

  equals(other: IntervalSet): boolean {
    if (this.los.length !== other.los.length) return false;
    for (let i = 0; i < this.los.length; i++) {
      if (this.los[i] !== other.los[i] || this.his[i] !== other.his[i]) return false;
    }
    return true;
  }
}

/** The fewest CIDR blocks covering exactly [lo, hi] in a space of `bits` bits, as [base, prefix]. */
export function intervalToCidrs(lo: bigint, hi: bigint, bits: number): Array<[bigint, number]> {
  const out: Array<[bigint, number]> = [];
  let cur = lo;
  while (cur <= hi) {
    // largest block aligned at cur that fits
    let size = 0;
    while (size < bits && (cur & ((1n << BigInt(size + 1)) - 1n)) === 0n && cur + (1n << BigInt(size + 1)) - 1n <= hi) {
      size++;
    }
    out.push([cur, bits - size]);
    cur += 1n << BigInt(size);
  }
  return out;
}
