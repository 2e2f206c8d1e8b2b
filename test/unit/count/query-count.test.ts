import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeQueryCount } from '../../../src/probes/dicom/query-count.ts';
import { testContext } from '../../helpers/probe-context.ts';
import { FAKE_ANSWERS, FakeFindChannel } from './dimse-fake.ts';

const shape = (studies: number) => ({ studies, perDay: 20, spacing: 60, patients: 37, cap: 500, instancesPerStudy: 3 });

test('under the cap: one query, exact, nothing partitioned', async () => {
  const fake = new FakeFindChannel(shape(300));
  const o = await probeQueryCount(testContext(), fake.asChannel(), FAKE_ANSWERS);
  assert.equal(o.status, 'success');
  assert.deepEqual(
    { ...o.facts, characterSets: undefined },
    {
      allowed: true,
      model: 'study-root',
      dimseStatus: 0,
      patients: 37,
      studies: 300,
      instances: 900,
      instancesEstimated: false,
      capped: false,
      capDetected: null,
      queries: 1,
      partitions: 1,
      lowerBoundReasons: [],
      undecodable: 0,
      characterSets: undefined,
    },
  );
});

test('our own --max-matches still bounds the whole count: lower bound, reason our-cap', async () => {
  const fake = new FakeFindChannel(shape(2_000));
  const o = await probeQueryCount(testContext({ maxQueryMatches: 700 }), fake.asChannel(), FAKE_ANSWERS);
  const f = o.facts!;
  assert.equal(f.capped, true);
  assert.ok(f.lowerBoundReasons.includes('our-cap'), f.lowerBoundReasons.join());
  assert.ok(f.studies! <= 700 && f.studies! >= 500, `studies ${f.studies}`);
  assert.equal(f.instancesEstimated, true);
});

test('a query budget too small to finish: lower bound no smaller than the first (capped) answer', async () => {
  const fake = new FakeFindChannel(shape(2_000));
  const o = await probeQueryCount(testContext(), fake.asChannel(), FAKE_ANSWERS, { maxQueries: 3 });
  const f = o.facts!;
  assert.equal(fake.queries, 3);
  assert.deepEqual(f.lowerBoundReasons, ['query-budget']);
  assert.equal(f.studies, 500);
  assert.equal(f.capDetected, 'server-cancel');
});

test('past the cap: exact, with the partitions and queries reported', async () => {
  const fake = new FakeFindChannel(shape(2_000));
  const o = await probeQueryCount(testContext(), fake.asChannel(), FAKE_ANSWERS);
  const f = o.facts!;
  assert.equal(f.studies, 2_000);
  assert.equal(f.patients, 37);
  assert.equal(f.instances, 6_000);
  assert.equal(f.capped, false);
  assert.equal(f.queries, fake.queries);
  assert.ok(f.partitions >= 4);
});
