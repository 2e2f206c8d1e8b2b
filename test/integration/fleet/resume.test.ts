/**
 * Crash safety, the hard way: `pacsmap scan` as a child process is killed with SIGKILL mid-scan,
 * then `pacsmap scan --resume` finishes it. No open port of the fleet is lost, none is counted
 * twice, and the resumed run starts exactly at the committed cursor.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../src/store/open.ts';
import { labSetup, pacsmap, subnetByte, type LabSetup } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../../bin/pacsmap.js', import.meta.url));
let setup: LabSetup;

before(async () => {
  // Latency makes each DICOM endpoint take long enough to kill the scan in the middle.
  setup = await labSetup({ hosts: 14, seed: 'resume', subnetByte: subnetByte(13), latencyMs: 30 });
});
after(() => setup?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('kill -9 in the middle, then --resume: every open port exactly once, resumed from the cursor', async () => {
  const db = path.join(setup.dir, 'resume.db');
  const audit1 = path.join(setup.dir, 'audit-1.jsonl');
  const audit2 = path.join(setup.dir, 'audit-2.jsonl');
  const child = spawn(
    process.execPath,
    [
      BIN,
      'scan',
      '--facilities',
      setup.registry,
      '-p',
      setup.ports,
      '--db',
      db,
      '--audit',
      audit1,
      '--timeout',
      '2s',
      '--rate',
      '0',
      '--concurrency',
      '4',
      '--progress',
      'none',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));

  // Wait until some results are committed, then kill without warning.
  let committed = 0;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await sleep(100);
    try {
      const s = await openStore(db);
      const [scan] = await s.listScans();
      committed = scan ? scan.counts.endpoints : 0;
      await s.close();
    } catch {
      // the database may not exist yet
    }
    if (committed >= 4) break;
  }
  assert.ok(committed >= 4, `no results committed in time: ${stderr}`);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');

  const store = await openStore(db);
  const [killed] = await store.listScans();
  await store.close();
  assert.ok(killed);
  assert.equal(killed.status, 'running', 'a killed scan is left as running');
  const total = BigInt((killed.settings as { workTotal: string }).workTotal);
  const cursor = BigInt(killed.cursor ?? '0');
  assert.ok(cursor < total, `the scan was killed before its end (cursor ${cursor} of ${total})`);

  const r = await pacsmap(['scan', '--resume', killed.id, '--db', db, '--audit', audit2, '--progress', 'none']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`resuming scan ${killed.id} at ${cursor} of ${total}`));

  const after = await openStore(db);
  try {
    const scan = await after.getScan(killed.id);
    assert.equal(scan?.status, 'finished');
    assert.equal(scan?.cursor, String(total));
    const keys: string[] = [];
    for await (const e of after.endpoints(killed.id)) keys.push(`${e.host}:${e.port}`);
    const open = setup.lab.endpoints.filter((e) => e.kind !== 'closed').map((e) => `${e.host}:${e.port}`);
    assert.equal(new Set(keys).size, keys.length, 'an endpoint is stored twice');
    assert.deepEqual(keys.sort(), open.sort(), 'an endpoint was lost (or invented)');
  } finally {
    await after.close();
  }
  // The resumed run swept exactly the work from the committed cursor on.
  const swept = new Set(
    (await readFile(audit2, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { probe: string; host: string; port: number })
      .filter((l) => l.probe === 'tcp.connect')
      .map((l) => `${l.host}:${l.port}`),
  );
  assert.equal(BigInt(swept.size), total - cursor);
});

test('Ctrl-C: the scan stops taking work, commits what was in progress, exits 3 as interrupted; --resume finishes it', async () => {
  const db = path.join(setup.dir, 'sigint.db');
  const child = spawn(
    process.execPath,
    [
      BIN,
      'scan',
      '--facilities',
      setup.registry,
      '-p',
      setup.ports,
      '--db',
      db,
      '--audit',
      'none',
      '--timeout',
      '2s',
      '--rate',
      '0',
      '--concurrency',
      '4',
      '--progress',
      'none',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !/work items \(/.test(out)) await sleep(50);
  await sleep(1500);
  child.kill('SIGINT');
  assert.equal(await exited, 3, out);
  assert.match(out, /stopping: finishing the ports in progress/);
  assert.match(out, /INTERRUPTED/);
  const store = await openStore(db);
  const [scan] = await store.listScans();
  await store.close();
  assert.equal(scan?.status, 'interrupted');
  const total = BigInt((scan!.settings as { workTotal: string }).workTotal);
  assert.ok(BigInt(scan!.cursor ?? '0') < total, 'stopped before the end');
  const r = await pacsmap(['scan', '--resume', scan!.id, '--db', db, '--audit', 'none', '--progress', 'none']);
  assert.equal(r.code, 0, r.err);
  const after = await openStore(db);
  try {
    assert.equal((await after.getScan(scan!.id))?.status, 'finished');
    const keys: string[] = [];
    for await (const e of after.endpoints(scan!.id)) keys.push(`${e.host}:${e.port}`);
    const open = setup.lab.endpoints.filter((e) => e.kind !== 'closed').map((e) => `${e.host}:${e.port}`);
    assert.deepEqual(keys.sort(), open.sort());
  } finally {
    await after.close();
  }
});
