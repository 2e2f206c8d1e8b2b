/** `pacsmap lab up --detach` / `status` / `down`: the background lab, its files, and its shutdown. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { labCommand } from '../../../src/cli/lab-command.ts';
import { UsageError } from '../../../src/cli/args.ts';
import type { Io } from '../../../src/cli/io.ts';
import type { GroundTruth } from '../../../src/lab/truth.ts';

// A subnet of its own (test files run concurrently; see test/integration/fleet/helpers.ts subnetByte).
const SUBNET = '127.122.0.0/16';
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) {
    // Never leave a lab behind, whatever failed.
    await labCommand(['down', '--dir', d, '--grace', '1s'], capture()).catch(() => 0);
    await rm(d, { recursive: true, force: true });
  }
});

function capture(): Io & { text: () => string } {
  let out = '';
  return { out: (t) => void (out += t), err: (t) => void (out += t), text: () => out };
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-lab-cli-'));
  dirs.push(d);
  return d;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

test('lab up --detach starts a background lab, writes its files, and lab down stops it', async () => {
  const dir = await tempDir();
  const io = capture();
  const rc = await labCommand(
    ['up', '--hosts', '6', '--seed', 'cli', '--subnet', SUBNET, '--dir', dir, '--detach'],
    io,
  );
  assert.equal(rc, 0, io.text());
  assert.match(io.text(), /pacsmap lab ready \(pid \d+\): 6 hosts on /);
  const gt = JSON.parse(readFileSync(path.join(dir, 'ground-truth.json'), 'utf8')) as GroundTruth;
  assert.equal(gt.status, 'ready');
  assert.equal(Number(readFileSync(path.join(dir, 'lab.pid'), 'utf8')), gt.pid);
  assert.ok(alive(gt.pid));
  const yaml = parseYaml(readFileSync(path.join(dir, 'facilities.yaml'), 'utf8')) as { facilities: { id: string }[] };
  assert.deepEqual(
    yaml.facilities.map((f) => f.id),
    gt.facilities.map((f) => f.id),
  );
  assert.ok(existsSync(path.join(dir, 'facilities.csv')));
  const open = gt.endpoints.find((e) => e.kind === 'dicom');
  const closed = gt.endpoints.find((e) => e.kind === 'closed');
  assert.ok(open && closed);
  assert.equal(await connects(open.host, open.port), true);
  assert.equal(await connects(closed.host, closed.port), false);

  const again = capture();
  assert.equal(await labCommand(['up', '--hosts', '6', '--subnet', SUBNET, '--dir', dir, '--detach'], again), 1);
  assert.match(again.text(), /already running/);

  const st = capture();
  assert.equal(await labCommand(['status', '--dir', dir], st), 0);
  assert.match(st.text(), /pacsmap lab ready/);

  const down = capture();
  assert.equal(await labCommand(['down', '--dir', dir], down), 0, down.text());
  assert.match(down.text(), /pacsmap lab stopped \(pid \d+\)/);
  assert.equal(alive(gt.pid), false);
  assert.equal(existsSync(path.join(dir, 'lab.pid')), false);
  assert.equal(
    (JSON.parse(readFileSync(path.join(dir, 'ground-truth.json'), 'utf8')) as GroundTruth).status,
    'stopped',
  );
  assert.equal(await connects(open.host, open.port), false);
  assert.match(readFileSync(path.join(dir, 'lab.log'), 'utf8'), /lab stats: .*pacsmap lab stopped/s);

  assert.equal(await labCommand(['down', '--dir', dir], capture()), 1, 'nothing left to stop');
  assert.equal(await labCommand(['status', '--dir', dir], capture()), 3);
});

test('lab down refuses to signal a process that is not a lab', async () => {
  const dir = await tempDir();
  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await writeFile(path.join(dir, 'lab.pid'), `${other.pid}\n`);
    const io = capture();
    assert.equal(await labCommand(['down', '--dir', dir], io), 1);
    assert.match(io.text(), /not a pacsmap lab/);
    assert.ok(alive(other.pid!));
  } finally {
    other.kill();
  }
});

test('usage errors', async () => {
  await assert.rejects(labCommand(['up'], capture()), UsageError);
  await assert.rejects(labCommand(['up', '--hosts', '0'], capture()), UsageError);
  await assert.rejects(labCommand(['up', '--hosts', '5', '--latency', 'soon'], capture()), UsageError);
  await assert.rejects(labCommand(['sideways'], capture()), UsageError);
  const help = capture();
  assert.equal(await labCommand(['--help'], help), 0);
  assert.match(help.text(), /pacsmap lab up --hosts N/);
});
