/**
 * An in-memory archive answering partition queries the way capped servers do, for the driver's
 * unit tests: studies sorted by (day, second), ranges found by binary search, so a query costs
 * O(log n + cap) whatever the archive's size.
 */
import { Status } from '../../../src/protocol/dimse/constants.ts';
import type { FindCaps } from '../../../src/knowledge/find-caps.ts';
import type {
  FindOutcome,
  PartitionKey,
  PartitionSource,
  PartitionTally,
  Range,
} from '../../../src/probes/dicom/partition.ts';

export interface FakeStudy {
  /** Day number, or null: no StudyDate. */
  readonly day: number | null;
  /** Second of the day, or null: no StudyTime. */
  readonly second: number | null;
  readonly patient: number;
}

/** 'cancel': Orthanc 1.10 (cap, then 0xFE00); 'silent': cap, then success; 'refuse': 0xA700 and nothing. */
export type CapStyle = 'cancel' | 'silent' | 'refuse';

export class SimpleTally implements PartitionTally {
  counted = 0;
  withoutNextKey = 0;
  outside = 0;
}

const key = (s: FakeStudy): number => (s.day ?? -1e9) * 100_000 + (s.second ?? -1);

export class FakeArchive {
  readonly studies: FakeStudy[];
  readonly cap: number;
  readonly style: CapStyle;
  queries = 0;
  /** Studies committed by the driver. */
  counted = 0;
  private readonly keys: number[];

  constructor(studies: readonly FakeStudy[], cap: number, style: CapStyle) {
    this.studies = [...studies].sort((a, b) => key(a) - key(b));
    this.keys = this.studies.map(key);
    this.cap = cap;
    this.style = style;
  }

  private lowerBound(k: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Indices [from, to) of the studies a key matches (a range never matches an empty value). */
  matching(k: PartitionKey): { from: number; to: number } {
    if (k.days === null) return { from: 0, to: this.studies.length };
    const d: Range = k.days;
    if (k.seconds === null)
      return { from: this.lowerBound(d.lo * 100_000 - 1), to: this.lowerBound((d.hi + 1) * 100_000 - 1) };
    return {
      from: this.lowerBound(d.lo * 100_000 + k.seconds.lo),
      to: this.lowerBound(d.lo * 100_000 + k.seconds.hi + 1),
    };
  }

  answer(k: PartitionKey): { outcome: FindOutcome; seen: FakeStudy[] } {
    this.queries += 1;
    const { from, to } = this.matching(k);
    const n = to - from;
    // With k.days set, the studies without a date sort first and are never in [from, to).
    if (n <= this.cap) {
      return {
        outcome: { matches: n, finalStatus: Status.Success, cancelled: false },
        seen: this.studies.slice(from, to),
      };
    }
    if (this.style === 'refuse') return { outcome: { matches: 0, finalStatus: 0xa700, cancelled: false }, seen: [] };
    return {
      outcome: {
        matches: this.cap,
        finalStatus: this.style === 'cancel' ? Status.Cancel : Status.Success,
        cancelled: false,
      },
      seen: this.studies.slice(from, from + this.cap),
    };
  }

  source(): PartitionSource<SimpleTally> {
    return {
      query: async (k) => {
        const { outcome, seen } = this.answer(k);
        const t = new SimpleTally();
        for (const s of seen) {
          t.counted += 1;
          if (k.days === null ? s.day === null : k.days.lo === k.days.hi && k.seconds === null && s.second === null)
            t.withoutNextKey += 1;
        }
        return { outcome, tally: t };
      },
      commit: (t, part) => {
        this.counted += part === 'all' ? t.counted : t.withoutNextKey;
      },
    };
  }
}

export const TEST_CAPS: FindCaps = {
  roundCounts: new Set([100, 200, 250, 500, 1000]),
  truncatingStatuses: new Set([0xfe00, 0xa700]),
};
