import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countWithHeap, shapeOf } from './count-memory.ts';

test('counting 100 vs 4 000 studies under a cap of 500: exact, and the heap does not grow with the studies', async () => {
  const small = await countWithHeap(shapeOf(100));
  const big = await countWithHeap(shapeOf(4_000));
  for (const [r, n] of [
    [small, 100],
    [big, 4_000],
  ] as const) {
    assert.equal(r.facts.studies, n);
    assert.equal(r.facts.patients, 100);
    assert.equal(r.facts.instances, 3 * n);
    assert.equal(r.facts.capped, false);
  }
  assert.equal(big.facts.capDetected, 'server-cancel');
  assert.ok(big.facts.partitions >= 12, `partitions ${big.facts.partitions}`);
  // Anything kept per study (a UID, a tally entry: ≥ 50 bytes) would show as ≥ 200 KB here.
  const perStudy = (big.peakHeapGrowth - small.peakHeapGrowth) / (4_000 - 100);
  assert.ok(
    perStudy < 25,
    `heap growth ${perStudy.toFixed(1)} B/study (${big.peakHeapGrowth} vs ${small.peakHeapGrowth})`,
  );
});
