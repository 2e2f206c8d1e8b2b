/** Change classification and the headline sentence (pure functions; the lab proves them end to end). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, scopeKeyOf, type EndpointState } from '../../../src/report/diff.ts';
import { headlineOf, sumRows, topFindingOf } from '../../../src/report/aggregate.ts';
import type { FigureRow, ScanRecord } from '../../../src/store/repository.ts';

function s(exposure: string, exposed: boolean, risk: number | null = 10): EndpointState {
  return { exposure, exposed, risk, patients: null, studies: null, instances: null };
}

test('classify: presence, exposed or not, exposure rank, then risk', () => {
  assert.equal(classify(null, s('identified', false)), 'new');
  assert.equal(classify(s('queryable', true), null), 'fixed');
  assert.equal(classify(s('identified', false), null), 'better');
  assert.equal(classify(s('retrievable', true), s('identified', false)), 'fixed');
  assert.equal(classify(s('identified', false), s('associable', true)), 'worse');
  assert.equal(classify(s('associable', true), s('queryable', true)), 'worse');
  assert.equal(classify(s('retrievable', true), s('writable', true)), 'better');
  assert.equal(classify(s('queryable', true, 40), s('queryable', true, 55)), 'worse');
  assert.equal(classify(s('queryable', true, 40), s('queryable', true, 20)), 'better');
  assert.equal(classify(s('queryable', true, 40), s('queryable', true, 40)), 'unchanged');
  // A suspected honeypot (not exposed) that stops being one is worse.
  assert.equal(classify(s('queryable', false), s('queryable', true)), 'worse');
});

const row = (over: Partial<FigureRow>): FigureRow => ({
  key: null,
  country: null,
  endpoints: 0,
  exposedEndpoints: 0,
  honeypots: 0,
  byExposure: {},
  archivesExposed: 0,
  patients: 0,
  studies: 0,
  instances: 0,
  cappedArchives: 0,
  phiCategories: [],
  maxRisk: null,
  meanRisk: null,
  findingsBySeverity: {},
  ...over,
});

test('headline: the sentence a minister quotes, with "at least" when an archive capped its answers', () => {
  assert.equal(
    headlineOf(row({ archivesExposed: 3, patients: 19922, instances: 1_200_000 })).text,
    '19,922 patient records on 3 archives, 1,200,000 images',
  );
  assert.equal(
    headlineOf(row({ archivesExposed: 1, patients: 1, instances: 1, cappedArchives: 1 })).text,
    'At least 1 patient record on 1 archive, at least 1 image',
  );
  assert.equal(headlineOf(row({})).text, 'No archive lets a stranger read patient records');
  const sum = sumRows([
    row({ endpoints: 2, patients: 5, byExposure: { queryable: 1 }, maxRisk: 10, meanRisk: 10 }),
    row({ endpoints: 2, patients: 7, byExposure: { queryable: 2 }, maxRisk: 30, meanRisk: 20 }),
  ]);
  assert.deepEqual([sum?.patients, sum?.byExposure, sum?.maxRisk, sum?.meanRisk], [12, { queryable: 3 }, 30, 15]);
  assert.equal(sumRows([]), null);
});

test('top findings take titles and remediation from the catalogue; a CVE finding keeps its CVE', () => {
  const t = topFindingOf({ findingId: 'dicom-query-unauthenticated', severity: 'high', endpoints: 2, facilities: 1 });
  assert.match(t.title, /C-FIND/);
  assert.ok(t.remediation.length > 0);
  const cve = topFindingOf({
    findingId: 'known-vulnerable-version:CVE-2024-28130',
    severity: 'high',
    endpoints: 1,
    facilities: 1,
  });
  assert.equal(cve.catalogueId, 'known-vulnerable-version');
  assert.match(cve.title, /\(CVE-2024-28130\)$/);
  assert.equal(topFindingOf({ findingId: 'no-such', severity: 'low', endpoints: 1, facilities: 0 }).title, 'no-such');
});

test('scope key: the registry file when there is one, else the scope text', () => {
  const scan = (scope: string, settings: unknown): ScanRecord =>
    ({ id: 'x', scope, settings }) as unknown as ScanRecord;
  assert.equal(scopeKeyOf(scan('a', { facilities: { path: '/r.yaml', sha256: '1' } })), 'facilities:/r.yaml');
  assert.equal(
    scopeKeyOf(scan('b', { facilities: { path: '/r.yaml', sha256: '2' } })),
    scopeKeyOf(scan('a', { facilities: { path: '/r.yaml', sha256: '1' } })),
    'an edited registry is the same scope',
  );
  assert.equal(scopeKeyOf(scan('10.0.0.0/24 ports 104', { facilities: null })), 'scope:10.0.0.0/24 ports 104');
});
