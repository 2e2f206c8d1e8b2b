/**
 * The shared rate limit holds across processes' pools: takers on two separate connection pools
 * (as two workers) together never start more than rate × time + burst, and still get most of it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { defineBucket, SharedRateLimiter, defaultBurst } from '../../../src/distributed/shared-rate-limit.ts';
import { sqlOf } from '../../../src/distributed/sql.ts';
import { createTestDb, type TestDb } from './helpers.ts';

let db: TestDb;
before(async () => {
  db = await createTestDb();
});
after(() => db?.drop());

test('N takers over 2 pools never exceed rate × time + burst, and get at least 80 % of it', async () => {
  const rate = 200;
  const burst = defaultBurst(rate);
  const pools = [new pg.Pool({ connectionString: db.url, max: 2 }), new pg.Pool({ connectionString: db.url, max: 2 })];
  try {
    await defineBucket(sqlOf(pools[0]!), 'scan-r', rate);
    const limiters = pools.map((p) => new SharedRateLimiter(sqlOf(p), 'scan-r'));
    const starts: number[] = [];
    const t0 = performance.now();
    const durationMs = 2500;
    // 8 takers per limiter (a worker's concurrent units), taking as fast as they are let.
    await Promise.all(
      limiters.flatMap((l) =>
        Array.from({ length: 8 }, async () => {
          while (performance.now() - t0 < durationMs) {
            await l.take();
            starts.push(performance.now() - t0);
          }
        }),
      ),
    );
    // Over every window [0, t], the starts respect the bucket's bound (plus one in-flight grant of slack per limiter, 0 here).
    starts.sort((a, b) => a - b);
    for (const [i, t] of starts.entries())
      assert.ok(i + 1 <= burst + (rate * t) / 1000 + 1, `${i + 1} starts by ${t.toFixed(0)} ms`);
    const inWindow = starts.filter((t) => t <= durationMs).length;
    assert.ok(inWindow <= burst + (rate * durationMs) / 1000 + 1, `${inWindow} starts in ${durationMs} ms`);
    assert.ok(inWindow >= 0.8 * ((rate * durationMs) / 1000), `only ${inWindow} starts in ${durationMs} ms`);
    // Batched: far fewer round trips than tokens.
    const trips = limiters.reduce((n, l) => n + l.requests, 0);
    assert.ok(trips < inWindow / 4, `${trips} round trips for ${inWindow} tokens`);
    // Both pools got a share.
    assert.ok(limiters.every((l) => l.requests > 3));
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

test('a scan without a bucket (rate 0) is not limited', async () => {
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  try {
    await defineBucket(sqlOf(pool), 'scan-any', 5);
    const l = new SharedRateLimiter(sqlOf(pool), 'scan-unlimited');
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) await l.take();
    assert.ok(performance.now() - t0 < 2000);
  } finally {
    await pool.end();
  }
});
