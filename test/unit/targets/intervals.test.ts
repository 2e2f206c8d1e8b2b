import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IntervalSet, intervalToCidrs, type Interval } from '../../../src/targets/intervals.ts';

const interval = fc
  .tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 20 }))
  .map(([a, l]) => [BigInt(a), BigInt(a + l)] as Interval);
const members = (s: IntervalSet) => {
  const out: bigint[] = [];
  for (const [lo, hi] of s.intervals()) for (let x = lo; x <= hi; x++) out.push(x);
  return out;
};
const naive = (list: Interval[]) => {
  const set = new Set<bigint>();
  for (const [lo, hi] of list) for (let x = lo; x <= hi; x++) set.add(x);
  return set;
};

test('property: set algebra, membership, at and rank agree with a naive model', () => {
  fc.assert(
    fc.property(fc.array(interval, { maxLength: 8 }), fc.array(interval, { maxLength: 8 }), (a, b) => {
      const A = IntervalSet.from(a);
      const B = IntervalSet.from(b);
      const na = naive(a);
      const nb = naive(b);
      const sorted = (s: Set<bigint>) => [...s].sort((x, y) => (x < y ? -1 : 1));
      assert.deepEqual(members(A), sorted(na));
      assert.equal(A.size, BigInt(na.size));
      assert.deepEqual(members(A.union(B)), sorted(new Set([...na, ...nb])));
      assert.deepEqual(members(A.subtract(B)), sorted(new Set([...na].filter((x) => !nb.has(x)))));
      assert.deepEqual(members(A.intersect(B)), sorted(new Set([...na].filter((x) => nb.has(x)))));
      const list = sorted(na);
      list.forEach((x, i) => {
        assert.equal(A.at(BigInt(i)), x);
        assert.equal(A.rank(x), BigInt(i));
      });
      for (let x = 0n; x < 230n; x++) assert.equal(A.has(x), na.has(x));
      // stored intervals are disjoint and not adjacent
      const iv = [...A.intervals()];
      for (let i = 1; i < iv.length; i++) assert.ok(iv[i]![0] > iv[i - 1]![1] + 1n);
    }),
    { numRuns: 300 },
  );
});

test('errors and empties', () => {
  assert.throws(() => IntervalSet.from([[5n, 4n]]), RangeError);
  assert.throws(() => IntervalSet.from([[1n, 2n]]).at(2n), RangeError);
  assert.equal(IntervalSet.EMPTY.size, 0n);
  assert.equal(IntervalSet.from([[1n, 3n]]).rank(9n), -1n);
});

test('intervals to CIDR blocks', () => {
  assert.deepEqual(intervalToCidrs(0n, 255n, 32), [[0n, 24]]);
  assert.deepEqual(intervalToCidrs(1n, 6n, 32), [
    [1n, 32],
    [2n, 31],
    [4n, 31],
    [6n, 32],
  ]);
  assert.deepEqual(intervalToCidrs(0n, (1n << 128n) - 1n, 128), [[0n, 0]]);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (a, l) => {
      const lo = BigInt(a);
      const hi = BigInt(a + l);
      let next = lo;
      for (const [base, len] of intervalToCidrs(lo, hi, 32)) {
        const size = 1n << BigInt(32 - len);
        assert.equal(base, next);
        assert.equal(base % size, 0n, 'aligned');
        next = base + size;
      }
      assert.equal(next, hi + 1n);
    }),
  );
});
