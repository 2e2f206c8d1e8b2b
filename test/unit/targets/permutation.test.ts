import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Permutation, isqrt } from '../../../src/targets/permutation.ts';

function image(p: Permutation): bigint[] {
  const out: bigint[] = [];
  for (let i = 0n; i < p.size; i++) out.push(p.at(i));
  return out;
}

function assertBijective(p: Permutation): void {
  const seen = new Uint8Array(Number(p.size));
  for (let i = 0n; i < p.size; i++) {
    const x = p.at(i);
    assert.ok(x >= 0n && x < p.size, `index ${x} outside [0, ${p.size})`);
    assert.equal(seen[Number(x)], 0, `index ${x} produced twice (size ${p.size})`);
    seen[Number(x)] = 1;
  }
}

test('bijective on every size from 0 to 600, number and bigint arithmetic', () => {
  for (let n = 0n; n <= 600n; n++) {
    assertBijective(new Permutation(n, 'seed'));
    assertBijective(new Permutation(n, 7n, { arithmetic: 'bigint' }));
  }
});

test('bijective on larger awkward sizes (primes, powers of two and their neighbours)', () => {
  for (const n of [4095n, 4096n, 4097n, 65_521n, 65_536n, 65_537n, 254n * 254n, 100_003n]) {
    assertBijective(new Permutation(n, n));
  }
  for (const n of [4097n, 10_007n]) assertBijective(new Permutation(n, 'x', { arithmetic: 'bigint' }));
});

test('property: bijective for random sizes, seeds and round counts', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3000 }),
      fc.oneof(fc.integer(), fc.string()),
      fc.integer({ min: 1, max: 8 }),
      (n, seed, rounds) => {
        assertBijective(new Permutation(BigInt(n), seed, { rounds }));
      },
    ),
    { numRuns: 60 },
  );
});

test('number and bigint arithmetic give the same permutation', () => {
  for (const n of [1n, 2n, 97n, 1000n, 12_345n]) {
    assert.deepEqual(image(new Permutation(n, 5)), image(new Permutation(n, 5, { arithmetic: 'bigint' })));
  }
});

test('deterministic for a seed, different across seeds, and actually shuffled', () => {
  const a = image(new Permutation(10_000n, 42));
  assert.deepEqual(a, image(new Permutation(10_000n, 42)));
  const b = image(new Permutation(10_000n, 43));
  assert.notDeepEqual(a, b);
  // few fixed points, and consecutive positions land far apart
  const fixed = a.filter((x, i) => x === BigInt(i)).length;
  assert.ok(fixed < 20, `${fixed} fixed points`);
  let near = 0;
  for (let i = 1; i < a.length; i++) if ((a[i]! > a[i - 1]! ? a[i]! - a[i - 1]! : a[i - 1]! - a[i]!) < 10n) near++;
  assert.ok(near < 100, `${near} consecutive pairs within 10 of each other`);
});

test('huge domains (an IPv6 /64, all of IPv6): in range, O(1) per position', () => {
  for (const n of [1n << 64n, (1n << 128n) + (1n << 32n) + 3n]) {
    const p = new Permutation(n, 'big');
    const seen = new Set<bigint>();
    for (let i = 0n; i < 2000n; i++) {
      const x = p.at(i);
      assert.ok(x >= 0n && x < n);
      seen.add(x);
    }
    assert.equal(seen.size, 2000);
    assert.ok(p.at(n - 1n) < n);
  }
  assert.throws(() => new Permutation(10n, 1).at(10n), RangeError);
  assert.throws(() => new Permutation(1n << 60n, 1).atNumber(0), RangeError);
});

test('isqrt', () => {
  for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, (1n << 64n) - 1n, 1n << 64n, (1n << 129n) + 12345n]) {
    const r = isqrt(n);
    assert.ok(r * r <= n && (r + 1n) * (r + 1n) > n, `isqrt(${n})`);
  }
});
