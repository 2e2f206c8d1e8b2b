/**
 * Counting past a server-side cap on C-FIND answers. A capped answer (see `capReason`) is split
 * into disjoint StudyDate ranges, bisected until each answer is under the cap; a single day still
 * capped is split into StudyTime ranges, down to one second. Partitions never overlap, so their
 * counts add up without de-duplicating studies.
 *
 * Dates and times are range keys only: they are formatted from our own numbers, and the values a
 * peer returns are read in memory to check that it honoured the key, never kept.
 *
 * Counts are committed per leaf only: a capped answer is discarded (its children re-read it), so
 * memory does not grow with the number of studies. What cannot be matched by a range (studies
 * with no StudyDate, or no StudyTime on a capped day) is taken from the capped answer that saw
 * it, and the count is then a lower bound with a reason.
 */
import { performance } from 'node:perf_hooks';
import { statusClass } from '../../protocol/dimse/constants.ts';
import type { FindCaps } from '../../knowledge/find-caps.ts';

export type CapReason = 'our-cap' | 'server-cancel' | 'server-refused' | 'round-count';

/** Why a count is a lower bound. */
export type LowerBoundReason =
  | 'our-cap' // --max-matches reached (C-CANCEL sent)
  | 'query-budget' // the maximum number of C-FINDs was spent
  | 'deadline' // the time budget was spent
  | 'unsplittable' // a one-second partition is still capped
  | 'undated-studies' // studies without StudyDate were seen in a capped answer: only those seen are counted
  | 'untimed-studies' // same, without StudyTime on a capped day
  | 'key-not-honoured' // the peer returned studies outside the range asked: partitioning is pointless
  | 'partition-refused' // the peer refused a partition's query
  | 'connection-lost'
  | 'per-patient-capped'; // strict Patient Root walk (not partitioned) hit a cap

export interface FindOutcome {
  readonly matches: number;
  /** Final DIMSE status; null if the query never ended. */
  readonly finalStatus: number | null;
  /** We sent C-CANCEL at our own cap. */
  readonly cancelled: boolean;
}

/**
 * Whether an answer may be truncated: (c) we cancelled at our cap; (b) the peer says it stopped
 * (a status from find-caps.json, e.g. Cancel without our C-CANCEL, as Orthanc 1.10 does with
 * LimitFindResults, or Out of Resources); (a) the match count is a round number from
 * find-caps.json and the query ended with success or a warning.
 */
export function capReason(o: FindOutcome, caps: FindCaps): CapReason | null {
  if (o.cancelled) return 'our-cap';
  if (o.finalStatus === null) return null;
  if (caps.truncatingStatuses.has(o.finalStatus))
    return statusClass(o.finalStatus) === 'cancel' ? 'server-cancel' : 'server-refused';
  const c = statusClass(o.finalStatus);
  if ((c === 'success' || c === 'warning') && caps.roundCounts.has(o.matches)) return 'round-count';
  return null;
}

// --- Range keys -------------------------------------------------------------------------------

/** Inclusive range of integers: days since 1970-01-01 (UTC), or seconds of the day. */
export interface Range {
  readonly lo: number;
  readonly hi: number;
}

/** A partition: null means "no constraint" on that key. `seconds` only under a single day. */
export interface PartitionKey {
  readonly days: Range | null;
  readonly seconds: Range | null;
}

const MS_PER_DAY = 86_400_000;
const LAST_SECOND = 86_399;

export function dayNumber(year: number, month: number, day: number): number {
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day); // not Date.UTC: it maps years 0..99 to 19xx
  return Math.floor(t.getTime() / MS_PER_DAY);
}

export const MIN_DAY = dayNumber(1, 1, 1);
export const MAX_DAY = dayNumber(9999, 12, 31);
/** Where bisection starts: before it, and after tomorrow, are two open ranges. */
export const FIRST_LIKELY_DAY = dayNumber(1900, 1, 1);

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

export function formatDay(day: number): string {
  const t = new Date(day * MS_PER_DAY);
  return pad(t.getUTCFullYear(), 4) + pad(t.getUTCMonth() + 1, 2) + pad(t.getUTCDate(), 2);
}

export function formatSecond(s: number): string {
  return pad(Math.floor(s / 3600), 2) + pad(Math.floor(s / 60) % 60, 2) + pad(s % 60, 2);
}

/** DA range matching value (PS3.4 C.2.2.2.5): '' = universal; open ends where the range reaches the axis' ends. */
export function studyDateMatch(r: Range | null): string {
  if (r === null || (r.lo <= MIN_DAY && r.hi >= MAX_DAY)) return '';
  if (r.lo === r.hi) return formatDay(r.lo);
  if (r.lo <= MIN_DAY) return `-${formatDay(r.hi)}`;
  if (r.hi >= MAX_DAY) return `${formatDay(r.lo)}-`;
  return `${formatDay(r.lo)}-${formatDay(r.hi)}`;
}

/** TM range matching value. The upper bound takes the whole second (fractions up to .999999). */
export function studyTimeMatch(r: Range | null): string {
  if (r === null || (r.lo <= 0 && r.hi >= LAST_SECOND)) return '';
  if (r.hi >= LAST_SECOND) return `${formatSecond(r.lo)}-`;
  const hi = `${formatSecond(r.hi)}.999999`;
  return r.lo <= 0 ? `-${hi}` : `${formatSecond(r.lo)}-${hi}`;
}

/** YYYYMMDD (or the ACR-NEMA YYYY.MM.DD) to a day number; null if it is not a date. */
export function parseDay(v: string): number | null {
  const m = /^\s*(\d{4})\.?(\d{2})\.?(\d{2})\s*$/.exec(v);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31) return null;
  return dayNumber(y, mo, d);
}

/** HH[MM[SS[.F]]] (or HH:MM:SS) to the second of the day; null if it is not a time. */
export function parseSecond(v: string): number | null {
  const m = /^\s*(\d{2})(?::?(\d{2})(?::?(\d{2})(?:\.\d{0,6})?)?)?\s*$/.exec(v);
  if (!m) return null;
  const [h, mi, s] = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  if (h > 23 || mi > 59 || s > 60) return null;
  return Math.min(h * 3600 + mi * 60 + s, LAST_SECOND);
}

/** How a returned match relates to the partition it answered. */
export type MatchPlace = 'in' | 'without-next-key' | 'outside' | 'ignored';

/**
 * Classifies one match by the StudyDate/StudyTime it returned (values read, never kept):
 * - 'in': counts in this partition;
 * - 'without-next-key': counts here, and would be lost by the next split (no date at the root, no time on a day);
 * - 'ignored': cannot belong to a range partition (no date or time) though the peer returned it: counted elsewhere;
 * - 'outside': the peer did not honour the range.
 */
export function placeMatch(key: PartitionKey, date: string | null, time: string | null): MatchPlace {
  const day = date === null ? null : parseDay(date);
  if (key.days === null) return date === null ? 'without-next-key' : 'in';
  if (date === null) return 'ignored';
  if (day !== null && (day < key.days.lo || day > key.days.hi)) return 'outside';
  const singleDay = key.days.lo === key.days.hi;
  if (!singleDay) return 'in';
  if (key.seconds === null) return time === null ? 'without-next-key' : 'in';
  if (time === null) return 'ignored';
  const s = parseSecond(time);
  if (s !== null && (s < key.seconds.lo || s > key.seconds.hi)) return 'outside';
  return 'in';
}

/** The disjoint partitions a capped one splits into; null when it cannot be split further. */
export function split(key: PartitionKey, today: number): PartitionKey[] | null {
  const halves = (r: Range): [Range, Range] => {
    const mid = Math.floor((r.lo + r.hi) / 2);
    return [
      { lo: r.lo, hi: mid },
      { lo: mid + 1, hi: r.hi },
    ];
  };
  if (key.days === null) {
    const last = Math.min(today + 1, MAX_DAY - 1);
    return [
      { lo: MIN_DAY, hi: FIRST_LIKELY_DAY - 1 },
      { lo: FIRST_LIKELY_DAY, hi: last },
      { lo: last + 1, hi: MAX_DAY },
    ].map((days) => ({ days, seconds: null }));
  }
  if (key.days.lo < key.days.hi) return halves(key.days).map((days) => ({ days, seconds: null }));
  const seconds = key.seconds ?? { lo: 0, hi: LAST_SECOND };
  if (seconds.lo >= seconds.hi) return null;
  return halves(seconds).map((s) => ({ days: key.days, seconds: s }));
}

// --- The walk ---------------------------------------------------------------------------------

/** What one partition's query tallied; the caller's own type carries the counts. */
export interface PartitionTally {
  /** Matches counted for this partition ('in' and 'without-next-key'). */
  readonly counted: number;
  /** Of those, matches without the next split's key. */
  readonly withoutNextKey: number;
  /** Matches outside the range asked. */
  readonly outside: number;
}

export interface PartitionSource<T extends PartitionTally> {
  /** One C-FIND for `key`, tallied into a fresh T; null when the association is gone. */
  query(key: PartitionKey): Promise<{ outcome: FindOutcome; tally: T } | null>;
  /** Adds a leaf's count ('all'), or only its matches without the next key, to the result. */
  commit(tally: T, part: 'all' | 'without-next-key'): void;
}

export interface PartitionOptions {
  readonly caps: FindCaps;
  /** Most C-FINDs the walk may send. */
  readonly maxQueries: number;
  /** performance.now() after which no new query is sent. */
  readonly deadlineAt: number;
  /** Day number of today (the upper end of the bisected range is tomorrow). */
  readonly today: number;
  readonly now?: () => number;
}

export interface PartitionReport {
  /** C-FINDs sent. */
  readonly queries: number;
  /** Partitions whose counts were added up (1 when the first answer was complete). */
  readonly partitions: number;
  /** Deepest split (0: no split). */
  readonly maxDepth: number;
  /** Why the first capped answer was judged capped; null if none was. */
  readonly capDetected: CapReason | null;
  /** The sum is the exact count (every partition answered completely). */
  readonly exact: boolean;
  readonly lowerBoundReasons: readonly LowerBoundReason[];
  /** The first (universal) query's outcome. */
  readonly first: FindOutcome | null;
  /** The first query was answered (matched something or ended with success), or a partition was. */
  readonly answered: boolean;
}

/** Empty Out-of-Resources answers in a row after which the walk stops: deeper than any split (≤ 22 date + 17 time levels). */
const MAX_REFUSED_IN_A_ROW = 48;

const answeredClass = (s: number | null): boolean =>
  s !== null && (statusClass(s) === 'success' || statusClass(s) === 'warning');

/**
 * Depth-first over the partitions: the stack holds at most two or three siblings per level, so
 * the walk's memory is bounded by the depth (≤ ~40), never by the number of studies.
 */
export async function partitionedCount<T extends PartitionTally>(
  source: PartitionSource<T>,
  opts: PartitionOptions,
): Promise<PartitionReport> {
  const now = opts.now ?? (() => performance.now());
  const reasons = new Set<LowerBoundReason>();
  let queries = 0;
  let partitions = 0;
  let maxDepth = 0;
  let capDetected: CapReason | null = null;
  let first: FindOutcome | null = null;
  let answered = false;
  let refusedInARow = 0;
  const stack: Array<{ key: PartitionKey; depth: number }> = [{ key: { days: null, seconds: null }, depth: 0 }];
  const leaf = (tally: T): void => {
    source.commit(tally, 'all');
    partitions += 1;
  };
  while (stack.length > 0) {
    if (queries >= opts.maxQueries) {
      reasons.add('query-budget');
      break;
    }
    if (now() >= opts.deadlineAt) {
      reasons.add('deadline');
      break;
    }
    const { key, depth } = stack.pop()!;
    queries += 1;
    maxDepth = Math.max(maxDepth, depth);
    const r = await source.query(key);
    if (r === null) {
      reasons.add('connection-lost');
      break;
    }
    const { outcome, tally } = r;
    first ??= outcome;
    if (outcome.matches > 0 || answeredClass(outcome.finalStatus)) answered = true;
    if (tally.outside > 0) {
      // The peer ignores the range: more splits would only re-read the same cap.
      reasons.add('key-not-honoured');
      break;
    }
    const cap = capReason(outcome, opts.caps);
    if (cap === null) {
      refusedInARow = 0;
      if (depth === 0 && !answered) break; // refused outright: nothing to count
      leaf(tally);
      if (!answeredClass(outcome.finalStatus)) reasons.add('partition-refused');
      continue;
    }
    if (cap === 'our-cap') {
      leaf(tally);
      reasons.add('our-cap');
      break;
    }
    if (cap === 'server-refused' && outcome.matches === 0 && ++refusedInARow > MAX_REFUSED_IN_A_ROW) {
      // A peer that refuses every query, however narrow: stop asking.
      reasons.add('partition-refused');
      break;
    }
    if (outcome.matches > 0) refusedInARow = 0;
    capDetected ??= cap;
    const children = split(key, opts.today);
    if (children === null) {
      leaf(tally);
      reasons.add('unsplittable');
      continue;
    }
    const newKey = key.days === null || (key.days.lo === key.days.hi && key.seconds === null);
    if (newKey && tally.withoutNextKey > 0) {
      source.commit(tally, 'without-next-key');
      reasons.add(key.days === null ? 'undated-studies' : 'untimed-studies');
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push({ key: children[i]!, depth: depth + 1 });
  }
  if (stack.length > 0 && reasons.size === 0) reasons.add('query-budget');
  return {
    queries,
    partitions,
    maxDepth,
    capDetected,
    exact: reasons.size === 0 && answered,
    lowerBoundReasons: [...reasons],
    first,
    answered,
  };
}
