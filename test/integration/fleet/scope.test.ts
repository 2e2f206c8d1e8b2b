/**
 * The scope is a wall: an address outside the facility registry, or excluded, is never contacted,
 * whatever the targets or the discovery import say. Tripwire listeners count every connection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../../src/store/open.ts';
import { pacsmap, subnetByte, tripwire } from './helpers.ts';

const NET = `127.${subnetByte(7)}`;
let dir: string;
const wires: Array<Awaited<ReturnType<typeof tripwire>>> = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-scope-'));
});
after(async () => {
  await Promise.all(wires.map((w) => w.close()));
  await rm(dir, { recursive: true, force: true });
});

async function registry(): Promise<string> {
  const file = path.join(dir, 'facilities.yaml');
  await writeFile(
    file,
    [
      'facilities:',
      '  - id: hosp-a',
      '    name: Hospital A',
      '    region: North',
      '    country: AQ',
      '    contact_email: sec@a.example',
      `    ranges: [${NET}.0.0/24]`,
      '',
    ].join('\n'),
  );
  return file;
}

test('targets outside the registry and excluded addresses are never contacted; those inside are', async () => {
  const inside = await tripwire(`${NET}.0.7`);
  const excluded = await tripwire(`${NET}.0.5`);
  const outside = await tripwire(`${NET}.1.1`);
  wires.push(inside, excluded, outside);
  const ports = [...new Set([inside.port, excluded.port, outside.port])].join(',');
  const db = path.join(dir, 'a.db');
  const audit = path.join(dir, 'a.jsonl');
  const r = await pacsmap([
    'scan',
    `${NET}.0.0/24`,
    `${NET}.1.1`,
    '--facilities',
    await registry(),
    '--exclude',
    `${NET}.0.5`,
    '-p',
    ports,
    '--db',
    db,
    '--audit',
    audit,
    '--timeout',
    '1s',
    '--rate',
    '0',
    '--concurrency',
    '64',
    '--progress',
    'none',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.ok(inside.hits() >= 1, 'the in-scope listener was found');
  assert.equal(excluded.hits(), 0, 'an excluded address was contacted');
  assert.equal(outside.hits(), 0, 'an address outside the registry was contacted');
  const lines = (await readFile(audit, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { host: string });
  assert.ok(!lines.some((l) => l.host === `${NET}.0.5` || l.host === `${NET}.1.1`));
  assert.match(r.out, /targets outside the scope skipped/);
  const store = await openStore(db);
  const [scan] = await store.listScans();
  const hosts: string[] = [];
  for await (const e of store.endpoints(scan!.id)) hosts.push(e.host);
  await store.close();
  assert.deepEqual(hosts, [`${NET}.0.7`]);
});

test('a discovery import is not an authorisation: its entries outside the scope are never contacted', async () => {
  const inside = await tripwire(`${NET}.0.9`);
  const outside = await tripwire(`${NET}.2.2`);
  wires.push(inside, outside);
  const masscan = path.join(dir, 'masscan.txt');
  await writeFile(
    masscan,
    [
      '#masscan',
      `open tcp ${inside.port} ${NET}.0.9 1700000000`,
      `open tcp ${outside.port} ${NET}.2.2 1700000000`,
      `open tcp ${inside.port} ${NET}.0.9 1700000001`,
      '# end',
      '',
    ].join('\n'),
  );
  const db = path.join(dir, 'b.db');
  const r = await pacsmap([
    'scan',
    '--facilities',
    await registry(),
    '--import',
    masscan,
    '--db',
    db,
    '--audit',
    path.join(dir, 'b.jsonl'),
    '--timeout',
    '1s',
    '--progress',
    'none',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(outside.hits(), 0, 'an imported address outside the scope was contacted');
  // Imported ports are known open: no sweep, straight to the probes (each audited probe is one connection).
  const probes = (await readFile(path.join(dir, 'b.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { probe: string }).probe);
  assert.ok(!probes.includes('tcp.connect'), probes.join(' '));
  assert.ok(probes.includes('dicom.associate'));
  assert.equal(inside.hits(), probes.length);
  const store = await openStore(db);
  const [scan] = await store.listScans();
  const eps: string[] = [];
  for await (const e of store.endpoints(scan!.id)) eps.push(`${e.host}:${e.port}`);
  await store.close();
  assert.deepEqual(eps, [`${NET}.0.9:${inside.port}`]);
});

test('an import without a scope is refused before anything is read or contacted', async () => {
  const r = await pacsmap(['scan', '--import', path.join(dir, 'nothing.txt'), '--db', path.join(dir, 'c.db')]);
  assert.equal(r.code, 64);
  assert.match(r.err, /needs a scope/);
});
