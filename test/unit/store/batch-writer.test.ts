import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriter } from '../../../src/store/batch-writer.ts';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { WriteBatch } from '../../../src/store/repository.ts';
import { endpointRecord, hostOf, observationRecord } from './helpers.ts';

function recordingSink(delayMs = 0, failOn = -1) {
  const batches: WriteBatch[] = [];
  return {
    batches,
    async writeBatch(b: WriteBatch): Promise<void> {
      if (delayMs > 0) await sleep(delayMs);
      if (batches.length === failOn) throw new Error('disk full');
      batches.push(b);
    },
  };
}

function size(b: WriteBatch): number {
  return (
    (b.targets?.length ?? 0) +
    (b.endpoints?.length ?? 0) +
    (b.observations?.length ?? 0) +
    (b.findings?.length ?? 0) +
    (b.targetsDone?.length ?? 0)
  );
}

test('flushes every maxRows rows, and the rest on close', async () => {
  const sink = recordingSink();
  const w = new BatchWriter(sink, { maxRows: 10, maxDelayMs: 60_000 });
  for (let i = 0; i < 25; i++) w.observation(observationRecord('s', hostOf(i), 104, 'p'));
  await w.flush();
  assert.deepEqual(sink.batches.map(size), [10, 10, 5]);
  for (let i = 0; i < 3; i++) w.observation(observationRecord('s', hostOf(i), 104, 'q'));
  assert.equal(w.buffered, 3);
  await w.close();
  assert.deepEqual(sink.batches.map(size), [10, 10, 5, 3]);
  assert.deepEqual(w.stats, { flushes: 4, rowsWritten: 28 });
  assert.throws(() => w.observation(observationRecord('s', 'h', 1, 'p')), /closed/);
  await w.close();
});

test('flushes maxDelayMs after the first buffered row', async () => {
  const sink = recordingSink();
  const w = new BatchWriter(sink, { maxRows: 1000, maxDelayMs: 20 });
  w.endpoint(endpointRecord('s', 'h', 104));
  w.targetDone({ scanId: 's', host: 'h', port: 104 });
  assert.equal(sink.batches.length, 0);
  await sleep(80);
  assert.equal(sink.batches.length, 1);
  assert.equal(size(sink.batches[0]!), 2);
  await w.close();
});

test('a batch keeps results and their done marks together, results first', async () => {
  const sink = recordingSink();
  const w = new BatchWriter(sink, { maxRows: 4, maxDelayMs: 60_000 });
  w.target({ scanId: 's', host: 'h', port: 104 });
  w.endpoint(endpointRecord('s', 'h', 104));
  w.observation(observationRecord('s', 'h', 104, 'p'));
  w.targetDone({ scanId: 's', host: 'h', port: 104 });
  await w.flush();
  const [b] = sink.batches;
  assert.equal(b?.targets?.length, 1);
  assert.equal(b?.endpoints?.length, 1);
  assert.equal(b?.observations?.length, 1);
  assert.equal(b?.targetsDone?.length, 1);
  await w.close();
});

test('a failed flush is sticky: the next add, flush and close throw it', async () => {
  const sink = recordingSink(0, 1);
  const w = new BatchWriter(sink, { maxRows: 2, maxDelayMs: 60_000 });
  for (let i = 0; i < 4; i++) w.observation(observationRecord('s', hostOf(i), 104, 'p'));
  await assert.rejects(w.flush(), /disk full/);
  assert.throws(() => w.observation(observationRecord('s', 'h', 1, 'p')), /disk full/);
  await assert.rejects(w.close(), /disk full/);
  assert.equal(sink.batches.length, 1);
});

test('ready() applies back-pressure when the store is slower than the producer', async () => {
  const sink = recordingSink(10);
  const w = new BatchWriter(sink, { maxRows: 5, maxDelayMs: 60_000, highWaterRows: 10 });
  let maxOutstanding = 0;
  for (let i = 0; i < 60; i++) {
    await w.ready();
    w.observation(observationRecord('s', hostOf(i), 104, 'p'));
    const outstanding = i + 1 - sink.batches.reduce((n, b) => n + size(b), 0);
    maxOutstanding = Math.max(maxOutstanding, outstanding);
  }
  await w.close();
  assert.ok(maxOutstanding <= 15, `at most highWater + maxRows rows outstanding, saw ${maxOutstanding}`);
  assert.equal(
    sink.batches.reduce((n, b) => n + size(b), 0),
    60,
  );
});

test('over SQLite: everything written once, targets done only with their results', async (t) => {
  const s = SqliteStore.open(':memory:');
  t.after(() => s.close());
  await s.createScan({ id: 's', scope: 'x', settings: {} });
  await s.addTargets(
    's',
    Array.from({ length: 300 }, (_, i) => ({ host: hostOf(i), port: 104 })),
  );
  const w = new BatchWriter(s, { maxRows: 64, maxDelayMs: 5 });
  for await (const tg of s.pendingTargets('s', { pageSize: 50 })) {
    w.endpoint(endpointRecord('s', tg.host, tg.port));
    w.observation(observationRecord('s', tg.host, tg.port, 'dicom.associate'));
    w.observation(observationRecord('s', tg.host, tg.port, 'dicom.echo'));
    w.targetDone({ scanId: 's', host: tg.host, port: tg.port });
    await w.ready();
  }
  await w.close();
  assert.deepEqual(await s.targetCounts('s'), { pending: 0, done: 300 });
  assert.equal((await s.getScan('s'))?.counts.endpoints, 300);
  let n = 0;
  for await (const _ of s.observations('s')) n++;
  assert.equal(n, 600);
});

test('a cursor moved many times in one buffer is one row: the last position, committed with the results before it', async () => {
  const sink = recordingSink();
  const w = new BatchWriter(sink, { maxRows: 1000, maxDelayMs: 10_000 });
  for (let i = 0; i < 50; i++) {
    w.endpoint(endpointRecord('s', `10.0.0.${i}`, 104));
    w.cursor('s', BigInt(i + 1));
  }
  w.cursor('t', 7n);
  assert.equal(w.buffered, 52, '50 endpoints and one cursor per scan');
  await w.close();
  assert.equal(sink.batches.length, 1);
  assert.deepEqual(sink.batches[0]!.cursors, [
    { scanId: 's', position: '50' },
    { scanId: 't', position: '7' },
  ]);
  assert.throws(() => w.cursor('s', 51n), /closed/);
});
