import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MIN_SHARD_SIZE,
  parseShardData,
  shardCount,
  shardJobId,
  shardSize,
  shards,
} from '../../../src/distributed/shards.ts';

test('shards cover [0, total) exactly once, in order, each at most the size', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 1n, max: 10n ** 11n }), (total, size) => {
      fc.pre(total / size < 5000n);
      let next = 0n;
      let n = 0;
      for (const s of shards(total, size)) {
        assert.equal(s.start, next);
        assert.ok(s.end > s.start && s.end - s.start <= size);
        assert.equal(s.index, n);
        next = s.end;
        n += 1;
      }
      assert.equal(next, total);
      assert.equal(n, shardCount(total, size));
    }),
  );
});

test('default size: at least 256 positions, about workers × 16 shards for big scans', () => {
  assert.equal(shardSize(100n), MIN_SHARD_SIZE);
  assert.equal(shardCount(100n, shardSize(100n)), 1);
  const national = 16_777_216n * 5n;
  const size = shardSize(national);
  assert.equal(shardCount(national, size), 256);
  assert.equal(shardCount(national, shardSize(national, { workersHint: 100 })), 1600);
  assert.equal(shardSize(national, { size: 7n }), 7n);
  assert.throws(() => shardSize(10n, { size: 0n }), RangeError);
});

test('job ids are stable per (scan, shard), distinct otherwise, and valid UUIDs', () => {
  const a = shardJobId('scan-1', 0);
  assert.equal(a, shardJobId('scan-1', 0));
  assert.notEqual(a, shardJobId('scan-1', 1));
  assert.notEqual(a, shardJobId('scan-2', 0));
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('job data is validated, not trusted', () => {
  assert.deepEqual(parseShardData({ scanId: 's', start: '10', end: '20' }), { scanId: 's', start: 10n, end: 20n });
  assert.deepEqual(parseShardData({ scanId: 's', start: '0', end: '99999999999999999999' }).end, 99999999999999999999n);
  for (const bad of [
    null,
    {},
    { scanId: 's', start: '1', end: '1' },
    { scanId: 's', start: '-1', end: '2' },
    { scanId: 's', start: '01', end: '2' },
    { scanId: '', start: '0', end: '1' },
    { scanId: 's', start: 0, end: 1 },
  ])
    assert.throws(() => parseShardData(bad), Error);
});
