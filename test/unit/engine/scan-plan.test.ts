import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PlanError, fileRef, prepareScan, type ScanPlan, type WorkUnit } from '../../../src/scan/scan-plan.ts';
import type { Skipped } from '../../../src/targets/target-set.ts';

function plan(over: Partial<ScanPlan>): ScanPlan {
  return {
    planVersion: 1,
    targets: [],
    exclude: [],
    facilities: null,
    discovery: null,
    ports: [104, 11112],
    order: 'random',
    seed: 'unit',
    tls: 'auto',
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    timeouts: { connectMs: 1000, acseMs: 1000, dimseMs: 1000, associationMs: 5000 },
    maxQueryMatches: 100,
    phiSampleSize: 5,
    concurrency: 4,
    perHost: 1,
    rate: 0,
    retries: 0,
    ...over,
  };
}

async function all(it: AsyncIterable<WorkUnit>): Promise<WorkUnit[]> {
  const out: WorkUnit[] = [];
  for await (const u of it) out.push(u);
  return out;
}

const resolver = async (name: string): Promise<string[]> => (name === 'pacs.example' ? ['127.6.0.1'] : []);

test('targets are the scope: their addresses and what their hostnames resolve to, minus exclusions', async () => {
  const p = await prepareScan(
    plan({
      targets: [
        { text: '127.5.0.0/30', origin: 'a' },
        { text: 'pacs.example', origin: 'b' },
      ],
      exclude: [{ text: '127.5.0.2', origin: '--exclude' }],
    }),
    { resolver },
  );
  const units = await all(p.units(0n));
  const hosts = [...new Set(units.map((u) => u.address))].sort();
  assert.deepEqual(hosts, ['127.5.0.0', '127.5.0.1', '127.5.0.3', '127.6.0.1']);
  assert.equal(units.length, hosts.length * 2, 'every port of every host once');
  assert.ok(units.every((u) => !u.discovered));
  assert.equal(units.find((u) => u.address === '127.6.0.1')?.hostname, 'pacs.example');
  for (const a of hosts) assert.equal(p.scope.allows(a), true, a);
  for (const a of ['127.5.0.2', '127.6.0.2', '127.5.0.4']) assert.equal(p.scope.allows(a), false, a);
});

test('the order is a function of the seed, and a start position resumes exactly the rest', async () => {
  const mk = () => prepareScan(plan({ targets: [{ text: '127.5.1.0/28', origin: 'a' }] }));
  const a = await all((await mk()).units(0n));
  const b = await all((await mk()).units(0n));
  assert.deepEqual(
    a.map((u) => `${u.position}:${u.address}:${u.port}`),
    b.map((u) => `${u.position}:${u.address}:${u.port}`),
  );
  assert.notDeepEqual(
    a.map((u) => u.address),
    [...a.map((u) => u.address)].sort(),
    'random order, not sorted',
  );
  const rest = await all((await mk()).units(10n));
  assert.deepEqual(
    rest,
    a.filter((u) => u.position >= 10n),
  );
  const shard = await all((await mk()).units(5n, undefined, 12n));
  assert.deepEqual(
    shard,
    a.filter((u) => u.position >= 5n && u.position < 12n),
  );
});

test('with a registry, the registry is the scope: targets outside it are skipped and named', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-plan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f.yaml');
  await writeFile(
    file,
    'facilities:\n  - id: h1\n    name: H1\n    region: R\n    country: AQ\n    contact_email: s@h1.example\n    ranges: [127.5.2.0/30]\n',
  );
  const skipped: Skipped[] = [];
  const p = await prepareScan(
    plan({
      facilities: await fileRef(file),
      targets: [
        { text: '127.5.2.1', origin: 'a' },
        { text: '127.5.9.9', origin: 'b' },
      ],
    }),
  );
  const units = await all(p.units(0n, (s) => skipped.push(s)));
  assert.deepEqual([...new Set(units.map((u) => u.address))], ['127.5.2.1']);
  assert.ok(skipped.some((s) => s.address === '127.5.9.9' && s.reason === 'out-of-scope'));
  assert.equal(p.registry?.facilityFor('127.5.2.1'), 'h1');
  // The registry alone: its ranges are the targets.
  const whole = await prepareScan(plan({ facilities: await fileRef(file) }));
  assert.equal(whole.total, 4n * 2n);
  // A resume refuses a registry that changed since the scan began.
  const ref = await fileRef(file);
  await writeFile(file, 'facilities: []\n');
  await assert.rejects(prepareScan(plan({ facilities: ref }), { resuming: true }), PlanError);
});

test('a discovery import gives units known open, in file order, only inside the scope', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-plan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'm.txt');
  await writeFile(
    file,
    '#masscan\nopen tcp 104 127.5.3.2 1\nopen tcp 104 10.9.9.9 1\nopen tcp 4242 127.5.3.1 1\nopen tcp 104 127.5.3.2 2\n',
  );
  const skipped: Skipped[] = [];
  const p = await prepareScan(
    plan({
      targets: [{ text: '127.5.3.0/24', origin: 'a' }],
      discovery: { ...(await fileRef(file)), format: null, port: null },
    }),
  );
  assert.equal(p.total, 2n);
  const units = await all(p.units(0n, (s) => skipped.push(s)));
  assert.deepEqual(
    units.map((u) => [u.position, u.address, u.port, u.discovered]),
    [
      [0n, '127.5.3.2', 104, true],
      [1n, '127.5.3.1', 4242, true],
    ],
  );
  assert.deepEqual(
    skipped.map((s) => s.address),
    ['10.9.9.9'],
  );
  assert.deepEqual(await all(p.units(1n)), units.slice(1));
});
