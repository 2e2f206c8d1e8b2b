/**
 * Demo for a newcomer: starts three real archives on loopback (Orthanc open to strangers, DCMTK
 * dcmqrscp refusing an unknown called AE, DCMTK storescp over TLS), loaded with synthetic
 * patients, scans them with `pacsmap scan` and stops them. Needs Debian's orthanc and dcmtk.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeArchive } from '../test/fixtures/studies/synthetic.ts';
import { startDcmqrscp, startOrthanc, startStorescp, type PeerBase } from '../test/fixtures/peers/index.ts';

const bin = fileURLToPath(new URL('../bin/pacsmap.js', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'pacsmap-demo-'));
const peers: PeerBase[] = [];
try {
  const archive = await makeArchive({
    patients: 12,
    studiesPerPatient: 2,
    seriesPerStudy: 2,
    instancesPerSeries: 4,
    seed: 2019,
    dir,
  });
  const orthanc = await startOrthanc({ access: 'open', archive });
  peers.push(orthanc);
  const qr = await startDcmqrscp({ aet: 'DCMQRSCP', archive });
  peers.push(qr);
  const store = await startStorescp({ tls: true });
  peers.push(store);
  process.stdout.write(
    `Demo archives on 127.0.0.1: Orthanc ${orthanc.port}, dcmqrscp ${qr.port} (AE DCMQRSCP), storescp over TLS ${store.port}\n` +
      `Loaded: ${archive.counts.patients} synthetic patients, ${archive.counts.studies} studies, ${archive.counts.instances} images.\n\n`,
  );
  const r = spawnSync(
    process.execPath,
    [
      bin,
      'scan',
      '127.0.0.1',
      '-p',
      `${orthanc.port},${qr.port},${store.port}`,
      '--audit',
      path.join(dir, 'audit.jsonl'),
    ],
    {
      stdio: 'inherit',
    },
  );
  process.exitCode = r.status ?? 1;
} finally {
  await Promise.all(peers.map((p) => p.stop()));
  rmSync(dir, { recursive: true, force: true });
}
