import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../../src/scan/rate-limiter.ts';

/** A clock that only moves when the limiter sleeps. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
    get time() {
      return t;
    },
  };
}

test('after the burst, N takes at R per second take (N - burst) / R seconds', async () => {
  const c = fakeClock();
  const r = new RateLimiter({ perSecond: 100, burst: 10, now: c.now, sleep: c.sleep });
  for (let i = 0; i < 210; i++) await r.take();
  // 10 free, then 200 at 10 ms each.
  assert.ok(Math.abs(c.time - 2000) <= 10, `took ${c.time} ms`);
});

test('concurrent takers are served in order and never faster than the rate', async () => {
  const c = fakeClock();
  const r = new RateLimiter({ perSecond: 50, burst: 1, now: c.now, sleep: c.sleep });
  const times: number[] = [];
  await Promise.all(Array.from({ length: 20 }, (_, i) => r.take().then(() => times.push(c.time + i * 0))));
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, 'monotone');
  // 19 waits of 20 ms after the first.
  assert.ok(c.time >= 19 * 20 - 1, `took ${c.time} ms`);
});

test('rate 0 means unlimited: no sleeping at all', async () => {
  const c = fakeClock();
  const r = new RateLimiter({ perSecond: 0, now: c.now, sleep: c.sleep });
  for (let i = 0; i < 1000; i++) await r.take();
  assert.equal(c.sleeps.length, 0);
  assert.equal(r.unlimited, true);
});

test('a negative rate is refused', () => {
  assert.throws(() => new RateLimiter({ perSecond: -1 }), RangeError);
});
