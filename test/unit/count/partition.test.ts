import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FIRST_LIKELY_DAY,
  MAX_DAY,
  MIN_DAY,
  capReason,
  dayNumber,
  formatDay,
  parseDay,
  parseSecond,
  partitionedCount,
  placeMatch,
  split,
  studyDateMatch,
  studyTimeMatch,
  type PartitionKey,
} from '../../../src/probes/dicom/partition.ts';
import { findCaps, parseFindCaps } from '../../../src/knowledge/find-caps.ts';
import { FakeArchive, TEST_CAPS, type CapStyle, type FakeStudy } from './fake-archive.ts';

const TODAY = dayNumber(2026, 11, 29);
const opts = (over: Partial<Parameters<typeof partitionedCount>[1]> = {}) => ({
  caps: TEST_CAPS,
  maxQueries: 2_000,
  deadlineAt: Number.POSITIVE_INFINITY,
  today: TODAY,
  ...over,
});

test('find-caps.json loads, with 500 as a round cap and Cancel / Out of Resources as truncating statuses', () => {
  const caps = findCaps();
  for (const n of [100, 500, 1000, 10_000]) assert.ok(caps.roundCounts.has(n), String(n));
  assert.ok(!caps.roundCounts.has(7));
  assert.ok(caps.truncatingStatuses.has(0xfe00) && caps.truncatingStatuses.has(0xa700));
  assert.throws(() => parseFindCaps({ version: 1, caps: [{ value: 100 }], statuses: [] }), /needs a source|non-empty/);
  assert.throws(() => parseFindCaps({ version: 2 }), /version 1/);
});

test('cap detection: round count with success, server Cancel or Out of Resources, our own C-CANCEL', () => {
  const caps = findCaps();
  const o = (matches: number, finalStatus: number | null, cancelled = false) => ({ matches, finalStatus, cancelled });
  assert.equal(capReason(o(500, 0x0000), caps), 'round-count');
  assert.equal(capReason(o(1000, 0xb000), caps), 'round-count', 'a warning is still a completed answer');
  assert.equal(capReason(o(499, 0x0000), caps), null);
  assert.equal(capReason(o(0, 0x0000), caps), null);
  assert.equal(capReason(o(500, 0xc001), caps), null, 'a failure is not a cap');
  assert.equal(capReason(o(7, 0xfe00), caps), 'server-cancel', 'Orthanc LimitFindResults');
  assert.equal(capReason(o(0, 0xa700), caps), 'server-refused');
  assert.equal(capReason(o(12, 0xa700), caps), 'server-refused');
  assert.equal(capReason(o(3, 0xfe00, true), caps), 'our-cap');
  assert.equal(capReason(o(3, null, true), caps), 'our-cap');
});

test('date and time keys: formats, open ends, round trips', () => {
  assert.equal(formatDay(dayNumber(1, 1, 1)), '00010101');
  assert.equal(formatDay(dayNumber(9999, 12, 31)), '99991231');
  assert.equal(formatDay(dayNumber(2024, 2, 29)), '20240229');
  assert.equal(studyDateMatch(null), '');
  assert.equal(studyDateMatch({ lo: MIN_DAY, hi: MAX_DAY }), '');
  assert.equal(studyDateMatch({ lo: MIN_DAY, hi: FIRST_LIKELY_DAY - 1 }), '-18991231');
  assert.equal(studyDateMatch({ lo: dayNumber(2026, 12, 1), hi: MAX_DAY }), '20261201-');
  assert.equal(studyDateMatch({ lo: dayNumber(2020, 1, 1), hi: dayNumber(2020, 12, 31) }), '20200101-20201231');
  assert.equal(studyDateMatch({ lo: dayNumber(2020, 1, 1), hi: dayNumber(2020, 1, 1) }), '20200101');
  assert.equal(studyTimeMatch({ lo: 0, hi: 43_199 }), '-115959.999999');
  assert.equal(studyTimeMatch({ lo: 43_200, hi: 86_399 }), '120000-');
  assert.equal(studyTimeMatch({ lo: 3_600, hi: 3_600 }), '010000-010000.999999');
  assert.equal(parseDay('20200229'), dayNumber(2020, 2, 29));
  assert.equal(parseDay('2020.02.29'), dayNumber(2020, 2, 29));
  assert.equal(parseDay('garbage'), null);
  assert.equal(parseSecond('103000.123'), 37_800);
  assert.equal(parseSecond('10'), 36_000);
  assert.equal(parseSecond('10:30:00'), 37_800);
  assert.equal(parseSecond('99'), null);
});

test('splits are disjoint and cover their parent; a single second does not split', () => {
  const root = split({ days: null, seconds: null }, TODAY)!;
  assert.equal(root.length, 3);
  assert.equal(root[0]!.days!.lo, MIN_DAY);
  assert.equal(root[2]!.days!.hi, MAX_DAY);
  for (let i = 1; i < root.length; i++) assert.equal(root[i]!.days!.lo, root[i - 1]!.days!.hi + 1);
  assert.ok(root[1]!.days!.hi > TODAY, 'tomorrow is inside the bisected range');
  const [a, b] = split({ days: { lo: 10, hi: 20 }, seconds: null }, TODAY)!;
  assert.deepEqual(
    [a!.days, b!.days],
    [
      { lo: 10, hi: 15 },
      { lo: 16, hi: 20 },
    ],
  );
  const day = split({ days: { lo: 10, hi: 10 }, seconds: null }, TODAY)!;
  assert.deepEqual(
    day.map((k) => k.seconds),
    [
      { lo: 0, hi: 43_199 },
      { lo: 43_200, hi: 86_399 },
    ],
  );
  assert.equal(split({ days: { lo: 10, hi: 10 }, seconds: { lo: 5, hi: 5 } }, TODAY), null);
});

test('placeMatch: where a returned match counts, and a peer that ignores the range', () => {
  const d = dayNumber(2021, 6, 15);
  const dayKey: PartitionKey = { days: { lo: d, hi: d }, seconds: null };
  assert.equal(placeMatch({ days: null, seconds: null }, null, null), 'without-next-key');
  assert.equal(placeMatch({ days: null, seconds: null }, '20210615', null), 'in');
  assert.equal(placeMatch({ days: { lo: d, hi: d + 9 }, seconds: null }, null, '1200'), 'ignored');
  assert.equal(placeMatch({ days: { lo: d, hi: d + 9 }, seconds: null }, '20210614', null), 'outside');
  assert.equal(placeMatch(dayKey, '20210615', null), 'without-next-key');
  assert.equal(placeMatch(dayKey, '20210615', '101010'), 'in');
  assert.equal(placeMatch({ ...dayKey, seconds: { lo: 0, hi: 100 } }, '20210615', '000141'), 'outside');
  assert.equal(placeMatch({ ...dayKey, seconds: { lo: 0, hi: 100 } }, '20210615', '000140.999'), 'in');
  assert.equal(placeMatch({ ...dayKey, seconds: { lo: 0, hi: 100 } }, '20210615', null), 'ignored');
});

/** `n` studies on `days` distinct days from 1990, `perSecond` studies sharing each second. */
function spread(n: number, days: number, perSecond = 1): FakeStudy[] {
  const base = dayNumber(1990, 1, 1);
  return Array.from({ length: n }, (_, i) => ({
    day: base + ((i * 7919) % days) * 3,
    second: Math.floor(i / perSecond) % 86_400,
    patient: i % 97,
  }));
}

for (const style of ['cancel', 'silent', 'refuse'] as const satisfies readonly CapStyle[]) {
  test(`bisection (${style} cap): 20 000 studies under a cap of 500 counted exactly, depth bounded`, async () => {
    const archive = new FakeArchive(spread(20_000, 5_000), 500, style);
    const r = await partitionedCount(archive.source(), opts());
    assert.equal(archive.counted, 20_000);
    assert.equal(r.exact, true);
    assert.deepEqual(r.lowerBoundReasons, []);
    assert.equal(
      r.capDetected,
      style === 'cancel' ? 'server-cancel' : style === 'silent' ? 'round-count' : 'server-refused',
    );
    assert.equal(r.queries, archive.queries);
    assert.ok(r.maxDepth <= 20, `depth ${r.maxDepth}`);
    assert.ok(r.partitions >= 40 && r.queries < 2 * r.partitions + 40, `${r.queries} queries, ${r.partitions} parts`);
  });
}

test('a single day above the cap is split by time; a single second above it is a lower bound', async () => {
  const d = dayNumber(2021, 6, 15);
  const studies: FakeStudy[] = [
    ...Array.from({ length: 30 }, (_, i) => ({ day: d, second: i * 600, patient: i })),
    { day: d, second: 50_000, patient: 1 },
    { day: d, second: 50_000, patient: 2 },
    { day: d, second: 50_000, patient: 3 },
    { day: d + 400, second: 1, patient: 4 },
  ];
  const exact = new FakeArchive(studies.slice(0, 30).concat(studies.slice(-1)), 4, 'cancel');
  const r1 = await partitionedCount(exact.source(), opts());
  assert.equal(exact.counted, 31);
  assert.equal(r1.exact, true);
  const over = new FakeArchive(studies, 2, 'cancel');
  const r2 = await partitionedCount(over.source(), opts());
  assert.deepEqual(r2.lowerBoundReasons, ['unsplittable']);
  assert.equal(r2.exact, false);
  assert.equal(over.counted, 33, 'the three at one second counted as the two the cap showed');
});

test('studies without a date or a time seen in a capped answer are added, and mark a lower bound', async () => {
  const d = dayNumber(2021, 6, 15);
  const studies: FakeStudy[] = [
    { day: null, second: null, patient: 0 },
    { day: null, second: 5, patient: 1 },
    ...Array.from({ length: 8 }, (_, i) => ({ day: d + i, second: 100, patient: i })),
    { day: d, second: null, patient: 9 },
    { day: d, second: 7, patient: 9 },
    { day: d, second: 8, patient: 9 },
  ];
  const archive = new FakeArchive(studies, 3, 'cancel');
  const r = await partitionedCount(archive.source(), opts());
  assert.deepEqual([...r.lowerBoundReasons].sort(), ['undated-studies', 'untimed-studies']);
  assert.equal(archive.counted, studies.length, 'here the capped answers happened to show every one of them');
});

test('the query bound is respected and reported', async () => {
  const archive = new FakeArchive(spread(20_000, 5_000), 500, 'cancel');
  const r = await partitionedCount(archive.source(), opts({ maxQueries: 25 }));
  assert.equal(r.queries, 25);
  assert.equal(archive.queries, 25);
  assert.deepEqual(r.lowerBoundReasons, ['query-budget']);
  assert.equal(r.exact, false);
  assert.ok(archive.counted < 20_000);
});

test('the deadline is respected and reported', async () => {
  const archive = new FakeArchive(spread(5_000, 1_000), 100, 'cancel');
  let t = 0;
  const r = await partitionedCount(archive.source(), opts({ deadlineAt: 10, now: () => t++ }));
  assert.equal(r.queries, 10);
  assert.deepEqual(r.lowerBoundReasons, ['deadline']);
});

test('a peer that refuses every query with Out of Resources is not asked forever', async () => {
  const r = await partitionedCount(
    {
      query: async () => ({
        outcome: { matches: 0, finalStatus: 0xa700, cancelled: false },
        tally: { counted: 0, withoutNextKey: 0, outside: 0 },
      }),
      commit: (t) => assert.equal(t.counted, 0),
    },
    opts(),
  );
  assert.ok(r.queries <= 50, `${r.queries} queries`);
  assert.ok(r.lowerBoundReasons.length > 0);
  assert.equal(r.answered, false);
  assert.equal(r.exact, false);
});

test('a peer that ignores the date range stops the walk at once', async () => {
  let n = 0;
  const r = await partitionedCount(
    {
      query: async () => ({
        outcome: { matches: 7, finalStatus: 0xfe00, cancelled: false },
        tally: { counted: 7, withoutNextKey: 0, outside: n++ === 0 ? 0 : 7 },
      }),
      commit: () => {},
    },
    opts(),
  );
  assert.equal(r.queries, 2);
  assert.deepEqual(r.lowerBoundReasons, ['key-not-honoured']);
});

test('a refused root query is not a count', async () => {
  const r = await partitionedCount(
    {
      query: async () => ({
        outcome: { matches: 0, finalStatus: 0xc000, cancelled: false },
        tally: { counted: 0, withoutNextKey: 0, outside: 0 },
      }),
      commit: () => assert.fail('nothing to commit'),
    },
    opts(),
  );
  assert.equal(r.queries, 1);
  assert.equal(r.answered, false);
  assert.equal(r.partitions, 0);
});

test('property: for random date distributions and caps, the partitioned count equals the truth', async () => {
  const day0 = dayNumber(1950, 1, 1);
  const study = fc.record({
    day: fc.oneof(
      fc.integer({ min: 0, max: 30_000 }).map((d) => day0 + d),
      fc.constantFrom(day0 + 20_000, day0 + 20_001), // clusters on a few days
      fc.constantFrom(MIN_DAY + 3, dayNumber(1899, 12, 31), TODAY + 1, TODAY + 2, MAX_DAY), // at the axis' ends
    ),
    second: fc.integer({ min: 0, max: 86_399 }),
    patient: fc.integer({ min: 0, max: 50 }),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(study, { maxLength: 600, size: 'max' }),
      fc.constantFrom<CapStyle>('cancel', 'silent', 'refuse'),
      fc.integer({ min: 1, max: 120 }),
      async (studies, style, n) => {
        // A silent cap must be a round number to be recognised; the others may be anything.
        const cap = style === 'silent' ? 100 : n;
        // At most `cap` studies share one second, or no partition could ever be complete.
        const perSecond = new Map<number, number>();
        const kept = studies.filter((s) => {
          const k = s.day * 86_400 + s.second;
          const c = (perSecond.get(k) ?? 0) + 1;
          perSecond.set(k, c);
          return c <= cap;
        });
        const archive = new FakeArchive(kept, cap, style);
        const r = await partitionedCount(archive.source(), opts());
        assert.equal(archive.counted, kept.length);
        assert.equal(r.exact || kept.length === 0 || (style === 'refuse' && !r.answered), true);
        if (kept.length > cap) assert.ok(r.capDetected !== null);
        assert.ok(r.queries <= 2_000);
      },
    ),
    { numRuns: 150 },
  );
});
