/**
 * Canary test: real servers hold synthetic patients whose every personal value carries a unique
 * marker. After `pacsmap scan` (the real command, as a child process, verbose), neither stdout,
 * stderr, the JSON result, the audit log nor any file it left may contain one of them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { makeArchive, type SyntheticArchive } from '../../fixtures/studies/synthetic.ts';
import { startDcmqrscp, startOrthanc, type PeerBase } from '../../fixtures/peers/index.ts';
import { assertNoCanaries, assertNoCanariesInFiles, canaryHits } from '../../helpers/canary.ts';

const BIN = fileURLToPath(new URL('../../../bin/pacsmap.js', import.meta.url));
const peers: PeerBase[] = [];
const dirs: string[] = [];

after(async () => {
  await Promise.all(peers.map((p) => p.stop()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(kind: string): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), `pacsmap-${kind}-`));
  dirs.push(d);
  return d;
}

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let latin1: SyntheticArchive;
let utf8: SyntheticArchive;

before(async () => {
  latin1 = await makeArchive({
    patients: 4,
    studiesPerPatient: 2,
    seriesPerStudy: 1,
    instancesPerSeries: 2,
    seed: 101,
    dir: await tempDir('arch1'),
  });
  utf8 = await makeArchive({
    patients: 3,
    studiesPerPatient: 1,
    seriesPerStudy: 2,
    instancesPerSeries: 1,
    seed: 202,
    dir: await tempDir('arch2'),
    charset: 'ISO_IR 192',
  });
});

for (const charset of ['ISO_IR 100', 'ISO_IR 192'] as const) {
  test(`no planted value leaves the scanner (${charset}): stdout, stderr, JSON, audit log, working dir`, async () => {
    const archive = charset === 'ISO_IR 100' ? latin1 : utf8;
    const orthanc = await startOrthanc({ access: 'open', archive });
    peers.push(orthanc);
    const qr = await startDcmqrscp({ aet: 'DCMQRSCP', archive });
    peers.push(qr);
    const cwd = await tempDir('cwd');
    const outputs: Record<string, string> = {};
    // Human summary, verbose logs, JSON and CSV to files, audit log and store (./pacsmap.db) in the
    // working directory; the retrieval proof pulls one instance (with its canary patient) into memory,
    // and the web probes read Orthanc's REST API and DICOMweb (whose answers carry the canaries too).
    const ports = `${orthanc.port},${qr.port},${orthanc.httpPort}`;
    const a = await run(
      [
        'scan',
        '127.0.0.1',
        '-p',
        ports,
        '--called-ae',
        'DCMQRSCP',
        '--depth',
        'retrieve',
        '--json',
        'out.json',
        '--csv',
        'out.csv',
        '-v',
      ],
      cwd,
    );
    assert.equal(a.code, 0, a.stderr);
    outputs['stdout'] = a.stdout;
    outputs['stderr'] = a.stderr;
    // JSON to stdout as well.
    const b = await run(
      [
        'scan',
        '127.0.0.1',
        '-p',
        ports,
        '--called-ae',
        'DCMQRSCP',
        '--json',
        '-',
        '--db',
        'second.db',
        '--audit',
        'audit2.jsonl',
      ],
      cwd,
    );
    assert.equal(b.code, 0, b.stderr);
    outputs['json stdout'] = b.stdout;
    outputs['stderr 2'] = b.stderr;
    // The read commands over the store the first scan wrote: list, summary table with findings.
    const scans = await run(['scans', '--db', 'pacsmap.db', '--json'], cwd);
    assert.equal(scans.code, 0, scans.stderr);
    const scanId = (JSON.parse(scans.stdout) as { id: string }[])[0]!.id;
    const shown = await run(['show', scanId, '--db', 'pacsmap.db'], cwd);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /patient records on \d+ archives/, 'show printed the figures it read');
    outputs['scans'] = scans.stdout;
    outputs['show'] = shown.stdout + shown.stderr;
    const report = JSON.parse(await readFile(path.join(cwd, 'out.json'), 'utf8')) as {
      endpoints: Array<{ port: number; query: { patients: number; studies: number; phiCategories: string[] } }>;
    };
    // The JSON contract (docs/scan-json.md).
    const raw = JSON.parse(await readFile(path.join(cwd, 'out.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(raw).sort(), ['endpoints', 'scan']);
    for (const e of raw['endpoints'] as Array<Record<string, unknown>>) {
      for (const k of [
        'host',
        'port',
        'status',
        'service',
        'implementation',
        'product',
        'association',
        'echo',
        'query',
        'services',
        'exposure',
      ]) {
        assert.ok(k in e, `endpoint field ${k}`);
      }
      assert.deepEqual(Object.keys(e['implementation'] as object).sort(), ['classUid', 'versionName']);
      for (const k of ['accepted', 'calledAe', 'callingAe', 'reject'])
        assert.ok(k in (e['association'] as object), `association.${k}`);
      for (const k of ['allowed', 'patients', 'studies', 'instances', 'phiCategories'])
        assert.ok(k in (e['query'] as object), `query.${k}`);
      for (const k of ['find', 'move', 'get', 'store'])
        assert.equal(typeof (e['services'] as Record<string, unknown>)[k], 'boolean');
      assert.equal(e['exposure'], 'retrievable');
    }
    // The scan really read the records: otherwise "no canary" would prove nothing.
    assert.equal(report.endpoints.length, 3, 'two DICOM ports and Orthanc HTTP');
    const full = report.endpoints as unknown as Array<{
      service: string;
      retrieve: { proven: boolean; get: { instanceBytes: number } } | null;
    }>;
    for (const e of full.filter((x) => x.service === 'dicom')) {
      assert.equal(e.retrieve?.proven, true, 'an instance came back by C-GET (and was dropped)');
      assert.ok((e.retrieve?.get.instanceBytes ?? 0) > 0);
    }
    assert.ok(
      full.some((x) => x.service === 'http'),
      'the web probes read Orthanc over HTTP',
    );
    for (const e of report.endpoints) {
      assert.equal(e.query.patients, archive.counts.patients, `patients counted on port ${e.port}`);
      assert.equal(e.query.studies, archive.counts.studies);
      assert.ok(e.query.phiCategories.includes('name'));
    }
    assert.match(a.stderr, /"event":"associate"/, 'verbose logging was on');
    // The detector itself must see a planted value where one is.
    assert.ok(canaryHits(`x ${archive.canaries[0]} y`, archive).length > 0);
    assert.ok(canaryHits(JSON.stringify({ v: archive.canaryTokens.at(-1) }), archive).length > 0);
    for (const [where, text] of Object.entries(outputs)) assertNoCanaries(where, text, archive);
    const files = assertNoCanariesInFiles(cwd, archive);
    assert.ok(files >= 5, 'out.json, out.csv, the audit log and both stores were searched');
  });
}
