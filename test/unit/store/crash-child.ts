/**
 * Child process for the kill -9 test: resumes a scan's pending targets and writes their results
 * through a BatchWriter, as the scan engine does, until it is killed. After every commit it prints
 * `done N` (targets marked done and committed by this process so far) on stdout.
 *
 * usage: node crash-child.ts DB_PATH SCAN_ID MAX_ROWS
 */
import { writeSync } from 'node:fs';
import { setImmediate as tick } from 'node:timers/promises';
import { BatchWriter } from '../../../src/store/batch-writer.ts';
import { openStore } from '../../../src/store/open.ts';
import type { WriteBatch } from '../../../src/store/repository.ts';
import { endpointRecord, observationRecord } from './helpers.ts';

const [dbPath, scanId, maxRows] = process.argv.slice(2);
if (!dbPath || !scanId || !maxRows) throw new Error('usage: crash-child.ts DB_PATH SCAN_ID MAX_ROWS');

const store = await openStore(dbPath);
let committed = 0;
const sink = {
  async writeBatch(batch: WriteBatch): Promise<void> {
    await store.writeBatch(batch);
    committed += batch.targetsDone?.length ?? 0;
    writeSync(1, `done ${committed}\n`);
  },
};
const writer = new BatchWriter(sink, { maxRows: Number(maxRows), maxDelayMs: 50 });
writeSync(1, 'ready\n');
for await (const t of store.pendingTargets(scanId, { pageSize: 500 })) {
  const n = Number(t.host.split('.').at(-1)) + 256 * Number(t.host.split('.').at(-2));
  writer.endpoint(endpointRecord(scanId, t.host, t.port, n % 2 ? 'queryable' : 'identified'));
  writer.observation(observationRecord(scanId, t.host, t.port, 'dicom.associate'));
  writer.observation(observationRecord(scanId, t.host, t.port, 'dicom.echo'));
  // Uneven rows per target, so batch boundaries fall between a target's results and its done mark.
  if (n % 3 === 0)
    writer.finding({ scanId, host: t.host, port: t.port, findingId: 'f', severity: 'high', evidence: ['dicom.echo'] });
  writer.targetDone({ scanId, host: t.host, port: t.port });
  await writer.ready();
  await tick(); // a real scan awaits the network here
}
await writer.close();
await store.close();
writeSync(1, 'finished\n');
