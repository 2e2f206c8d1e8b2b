/**
 * Heap cost of counting N studies through the partitioned count (real cFind, in-process DIMSE
 * fake, cap 500). Run directly for the 100 k figure:
 *   node_modules/.bin/node --expose-gc test/unit/count/count-memory.ts 100000
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { probeQueryCount, type QueryFacts } from '../../../src/probes/dicom/query-count.ts';
import { testContext } from '../../helpers/probe-context.ts';
import { FAKE_ANSWERS, FakeFindChannel, type FakeShape } from './dimse-fake.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

export interface MemoryRun {
  readonly facts: QueryFacts;
  readonly queries: number;
  readonly responses: number;
  /** Largest heapUsed growth over the baseline, sampled after forced GCs during the count. */
  readonly peakHeapGrowth: number;
  readonly ms: number;
}

export async function countWithHeap(shape: FakeShape): Promise<MemoryRun> {
  const ctx = testContext({ maxQueryMatches: 10_000_000, timeouts: { associationMs: 3_600_000 } });
  const fake = new FakeFindChannel(shape);
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  // Sample every 2 000 responses, after a full GC, so garbage does not count as growth.
  const receive = fake.receive.bind(fake);
  fake.receive = async () => {
    if (fake.responses % 2_000 === 1_999) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    }
    return receive();
  };
  const t0 = performance.now();
  const o = await probeQueryCount(ctx, fake.asChannel(), FAKE_ANSWERS, { maxQueries: 10_000 });
  const ms = performance.now() - t0;
  gc();
  peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  if (!o.facts) throw new Error(`count failed: ${o.status} ${o.detail}`);
  return { facts: o.facts, queries: fake.queries, responses: fake.responses, peakHeapGrowth: peak, ms };
}

export const shapeOf = (studies: number, patients = 100): FakeShape => ({
  studies,
  perDay: 20,
  spacing: 60,
  patients,
  cap: 500,
  instancesPerStudy: 3,
});

if (import.meta.main) {
  const n = Number(process.argv[2] ?? 100_000);
  for (const [label, shape] of [
    ['100 patients', shapeOf(n, 100)],
    [`${n} patients`, shapeOf(n, n)],
  ] as const) {
    const r = await countWithHeap(shape);
    console.log(
      `${label}: ${r.facts.studies} studies, ${r.facts.patients} patients, ${r.queries} C-FINDs, ${r.responses} responses, ` +
        `${r.facts.partitions} partitions, peak heap growth ${(r.peakHeapGrowth / 1024).toFixed(0)} KiB ` +
        `(${(r.peakHeapGrowth / n).toFixed(1)} B/study), ${(r.ms / 1000).toFixed(1)} s`,
    );
  }
}
