/**
 * `pacsmap scan` over a whole lab fleet, through the real command: every open port of the ground
 * truth is found once, attributed to its facility, and its service told right; closed ports leave
 * no endpoint; the audit log names every probe.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { openStore } from '../../../src/store/open.ts';
import { headlineOf } from '../../../src/report/aggregate.ts';
import type { EndpointRecord } from '../../../src/store/repository.ts';
import { labSetup, pacsmap, subnetByte, type LabSetup } from './helpers.ts';

let setup: LabSetup;

before(async () => {
  setup = await labSetup({ hosts: 24, seed: 'fleet-scan', subnetByte: subnetByte(0) });
});
after(() => setup?.stop());

test('a registry scan finds every open port of the fleet once, with its facility and service', async () => {
  const db = path.join(setup.dir, 'scan.db');
  const audit = path.join(setup.dir, 'audit.jsonl');
  const r = await pacsmap([
    'scan',
    '--facilities',
    setup.registry,
    '-p',
    setup.ports,
    '--db',
    db,
    '--audit',
    audit,
    '--timeout',
    '2s',
    '--rate',
    '0',
    '--concurrency',
    '32',
    '--progress',
    'none',
  ]);
  assert.equal(r.code, 0, r.err);
  const store = await openStore(db);
  try {
    const [scan] = await store.listScans();
    assert.ok(scan);
    assert.equal(scan.status, 'finished');
    const total = setup.lab.groundTruth.hosts * setup.ports.split(',').length;
    assert.equal((scan.settings as { workTotal: string }).workTotal, String(total));
    assert.equal(scan.cursor, String(total), 'the cursor ends past the last work item');
    const got = new Map<string, EndpointRecord>();
    for await (const e of store.endpoints(scan.id)) got.set(`${e.host}:${e.port}`, e);
    const open = setup.lab.endpoints.filter((e) => e.kind !== 'closed');
    assert.deepEqual([...got.keys()].sort(), open.map((e) => `${e.host}:${e.port}`).sort());
    for (const e of open) {
      const rec = got.get(`${e.host}:${e.port}`)!;
      // The lab's HTTP decoys answer HTTP: the web probes say so (and find no PACS there).
      assert.equal(rec.service, e.kind === 'http' ? 'http' : e.service, `${e.id} service`);
      if (e.kind === 'http') assert.equal(rec.exposure, 'none', `${e.id} exposure`);
      assert.equal(rec.facilityId, e.facilityId, `${e.id} facility`);
    }
    // Every work item was swept, and every open port saw the DICOM probes; the audit says so.
    const lines = (await readFile(audit, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { probe: string; host: string; port: number; scanId: string });
    assert.ok(lines.every((l) => l.scanId === scan.id));
    assert.equal(lines.filter((l) => l.probe === 'tcp.connect').length >= total, true);
    for (const e of open)
      assert.ok(
        lines.some((l) => l.host === e.host && l.port === e.port && l.probe === 'dicom.associate'),
        e.id,
      );
    // `show` opens with the figure a ministry quotes, as the store aggregates it.
    const [figures] = await store.figures(scan.id, 'total');
    assert.ok(figures && figures.archivesExposed > 0, 'the lab has archives readable by a stranger');
    const shown = await pacsmap(['show', scan.id, '--db', db]);
    assert.equal(shown.code, 0, shown.err);
    assert.ok(shown.out.includes(headlineOf(figures).text), shown.out.slice(0, 600));
    assert.match(headlineOf(figures).text, new RegExp(`on ${figures.archivesExposed} archives`));
  } finally {
    await store.close();
  }
  assert.match(r.out, /finished: \d+ work items this run/);
});
