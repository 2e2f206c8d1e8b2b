/**
 * Counting past a server-side cap, against real servers: Orthanc 1.10 with LimitFindResults below
 * the number of studies (and below the studies of one single day), and DCMTK's dcmqrscp uncapped
 * (regression). Every count must equal what was loaded; no planted value may leak.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { makeArchive, type SyntheticArchive } from '../../fixtures/studies/synthetic.ts';
import { startDcmqrscp, startOrthanc, type PeerBase } from '../../fixtures/peers/index.ts';
import { probeAssociate } from '../../../src/probes/dicom/associate.ts';
import { probeQueryCount, type CountOptions } from '../../../src/probes/dicom/query-count.ts';
import { DimseChannel } from '../../../src/protocol/dimse/channel.ts';
import { testContext, type TestContext } from '../../helpers/probe-context.ts';
import { assertNoCanaries } from '../../helpers/canary.ts';
import { redate, type StudyWhen } from './dated-archive.ts';

const peers: PeerBase[] = [];
let archive: SyntheticArchive;
let whens: StudyWhen[];
let dir: string;
/** Studies on the one shared day. */
const SAME_DAY = 9;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-count-'));
  archive = await makeArchive({
    patients: 7,
    studiesPerPatient: 4,
    seriesPerStudy: 1,
    instancesPerSeries: 2,
    seed: 23,
    dir,
  });
  // Studies 0..SAME_DAY-1 on one day (two at the very same second, the others at distinct hours); the others spread over 1987..2025.
  whens = await redate(archive, (i) =>
    i < SAME_DAY
      ? { date: '20210615', time: i < 2 ? '103000' : `${String(7 + i).padStart(2, '0')}1500` }
      : {
          date: `${1987 + ((i * 7) % 39)}${String(1 + ((i * 5) % 12)).padStart(2, '0')}${String(1 + ((i * 11) % 28)).padStart(2, '0')}`,
          time: '083000',
        },
  );
});

after(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function count(port: number, calledAe: string, opts: CountOptions = {}, ctx: TestContext = testContext()) {
  const { observation, association } = await probeAssociate(
    ctx,
    { host: '127.0.0.1', port, tls: false },
    { calledAe, callingAe: 'PACSMAP' },
  );
  assert.ok(association, JSON.stringify(observation));
  try {
    const o = await probeQueryCount(ctx, new DimseChannel(association), observation.facts!.contexts, opts);
    assert.equal(o.status, 'success', o.detail ?? '');
    return { facts: o.facts!, observation: o, ctx };
  } finally {
    await association.release();
  }
}

function assertNoLeak(ctx: TestContext, ...things: unknown[]): void {
  const text = [
    ...things.map((t) => JSON.stringify(t)),
    ...ctx.logLines,
    ...ctx.auditLines.map((a) => JSON.stringify(a)),
  ].join('\n');
  assertNoCanaries('facts, log and audit', text, archive);
  // Study dates are range keys only: none of the planted ones comes back out.
  for (const w of whens) if (w.date) assert.ok(!text.includes(w.date), `study date ${w.date} leaked`);
}

test('Orthanc, LimitFindResults 7 < 28 studies, 9 on one day: exact counts by date, then time, partitions', async () => {
  assert.ok(archive.counts.studies > 7 && SAME_DAY > 7);
  const orthanc = await startOrthanc({ access: 'open', archive, limitFindResults: 7 });
  peers.push(orthanc);
  const { facts, observation, ctx } = await count(orthanc.port, 'ANY-SCP');
  assert.equal(facts.allowed, true);
  assert.equal(facts.capDetected, 'server-cancel', 'Orthanc ends a limited answer with Cancel 0xFE00');
  assert.equal(facts.dimseStatus, 0xfe00);
  assert.equal(facts.studies, archive.counts.studies);
  assert.equal(facts.patients, archive.counts.patients);
  assert.equal(facts.instances, archive.counts.instances);
  assert.equal(facts.capped, false);
  assert.equal(facts.instancesEstimated, false);
  assert.deepEqual(facts.lowerBoundReasons, []);
  assert.ok(facts.partitions > 4, `partitions ${facts.partitions}`);
  assert.ok(facts.queries > facts.partitions && facts.queries < 200, `queries ${facts.queries}`);
  assertNoLeak(ctx, observation);
});

test('Orthanc, a cap of 1: the one-second partition holding two studies cannot be split: lower bound', async () => {
  const orthanc = await startOrthanc({ access: 'open', archive, limitFindResults: 1 });
  peers.push(orthanc);
  const { facts } = await count(orthanc.port, 'ANY-SCP');
  assert.equal(facts.capped, true);
  assert.ok(facts.lowerBoundReasons.includes('unsplittable'), facts.lowerBoundReasons.join());
  // Orthanc answers a lone match completely (success): only the shared second stays capped, counted as 1 of 2.
  assert.equal(facts.studies, archive.counts.studies - 1);
  assert.ok(facts.partitions > archive.counts.studies / 2, `partitions ${facts.partitions}`);
});

test('Orthanc, query budget of 5: stops, reports a lower bound no smaller than the first answer', async () => {
  const orthanc = await startOrthanc({ access: 'open', archive, limitFindResults: 7 });
  peers.push(orthanc);
  const { facts } = await count(orthanc.port, 'ANY-SCP', { maxQueries: 5 });
  assert.equal(facts.queries, 5);
  assert.equal(facts.capped, true);
  assert.deepEqual(facts.lowerBoundReasons, ['query-budget']);
  assert.ok(facts.studies! >= 7 && facts.studies! < archive.counts.studies, `studies ${facts.studies}`);
  assert.equal(facts.instancesEstimated, true);
});

test('dcmqrscp uncapped: one query, exact counts, nothing partitioned (regression)', async () => {
  const q = await startDcmqrscp({ aet: 'DCMQRSCP', archive });
  peers.push(q);
  const { facts, observation, ctx } = await count(q.port, 'DCMQRSCP');
  assert.equal(facts.allowed, true);
  assert.equal(facts.studies, archive.counts.studies);
  assert.equal(facts.patients, archive.counts.patients);
  assert.equal(facts.instances, archive.counts.instances);
  assert.equal(facts.capped, false);
  assert.equal(facts.capDetected, null);
  assert.equal(facts.queries, 1);
  assert.equal(facts.partitions, 1);
  assertNoLeak(ctx, observation);
});

test('dcmqrscp answering exactly 100 studies (a round cap) on one day: split by date, then time ranges, still exact', async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-count100-'));
  try {
    const a = await makeArchive({
      patients: 25,
      studiesPerPatient: 4,
      seriesPerStudy: 1,
      instancesPerSeries: 1,
      seed: 5,
      dir: d,
    });
    // All on one day, 5 minutes apart: every date range holding them answers 100, then StudyTime splits the day.
    await redate(a, (i) => ({
      date: '20200315',
      time: `${String(Math.floor(i / 12)).padStart(2, '0')}${String((i % 12) * 5).padStart(2, '0')}00`,
    }));
    const q = await startDcmqrscp({ aet: 'DCMQRSCP', archive: a });
    peers.push(q);
    const { facts } = await count(q.port, 'DCMQRSCP');
    assert.equal(facts.capDetected, 'round-count');
    assert.equal(facts.studies, 100);
    assert.equal(facts.patients, 25);
    assert.equal(facts.instances, 100);
    assert.equal(facts.capped, false);
    assert.ok(facts.partitions > 2, `partitions ${facts.partitions}`);
    assert.ok(facts.queries > 20, `queries ${facts.queries}: down to the day, then its hours`);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
});

test('Orthanc, capped, with studies that have no StudyDate: what no range can match is reported', async () => {
  const d = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-undated-'));
  try {
    const a = await makeArchive({
      patients: 3,
      studiesPerPatient: 4,
      seriesPerStudy: 1,
      instancesPerSeries: 1,
      seed: 8,
      dir: d,
    });
    await redate(a, (i) => ({ date: i % 4 === 0 ? null : `2020${String(1 + i).padStart(2, '0')}01`, time: '120000' }));
    const orthanc = await startOrthanc({ access: 'open', archive: a, limitFindResults: 5 });
    peers.push(orthanc);
    const { facts } = await count(orthanc.port, 'ANY-SCP');
    // Orthanc's ranges never match an empty StudyDate: the 9 dated studies are counted by partition, the
    // undated ones only as far as the capped first answer showed them, so the count is a flagged lower bound.
    assert.equal(facts.capDetected, 'server-cancel');
    assert.equal(facts.capped, true);
    assert.deepEqual(facts.lowerBoundReasons, ['undated-studies']);
    assert.ok(facts.studies! > 9 && facts.studies! < a.counts.studies, `studies ${facts.studies}`);
    assert.equal(facts.patients, 3);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
});
