import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { ScanRecord } from '../../../src/store/repository.ts';
import {
  ScanLookupError,
  exposedCount,
  exposureCounts,
  exposuresInOrder,
  formatScanProgress,
  resolveScan,
  scanProgress,
} from '../../../src/report/scans.ts';
import { endpointView } from '../../../src/report/endpoint-view.ts';
import { endpoint } from './fixtures.ts';

test('a scan is found by id or by a unique prefix of at least 4 characters', async () => {
  const repo = SqliteStore.open(':memory:');
  for (const id of ['abcd1111-0000', 'abcd2222-0000', 'ffff0000-1111'])
    await repo.createScan({ id, scope: 's', settings: {} });
  assert.equal((await resolveScan(repo, 'abcd1111-0000')).id, 'abcd1111-0000');
  assert.equal((await resolveScan(repo, 'abcd1')).id, 'abcd1111-0000');
  assert.equal((await resolveScan(repo, 'FFFF')).id, 'ffff0000-1111', 'case-insensitive like a hex id');
  await assert.rejects(
    resolveScan(repo, 'abcd'),
    (e: Error) =>
      e instanceof ScanLookupError &&
      /ambiguous: /.test(e.message) &&
      e.message.includes('abcd1111-0000') &&
      e.message.includes('abcd2222-0000'),
  );
  await assert.rejects(
    resolveScan(repo, 'fff'),
    (e: Error) => e instanceof ScanLookupError && /at least 4/.test(e.message),
  );
  await assert.rejects(
    resolveScan(repo, '0123456'),
    (e: Error) => e instanceof ScanLookupError && /no scan 0123456/.test(e.message),
  );
  await assert.rejects(resolveScan(repo, '  '), ScanLookupError);
  await repo.close();
});

function scan(p: Partial<ScanRecord>): ScanRecord {
  return {
    id: 'x',
    createdAt: '2025-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    status: 'running',
    scope: '',
    settings: {},
    cursor: null,
    counts: { targets: 0, targetsDone: 0, endpoints: 0, findings: 0 },
    ...p,
  };
}

test('progress: cursor over workTotal, with fallbacks', () => {
  assert.deepEqual(scanProgress(scan({ settings: { workTotal: '2730' }, cursor: '1234' })), {
    done: 1234n,
    total: 2730n,
  });
  assert.equal(
    formatScanProgress(scanProgress(scan({ settings: { workTotal: '2730' }, cursor: '1234' }))),
    '45.2% (1,234/2,730)',
  );
  assert.deepEqual(scanProgress(scan({ settings: { workTotal: '10' } })), { done: 0n, total: 10n });
  assert.deepEqual(scanProgress(scan({ settings: { workTotal: '10' }, status: 'finished' })), {
    done: 10n,
    total: 10n,
  });
  assert.deepEqual(scanProgress(scan({ settings: { workTotal: '10' }, cursor: '99' })), { done: 10n, total: 10n });
  const huge = '281474976710656';
  assert.deepEqual(scanProgress(scan({ settings: { workTotal: huge }, cursor: '1' })), {
    done: 1n,
    total: BigInt(huge),
  });
  assert.deepEqual(
    scanProgress(scan({ settings: null, counts: { targets: 8, targetsDone: 2, endpoints: 0, findings: 0 } })),
    { done: 2n, total: 8n },
  );
  assert.deepEqual(scanProgress(scan({ settings: { workTotal: 'lots' }, cursor: '5' })), { done: 5n, total: null });
  assert.equal(formatScanProgress({ done: 5n, total: null }), '5 done');
  assert.equal(formatScanProgress({ done: 0n, total: null }), '-');
  assert.equal(formatScanProgress({ done: 0n, total: 0n }), '-');
});

test('exposure counts: every level worst first, unknown values after them, none last', () => {
  const counts = { none: 4, identified: 2, 'web-open': 1, retrievable: 3 };
  assert.deepEqual(exposuresInOrder(counts), ['retrievable', 'identified', 'web-open', 'none']);
  assert.deepEqual(Object.entries(exposureCounts(counts)), [
    ['retrievable', 3],
    ['queryable', 0],
    ['writable', 0],
    ['associable', 0],
    ['identified', 2],
    ['web-open', 1],
    ['none', 4],
  ]);
  // identified, unknown values and none are not exposed.
  assert.equal(exposedCount(counts), 3);
});

test('endpoint view reads what is there and tolerates what is not', () => {
  const full = endpointView(endpoint('s', { host: 'h', port: 1, exposure: 'queryable' }), null);
  assert.equal(full.product, 'Orthanc');
  assert.equal(full.patients, 3);
  assert.equal(full.tls, false);
  assert.deepEqual(full.services, ['echo', 'find', 'move', 'store']);
  assert.equal(full.findings, null);
  assert.equal(full.risk, null);
  const tls = endpointView(
    endpoint('s', { host: 'h', port: 1, exposure: 'queryable', patch: { tls: { protocol: 'TLSv1.3' }, risk: 4 } }),
    [],
  );
  assert.equal(tls.tls, true);
  assert.equal(tls.risk, 4);
  assert.equal(tls.findings, 0);
  const assessed = endpointView(
    endpoint('s', {
      host: 'h',
      port: 1,
      exposure: 'queryable',
      patch: { assessment: { score: 82, findings: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] } },
    }),
    null,
  );
  assert.equal(assessed.risk, 82);
  assert.equal(assessed.findings, 3);
  const odd = endpointView(endpoint('s', { host: 'h', port: 1, exposure: 'none', result: [1, 2] }), null);
  assert.equal(odd.tls, null);
  assert.equal(odd.patients, null);
  assert.deepEqual(odd.phiCategories, []);
  const mistyped = endpointView(
    endpoint('s', {
      host: 'h',
      port: 1,
      exposure: 'none',
      result: { query: { patients: '3', phiCategories: ['name', 7] }, product: 'x' },
    }),
    null,
  );
  assert.equal(mistyped.patients, null);
  assert.deepEqual(mistyped.phiCategories, ['name']);
  assert.equal(mistyped.product, null);
});
