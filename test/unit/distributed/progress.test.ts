import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  distributedProgress,
  distributedSettings,
  formatDistributedProgress,
} from '../../../src/distributed/progress.ts';
import type { Sql } from '../../../src/distributed/sql.ts';

const settings = { planVersion: 1, distributed: { version: 1, queue: 'pacsmap.shards', shards: 10, shardSize: '256' } };

/** A scripted database: answers by the statement's first words. */
function fakeDb(status: string, states: Record<string, number>, workers: number | Error): Sql {
  return {
    async executeSql(text) {
      if (text.startsWith('SELECT status, settings')) return { rows: [{ status, settings: JSON.stringify(settings) }] };
      if (text.includes('GROUP BY state')) return { rows: Object.entries(states).map(([state, n]) => ({ state, n })) };
      if (text.includes('.instance')) {
        if (workers instanceof Error) throw workers;
        return { rows: [{ n: workers }] };
      }
      throw new Error(`unexpected SQL: ${text}`);
    },
  };
}

test('settings of a distributed scan are recognised; others are not', () => {
  assert.equal(distributedSettings(settings)?.shards, 10);
  assert.equal(distributedSettings({ planVersion: 1 }), null);
  assert.equal(distributedSettings(null), null);
  assert.equal(distributedSettings({ distributed: { version: 2, shards: 1, queue: 'q' } }), null);
});

test('job states map to done, active, queued and failed shards', async () => {
  const p = await distributedProgress(
    fakeDb('running', { completed: 4, active: 2, created: 1, retry: 1, failed: 1, cancelled: 1 }, 3),
    's',
  );
  assert.deepEqual(p, {
    shardsTotal: 10,
    shardsDone: 4,
    shardsActive: 2,
    shardsQueued: 2,
    shardsFailed: 2,
    workersActive: 3,
  });
  assert.equal(formatDistributedProgress(p!), 'shards 4/10 (2 active, 2 failed), 3 workers');
});

test('a finished scan is all done even once its completed jobs were deleted; no instance table: workers unknown', async () => {
  const p = await distributedProgress(fakeDb('finished', {}, new Error('no relation')), 's');
  assert.equal(p?.shardsDone, 10);
  assert.equal(p?.workersActive, null);
  assert.equal(formatDistributedProgress(p!), 'shards 10/10');
});

test('an unknown scan has no progress', async () => {
  const db: Sql = { executeSql: async () => ({ rows: [] }) };
  assert.equal(await distributedProgress(db, 'nope'), null);
});
