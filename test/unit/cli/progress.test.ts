import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  ProgressReporter,
  compactCount,
  formatDuration,
  formatProgressBar,
  formatProgressLine,
  type ProgressSnapshot,
} from '../../../src/cli/progress.ts';

function snap(p: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    workTotal: 10_000n,
    workDone: 2_500n,
    openPorts: 12,
    dicomEndpoints: 8,
    exposed: 3,
    elapsedMs: 50_000,
    ...p,
  };
}

test('plain line: every figure, rate = done/elapsed, ETA from the rate', () => {
  // 2,500 in 50 s = 50/s; 7,500 left = 150 s = 2m30s.
  assert.equal(
    formatProgressLine(snap()),
    'progress 2,500/10,000 (25.0%), 12 open, 8 DICOM, 3 exposed, 50/s, elapsed 50s, ETA 2m30s',
  );
});

test('plain line: zero elapsed, zero done, unknown total, overshoot and huge totals', () => {
  const start = formatProgressLine(snap({ workDone: 0n, elapsedMs: 0 }));
  assert.match(start, /0\/10,000 \(0\.0%\)/);
  assert.match(start, /-\/s/);
  assert.match(start, /ETA \?/);
  const stalled = formatProgressLine(snap({ workDone: 0n, elapsedMs: 5000 }));
  assert.match(stalled, /0\.0\/s/);
  assert.match(stalled, /ETA \?/);
  const unknown = formatProgressLine(snap({ workTotal: 0n }));
  assert.match(unknown, /2,500\/\? \(total not known yet\)/);
  assert.match(unknown, /ETA \?/);
  const over = formatProgressLine(snap({ workDone: 10_500n }));
  assert.match(over, /10,000\/10,000 \(100\.0%\)/);
  assert.match(over, /ETA 0s/);
  // A whole IPv4 space times every port: beyond 2^53, digits kept exactly.
  const huge = 4_294_967_296n * 65_536n;
  const big = formatProgressLine(snap({ workTotal: huge, workDone: huge / 3n, elapsedMs: 3_600_000 }));
  assert.match(big, /93,824,992,236,885\/281,474,976,710,656 \(33\.3%\)/);
  assert.match(big, /ETA 2h00m/);
  // 99.99% is not shown as 100%.
  assert.match(formatProgressLine(snap({ workDone: 9_999n })), /\(99\.9%\)/);
});

test('a resumed scan: the rate counts only this run, so the ETA is honest', () => {
  // 9,000 done, 8,000 of them before the resume; 1,000 in 100 s = 10/s; 1,000 left = 100 s.
  const line = formatProgressLine(snap({ workDone: 9_000n, workDoneAtStart: 8_000n, elapsedMs: 100_000 }));
  assert.match(line, /9,000\/10,000 \(90\.0%\)/);
  assert.match(line, /, 10\/s, /);
  assert.match(line, /ETA 1m40s$/);
  const justResumed = formatProgressLine(snap({ workDone: 8_000n, workDoneAtStart: 8_000n, elapsedMs: 1000 }));
  assert.match(justResumed, /0\.0\/s.*ETA \?$/);
});

test('durations and compact counts', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(59_999), '59s');
  assert.equal(formatDuration(61_000), '1m01s');
  assert.equal(formatDuration(3 * 3_600_000 + 4 * 60_000), '3h04m');
  assert.equal(formatDuration(2 * 86_400_000 + 5 * 3_600_000), '2d05h');
  assert.equal(formatDuration(200 * 86_400_000), '>99d');
  assert.equal(formatDuration(NaN), '?');
  assert.equal(compactCount(9_999), '9,999');
  assert.equal(compactCount(12_345), '12.3k');
  assert.equal(compactCount(999_600), '1.00M');
  assert.equal(compactCount(16_777_216n), '16.8M');
  assert.equal(compactCount(281_474_976_710_656n), '281T');
});

test('bar: fits every width, keeps done/total first, drops the bar then the least useful fields', () => {
  const s = snap();
  for (let columns = 1; columns <= 200; columns++) {
    const line = formatProgressBar(s, columns);
    assert.ok(line.length < columns || (columns === 1 && line.length === 0), `${columns}: ${JSON.stringify(line)}`);
    assert.ok(!line.includes('\n') && !line.includes('\r'));
    if (columns >= 12) assert.match(line, /2,500\/10\.0k/, `${columns}: ${line}`);
  }
  const wide = formatProgressBar(s, 120);
  assert.match(wide, /^\[#{7}-{23}\] 2,500\/10\.0k 25\.0% open 12 DICOM 8 exposed 3 50\/s ETA 2m30s$/);
  const narrow = formatProgressBar(s, 40);
  assert.ok(!narrow.startsWith('['), narrow);
  assert.match(narrow, /exposed 3/);
  assert.match(narrow, /ETA 2m30s/);
  assert.doesNotMatch(narrow, /\/s/);
  // Unknown total: no percentage, a bar of question marks.
  const unknown = formatProgressBar(snap({ workTotal: 0n }), 100);
  assert.match(unknown, /^\[\?+\] 2,500 done open 12/);
  assert.doesNotMatch(unknown, /%/);
});

interface Captured {
  writes: string[];
  reporter: ProgressReporter;
  state: { done: bigint };
  clock: { t: number };
}

function reporter(tty: boolean, extra: { columns?: number; intervalMs?: number } = {}): Captured {
  const writes: string[] = [];
  const state = { done: 0n };
  const clock = { t: 0 };
  const r = new ProgressReporter({
    write: (t) => writes.push(t),
    tty,
    now: () => clock.t,
    snapshot: () => snap({ workDone: state.done, elapsedMs: clock.t }),
    ...extra,
  });
  return { writes, reporter: r, state, clock };
}

test('TTY: one line redrawn in place every 100 ms, unchanged frames skipped, ended on stop', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const c = reporter(true, { columns: 100 });
  c.reporter.start();
  assert.equal(c.writes.length, 1, 'drawn at once');
  // eslint-disable-next-line no-control-regex -- terminal control codes are what is checked
  assert.match(c.writes[0]!, /^\r\[-+\] 0\/10\.0k 0\.0% .*\x1b\[K$/);
  c.state.done = 100n;
  c.clock.t = 99;
  t.mock.timers.tick(99);
  assert.equal(c.writes.length, 1, 'no redraw before the interval');
  c.clock.t = 100;
  t.mock.timers.tick(1);
  assert.equal(c.writes.length, 2);
  // eslint-disable-next-line no-control-regex -- terminal control codes are what is checked
  assert.match(c.writes[1]!, /^\r.*100\/10\.0k 1\.0% .*\x1b\[K$/);
  // Nothing changed (same done, same clock): no redraw.
  t.mock.timers.tick(100);
  assert.equal(c.writes.length, 2);
  // update() is throttled by the clock.
  c.state.done = 5000n;
  c.clock.t = 150;
  c.reporter.update();
  assert.equal(c.writes.length, 2, 'throttled: last draw 50 ms ago');
  c.clock.t = 250;
  c.reporter.update();
  assert.equal(c.writes.length, 3);
  assert.match(c.writes[2]!, /50\.0%/);
  for (const w of c.writes) assert.ok(w.length - '\r\x1b[K'.length < 100);
  c.state.done = 10_000n;
  c.reporter.stop();
  // eslint-disable-next-line no-control-regex -- terminal control codes are what is checked
  assert.match(c.writes.at(-2)!, /^\r.*100\.0%.*ETA 0s\x1b\[K$/);
  assert.equal(c.writes.at(-1), '\n');
  const n = c.writes.length;
  t.mock.timers.tick(1000);
  c.reporter.stop();
  assert.equal(c.writes.length, n, 'nothing after stop; stop is idempotent');
});

test('plain: a line every 10 s by default, a final line on stop', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const c = reporter(false);
  c.reporter.start();
  assert.equal(c.writes.length, 0);
  c.state.done = 1000n;
  c.clock.t = 9_999;
  t.mock.timers.tick(9_999);
  assert.equal(c.writes.length, 0);
  c.clock.t = 10_000;
  t.mock.timers.tick(1);
  assert.deepEqual(c.writes, [`${formatProgressLine(snap({ workDone: 1000n, elapsedMs: 10_000 }))}\n`]);
  c.reporter.update();
  assert.equal(c.writes.length, 1, 'update() does not print plain lines');
  c.clock.t = 25_000;
  t.mock.timers.tick(15_000);
  assert.equal(c.writes.length, 2);
  c.state.done = 10_000n;
  c.reporter.stop();
  assert.equal(c.writes.length, 3);
  assert.match(c.writes[2]!, /^progress 10,000\/10,000 \(100\.0%\).*\n$/);
  for (const w of c.writes) assert.ok(!w.includes('\r') && !w.includes('\x1b'));
});

test('bad interval refused', () => {
  assert.throws(() => reporter(true, { intervalMs: 0 }), RangeError);
});

test('a started reporter never keeps the process alive (timer unref-ed)', () => {
  const url = new URL('../../../src/cli/progress.ts', import.meta.url).href;
  const code = `const { ProgressReporter } = await import(${JSON.stringify(url)});
    new ProgressReporter({ write: () => {}, tty: true, snapshot: () => ({ workTotal: 1n, workDone: 0n, openPorts: 0, dicomEndpoints: 0, exposed: 0, elapsedMs: 0 }) }).start();
    new ProgressReporter({ write: () => {}, tty: false, snapshot: () => ({ workTotal: 1n, workDone: 0n, openPorts: 0, dicomEndpoints: 0, exposed: 0, elapsedMs: 0 }) }).start();`;
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { timeout: 20_000 });
  assert.equal(r.status, 0, String(r.stderr));
  assert.ok(performance.now() - started < 15_000);
});
