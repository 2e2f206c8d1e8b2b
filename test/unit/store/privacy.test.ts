/**
 * The store never holds patient values: it receives pacsmap's own result JSON and observations
 * (counts, booleans, statuses). Here: the bytes of SQLite's files. The column allow-list (kept in
 * schema-review.ts) and the stored-text search run on every backend in contract.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { openStore } from '../../../src/store/open.ts';
import { endpointRecord, observationRecord, sampleResult, tempDir } from './helpers.ts';
import { CANARIES, PEER_DATASETS, POSITIVE_CONTROL } from './schema-review.ts';

function occurrences(bytes: Buffer, needle: string): number {
  let n = 0;
  for (const enc of ['utf8', 'utf16le'] as const) {
    const b = Buffer.from(needle, enc);
    for (let i = bytes.indexOf(b); i !== -1; i = bytes.indexOf(b, i + 1)) n++;
  }
  return n;
}

function filesOf(dbPath: string): Buffer[] {
  return [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter((f) => existsSync(f)).map((f) => readFileSync(f));
}

test('no planted patient value reaches the database file or its WAL', async (t) => {
  const dbPath = path.join(tempDir(t), 'privacy.db');
  const store = await openStore(dbPath);
  await store.createScan({ id: 's', scope: '127.0.0.1', settings: { calledAe: 'ANY-SCP' } });

  // What leaves a probe: counts and category booleans derived from the datasets, never the values.
  const patients = new Set(PEER_DATASETS.map((d) => d.PatientID)).size;
  const categories = PEER_DATASETS.some((d) => d.PatientName)
    ? ['patient-id', 'name', 'birth-date', 'accession-number']
    : [];
  const result = {
    ...sampleResult('127.0.0.1', 104, POSITIVE_CONTROL),
    query: { ...sampleResult('127.0.0.1', 104).query, patients },
  };
  await store.writeBatch({
    endpoints: [{ ...endpointRecord('s', '127.0.0.1', 104), result }],
    observations: [
      {
        ...observationRecord('s', '127.0.0.1', 104, 'dicom.phi-categories'),
        facts: { sampled: PEER_DATASETS.length, categories },
      },
    ],
    findings: [
      {
        scanId: 's',
        host: '127.0.0.1',
        port: 104,
        findingId: 'dicom-phi-exposed',
        severity: 'critical',
        evidence: { categories },
      },
    ],
  });

  const wal = readFileSync(`${dbPath}-wal`);
  assert.ok(occurrences(wal, POSITIVE_CONTROL) > 0, 'the WAL holds the freshly written rows (the search works)');
  for (const bytes of filesOf(dbPath))
    for (const c of CANARIES) assert.equal(occurrences(bytes, c), 0, `canary ${c} found`);

  await store.close(); // checkpoints the WAL into the main file
  const main = readFileSync(dbPath);
  assert.ok(occurrences(main, POSITIVE_CONTROL) > 0, 'the main file holds the rows after the checkpoint');
  for (const bytes of filesOf(dbPath))
    for (const c of CANARIES) assert.equal(occurrences(bytes, c), 0, `canary ${c} found`);
});
