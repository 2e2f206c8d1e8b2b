import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runPool, type PoolItem } from '../../../src/scan/work-pool.ts';

interface Item extends PoolItem {
  readonly ms: number;
}

async function* items(list: readonly Item[], pulled?: { n: number }): AsyncGenerator<Item> {
  for (const i of list) {
    if (pulled) pulled.n += 1;
    yield i;
  }
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('never more than `concurrency` at once, never more than `perKey` per key, every item once', async () => {
  const list: Item[] = Array.from({ length: 60 }, (_, i) => ({
    position: BigInt(i),
    key: `h${i % 4}`,
    ms: (i * 7) % 5,
  }));
  let running = 0;
  let peak = 0;
  const perKey = new Map<string, number>();
  let peakPerKey = 0;
  const seen: bigint[] = [];
  const r = await runPool(items(list), { concurrency: 3, perKey: 1 }, async (it) => {
    running += 1;
    peak = Math.max(peak, running);
    perKey.set(it.key, (perKey.get(it.key) ?? 0) + 1);
    peakPerKey = Math.max(peakPerKey, perKey.get(it.key)!);
    await tick(it.ms);
    perKey.set(it.key, perKey.get(it.key)! - 1);
    running -= 1;
    seen.push(it.position);
  });
  assert.equal(r.finished, 60);
  assert.equal(peak, 3);
  assert.equal(peakPerKey, 1);
  assert.deepEqual(
    [...seen].sort((a, b) => Number(a - b)),
    list.map((i) => i.position),
  );
});

test('a busy key does not block other keys, and the read-ahead window is bounded', async () => {
  // Ten items of one slow host, then items of other hosts.
  const list: Item[] = [
    ...Array.from({ length: 10 }, (_, i) => ({ position: BigInt(i), key: 'slow', ms: 20 })),
    ...Array.from({ length: 10 }, (_, i) => ({ position: BigInt(10 + i), key: `fast${i}`, ms: 1 })),
  ];
  const pulled = { n: 0 };
  let maxAhead = 0;
  const order: string[] = [];
  let finished = 0;
  await runPool(items(list, pulled), { concurrency: 4, perKey: 1, window: 12 }, async (it) => {
    maxAhead = Math.max(maxAhead, pulled.n - finished);
    await tick(it.ms);
    order.push(it.key);
    finished += 1;
  });
  assert.ok(maxAhead <= 12, `read ahead ${maxAhead}`);
  // With a window of 12, two fast hosts are reachable behind ten slow items and finish before the slow host is done.
  assert.ok(order.indexOf('fast0') < order.lastIndexOf('slow'), order.join(' '));
});

test('the mark never passes an unfinished item and ends after the last one (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 })), {
        minLength: 1,
        maxLength: 40,
      }),
      fc.integer({ min: 1, max: 6 }),
      async (spec, concurrency) => {
        // Positions with gaps (a source skips out-of-scope positions).
        const list: Item[] = spec.map(([key, ms], i) => ({ position: BigInt(i * 2 + (key % 2)), key: `k${key}`, ms }));
        const done = new Set<bigint>();
        const marks: bigint[] = [];
        await runPool(
          items(list),
          {
            concurrency,
            perKey: 1,
            onMark: (m) => {
              for (const it of list)
                if (it.position < m) assert.ok(done.has(it.position), `mark ${m} passed ${it.position}`);
              marks.push(m);
            },
          },
          async (it) => {
            await tick(it.ms);
            done.add(it.position);
          },
        );
        for (let i = 1; i < marks.length; i++) assert.ok(marks[i]! > marks[i - 1]!);
        assert.equal(marks.at(-1), list.at(-1)!.position + 1n);
      },
    ),
    { numRuns: 40 },
  );
});

test('abort stops pulling; items in flight finish; the mark stays at the first unfinished item', async () => {
  const list: Item[] = Array.from({ length: 100 }, (_, i) => ({ position: BigInt(i), key: `h${i}`, ms: 5 }));
  const ac = new AbortController();
  let started = 0;
  let lastMark = -1n;
  const r = await runPool(
    items(list),
    { concurrency: 4, perKey: 1, signal: ac.signal, onMark: (m) => (lastMark = m) },
    async () => {
      started += 1;
      if (started === 10) ac.abort();
      await tick(5);
    },
  );
  assert.equal(r.aborted, true);
  assert.ok(started >= 10 && started <= 14, `started ${started}`);
  assert.equal(r.finished, started);
  assert.equal(lastMark, BigInt(started));
});

test('a work function that throws stops the pool and the error surfaces after in-flight items end', async () => {
  const list: Item[] = Array.from({ length: 50 }, (_, i) => ({ position: BigInt(i), key: `h${i}`, ms: 2 }));
  let finishedAfter = 0;
  await assert.rejects(
    runPool(items(list), { concurrency: 3, perKey: 1 }, async (it) => {
      if (it.position === 5n) throw new Error('boom');
      await tick(2);
      finishedAfter += 1;
    }),
    /boom/,
  );
  assert.ok(finishedAfter < 50);
});
