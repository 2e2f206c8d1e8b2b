/**
 * Orthanc passes for DCMTK on DICOM (it announces DCMTK's implementation values); its REST API
 * names product, version and DICOM port. A scan that sees both ends with the DICOM endpoint
 * identified as Orthanc of that version, and assessed as such: DCMTK's CVEs replaced by Orthanc's.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startOrthanc, type PeerBase } from '../../fixtures/peers/index.ts';
import { matchProductCves } from '../../../src/knowledge/cves.ts';
import { openStore } from '../../../src/store/open.ts';
import type { EndpointResult } from '../../../src/scan/endpoint-result.ts';
import { pacsmap } from '../fleet/helpers.ts';

const peers: PeerBase[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function scan(ports: string): Promise<{ dicom: EndpointResult; cves: string[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-correlate-'));
  dirs.push(dir);
  const db = path.join(dir, 'c.db');
  const r = await pacsmap(['scan', '127.0.0.1', '-p', ports, '--db', db, '--audit', 'none', '--progress', 'none']);
  assert.equal(r.code, 0, r.err);
  const store = await openStore(db);
  try {
    const [s] = await store.listScans();
    const orthanc = peers.at(-1) as unknown as { port: number };
    const rec = await store.getEndpoint(s!.id, '127.0.0.1', orthanc.port);
    assert.ok(rec);
    const cves: string[] = [];
    for await (const f of store.findings(s!.id, { host: '127.0.0.1', port: orthanc.port }))
      if (f.findingId.startsWith('known-vulnerable-version:')) cves.push(f.findingId.split(':')[1]!);
    return { dicom: rec.result as EndpointResult, cves: cves.sort() };
  } finally {
    await store.close();
  }
}

test("Orthanc's REST API on the same host settles what its DICOM answer leaves open", async () => {
  const orthanc = await startOrthanc({ access: 'open' });
  peers.push(orthanc);
  const dcmtkCves = matchProductCves('DCMTK', '3.6.7').matches.map((m) => m.rule.id);

  // DICOM alone: DCMTK (or Orthanc), with DCMTK's CVEs.
  const alone = await scan(String(orthanc.port));
  assert.equal(alone.dicom.product?.name, 'DCMTK');
  assert.ok(alone.dicom.product?.ambiguousWith.includes('Orthanc'));
  assert.ok(alone.cves.length > 0, 'DCMTK 3.6.7 has known CVEs');

  // DICOM and the REST port: Orthanc 1.10.1, assessed as Orthanc.
  const both = await scan(`${orthanc.port},${orthanc.httpPort}`);
  assert.equal(both.dicom.product?.name, 'Orthanc');
  assert.equal(both.dicom.product?.version, '1.10.1');
  assert.deepEqual(both.dicom.product?.ambiguousWith, []);
  assert.match(both.dicom.product?.confidence ?? '', new RegExp(`REST API on port ${orthanc.httpPort}`));
  const orthancCves = matchProductCves('Orthanc', '1.10.1')
    .matches.map((m) => m.rule.id)
    .sort();
  assert.deepEqual(both.cves, orthancCves);
  for (const c of dcmtkCves) if (!orthancCves.includes(c)) assert.ok(!both.cves.includes(c), `${c} stayed`);
});
