import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main.ts';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { CSV_COLUMNS } from '../../../src/report/export.ts';
import { tempDir } from '../store/helpers.ts';
import { FACILITIES, FLEET, parseCsv, seedScan } from '../report/fixtures.ts';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

async function fleetDb(t: { after: (fn: () => void) => void }): Promise<{ db: string; dir: string; scanId: string }> {
  const dir = tempDir(t);
  const db = path.join(dir, 'scans.db');
  const repo = SqliteStore.open(db);
  await repo.upsertFacilities(FACILITIES);
  const scan = await seedScan(repo, { endpoints: FLEET, status: 'finished', cursor: '512' });
  await seedScan(repo, { endpoints: FLEET.slice(0, 1), createdAt: '2025-03-02T00:00:00.000Z' });
  await repo.close();
  return { db, dir, scanId: scan.id };
}

test('show: header, counts per exposure, reachable totals, endpoints worst first', async (t) => {
  const { db, scanId } = await fleetDb(t);
  const r = await run(['show', scanId, '--db', db]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  const lines = r.out.split('\n');
  assert.equal(lines[0], `scan ${scanId}  finished`);
  assert.match(r.out, /^ {2}finished {2}2025-03-01T10:05:02\.000Z \(took 5m02s\)$/m);
  assert.match(r.out, /^ {2}scope {5}127\.1\.0\.0\/24 ports 104,4242$/m);
  assert.match(r.out, /^ {2}ports {5}104, 4242$/m);
  assert.match(r.out, /^ {2}progress {2}100\.0% \(512\/512\)$/m);
  assert.match(r.out, /^ {2}endpoints 5, findings 3$/m);
  for (const [level, n] of [
    ['retrievable', 1],
    ['queryable', 1],
    ['writable', 0],
    ['associable', 1],
    ['identified', 1],
    ['none', 1],
  ])
    assert.match(r.out, new RegExp(`^  ${level} +${n}$`, 'm'));
  // 10 + 3 patients, 40 + 5 studies, 2000 (estimated) + 120 instances, over two endpoints.
  assert.match(r.out, /sum over 2 endpoint\(s\) with query allowed/);
  assert.match(r.out, /^ {2}patients {3}13$/m);
  assert.match(r.out, /^ {2}studies {4}45$/m);
  assert.match(r.out, /^ {2}instances {2}~2,120$/m);
  const head = lines.findIndex((l) => l.startsWith('ENDPOINT'));
  assert.match(
    lines[head]!,
    /^ENDPOINT +FACILITY +SERVICE +PRODUCT +EXPOSURE +PATIENTS +STUDIES +INSTANCES +PHI +FINDINGS$/,
  );
  const end = lines.findIndex((l, i) => i > head && l === '');
  const table = lines.slice(head + 1, end);
  assert.deepEqual(
    table.map((l) => l.split(/\s{2,}/)[0]),
    ['127.1.0.1:4242', '127.1.0.2:104', '127.1.0.3:104', '127.1.0.4:104', '127.1.0.5:4242'],
  );
  assert.match(table[0]!, /South Clinic +dicom +Orthanc 1\.10\.1 +retrievable +10 +40 +~2,000 +name,birth-date +1$/);
  assert.match(table[1]!, /North General Hospital +dicom +Orthanc 1\.10\.1 +queryable +3 +5 +120 +patient-id,name +2$/);
  assert.match(table[2]!, /^127\.1\.0\.3:104 +- +dicom .* associable +- +- +- +- +0$/);
  assert.match(table[4]!, /^127\.1\.0\.5:4242 +- +no DICOM +- +none /);
  assert.doesNotMatch(r.out, /RISK/, 'no risk column without risk scores');
});

test('show: a unique prefix works; unknown, short and ambiguous ids exit 2', async (t) => {
  const { db, scanId } = await fleetDb(t);
  const byPrefix = await run(['show', scanId.slice(0, 6), '--db', db]);
  assert.equal(byPrefix.code, 0, byPrefix.err);
  assert.ok(byPrefix.out.startsWith(`scan ${scanId}  finished`));
  const unknown = await run(['show', 'zzzzzzzz', '--db', db]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.out, '');
  assert.match(unknown.err, /^pacsmap: no scan zzzzzzzz \(pacsmap scans lists them\)\n$/);
  const repo = SqliteStore.open(db);
  await repo.createScan({ id: 'dead0001-aaaa', scope: 'a', settings: {} });
  await repo.createScan({ id: 'dead0002-bbbb', scope: 'b', settings: {} });
  await repo.close();
  const ambiguous = await run(['show', 'dead', '--db', db]);
  assert.equal(ambiguous.code, 2);
  assert.match(ambiguous.err, /ambiguous: .*dead000[12]-.*, dead000[12]-/);
  assert.equal((await run(['show', 'dead0002', '--db', db])).code, 0);
  const short = await run(['show', 'abc', '--db', db]);
  assert.equal(short.code, 2);
  assert.match(short.err, /at least 4 characters/);
  const usage = await run(['show', '--db', db]);
  assert.equal(usage.code, 64);
  assert.match(usage.err, /show takes exactly one SCAN_ID[\s\S]*Usage: pacsmap show/);
});

test('show: a missing database is reported and not created', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'absent.db');
  const r = await run(['show', 'abcd', '--db', db]);
  assert.equal(r.code, 2);
  assert.equal(r.err, `pacsmap: no database at ${db} (give --db, or run a scan first)\n`);
  assert.equal(existsSync(db), false);
  const viaScheme = await run(['show', 'abcd', '--db', `sqlite:${db}`]);
  assert.equal(viaScheme.code, 2);
  assert.equal(existsSync(db), false);
});

test('show --json - and --csv FILE use the exporters; the files parse back', async (t) => {
  const { db, dir, scanId } = await fleetDb(t);
  const json = await run(['show', scanId.slice(0, 8), '--db', db, '--json', '-']);
  assert.equal(json.code, 0, json.err);
  const doc = JSON.parse(json.out);
  assert.equal(doc.scan.id, scanId);
  assert.equal(doc.endpoints.length, 5);
  assert.equal(doc.endpoints[0].facilityId, 'F-SOUTH');

  const csvFile = path.join(dir, 'out.csv');
  const jsonFile = path.join(dir, 'out.json');
  const both = await run(['show', scanId, '--db', db, '--csv', csvFile, '--json', jsonFile]);
  assert.equal(both.code, 0, both.err);
  assert.match(both.out, /^scan /, 'the summary is printed when exports go to files');
  const rows = parseCsv(readFileSync(csvFile, 'utf8'));
  assert.deepEqual(rows[0], [...CSV_COLUMNS]);
  assert.equal(rows.length, 6);
  assert.deepEqual(JSON.parse(readFileSync(jsonFile, 'utf8')), doc);

  const csvOut = await run(['show', scanId, '--db', db, '--csv', '-']);
  assert.equal(csvOut.out, readFileSync(csvFile, 'utf8'));
  const twice = await run(['show', scanId, '--db', db, '--csv', '-', '--json', '-']);
  assert.equal(twice.code, 64);
});

test('show: peer text cannot drive the terminal; findings/risk columns appear when present', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'x.db');
  const repo = SqliteStore.open(db);
  const scan = await seedScan(repo, {
    endpoints: [
      {
        host: '127.1.0.9',
        port: 104,
        exposure: 'identified',
        patch: {
          product: null,
          implementation: { classUid: '1.2.3', versionName: 'EV\x1b[2J\x07\u202e' },
          risk: { score: 8.2 },
          query: {
            allowed: false,
            patients: null,
            studies: null,
            instances: null,
            instancesEstimated: false,
            capped: false,
            phiCategories: [],
          },
        },
      },
      {
        host: '127.1.0.8',
        port: 104,
        exposure: 'queryable',
        patch: {
          query: {
            allowed: true,
            patients: 7,
            studies: 1000,
            instances: null,
            instancesEstimated: false,
            capped: true,
            phiCategories: ['name'],
          },
        },
      },
    ],
  });
  await repo.close();
  const r = await run(['show', scan.id, '--db', db]);
  assert.equal(r.code, 0, r.err);
  // eslint-disable-next-line no-control-regex -- terminal control codes are what is checked
  assert.doesNotMatch(r.out, /[\x00-\x08\x0b-\x1f\x7f\u202e]/);
  assert.match(r.out, /\(EV\\x1b\[2J\\x07\\u202e\)/);
  assert.match(r.out, /^ENDPOINT .* PHI +RISK$/m, 'risk column, no findings column (scan not assessed)');
  assert.match(r.out, /identified +- +- +- +- +8\.2$/m);
  // Capped query: lower bounds, marked.
  assert.match(r.out, /queryable +≥7 +≥1,000 +\? +name +-$/m);
  assert.match(r.out, /^ {2}patients {3}≥7$/m);
  assert.match(r.out, /^ {2}instances {2}≥0$/m);
});

test('show: findings by catalogue entry, worst first, with titles, endpoint counts, CVEs and the first fix', async (t) => {
  const db = path.join(tempDir(t), 'f.db');
  const repo = SqliteStore.open(db);
  await repo.upsertFacilities(FACILITIES);
  const [a, b] = FLEET;
  const scan = await seedScan(repo, {
    status: 'finished',
    endpoints: [
      {
        ...a!,
        findings: [
          { id: 'dicom-echo-unauthenticated', severity: 'low' },
          { id: 'known-vulnerable-version:CVE-2022-2119', severity: 'high' },
          { id: 'known-vulnerable-version:CVE-2022-2120', severity: 'high' },
        ],
      },
      {
        ...b!,
        findings: [
          { id: 'dicom-echo-unauthenticated', severity: 'low' },
          { id: 'dicom-query-unauthenticated', severity: 'critical' },
        ],
      },
    ],
  });
  await repo.close();
  const r = await run(['show', scan.id, '--db', db]);
  assert.equal(r.code, 0, r.err);
  const section = r.out.slice(r.out.indexOf('\nfindings ('));
  const heads = section.split('\n').filter((l) => /^ {2}[A-Z]+ +\S+:/.test(l));
  assert.deepEqual(
    heads.map((l) => l.trim().split(/\s+/).slice(0, 2).join(' ')),
    ['CRITICAL dicom-query-unauthenticated:', 'HIGH known-vulnerable-version:', 'LOW dicom-echo-unauthenticated:'],
  );
  assert.match(heads[1]!, /1 endpoint\(s\), 2 CVE\(s\)/);
  assert.match(heads[2]!, /Association and C-ECHO accepted from a stranger — 2 endpoint\(s\)/);
  assert.match(section, /fix: /);
});
