/**
 * Politeness is a correctness property: the connection rate holds whatever the concurrency, and
 * one host never sees two connections at once by default.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pacsmap, subnetByte } from './helpers.ts';

const NET = `127.${subnetByte(29)}`;

interface Line {
  readonly time: string;
  readonly durationMs: number;
  readonly probe: string;
  readonly host: string;
}

test('--rate holds across 64 parallel workers: no second has more connection starts than rate + burst', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-pace-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // 64 addresses × 1 closed port: each unit is one refused connect, as fast as the machine allows.
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const audit = path.join(dir, 'audit.jsonl');
  const rate = 40;
  const t0 = performance.now();
  const r = await pacsmap([
    'scan',
    `${NET}.5.0/26`,
    '-p',
    String(port),
    '--rate',
    String(rate),
    '--concurrency',
    '64',
    '--db',
    path.join(dir, 'p.db'),
    '--audit',
    audit,
    '--progress',
    'none',
  ]);
  const elapsed = (performance.now() - t0) / 1000;
  assert.equal(r.code, 0, r.err);
  const lines = (await readFile(audit, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.probe === 'tcp.connect');
  assert.equal(lines.length, 64);
  const burst = Math.floor(rate / 10);
  // 64 connects at 40/s after a burst of 4 take at least 1.5 s.
  assert.ok(elapsed >= (64 - burst) / rate - 0.05, `took ${elapsed.toFixed(2)} s`);
  const starts = lines.map((l) => Date.parse(l.time)).sort((a, b) => a - b);
  for (let i = 0; i < starts.length; i++) {
    const inWindow = starts.filter((s) => s >= starts[i]! && s < starts[i]! + 1000).length;
    assert.ok(inWindow <= rate + burst, `${inWindow} connection starts within one second`);
  }
});

test('one connection per host at a time: the probes of ten open ports of one host never overlap', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-pace-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const host = `${NET}.6.1`;
  // Ten listeners that answer nothing and hang up after 30 ms: each port costs several connections.
  const servers = await Promise.all(
    Array.from(
      { length: 10 },
      () =>
        new Promise<net.Server>((resolve) => {
          const s = net.createServer((c) => void setTimeout(() => c.destroy(), 30));
          s.listen(0, host, () => resolve(s));
        }),
    ),
  );
  t.after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  const audit = path.join(dir, 'audit.jsonl');
  const r = await pacsmap([
    'scan',
    host,
    '-p',
    ports.join(','),
    '--rate',
    '0',
    '--concurrency',
    '64',
    '--timeout',
    '2s',
    '--db',
    path.join(dir, 'p.db'),
    '--audit',
    audit,
    '--progress',
    'none',
  ]);
  assert.equal(r.code, 0, r.err);
  const spans = (await readFile(audit, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.host === host)
    .map((l) => [Date.parse(l.time), Date.parse(l.time) + l.durationMs] as const)
    .sort((a, b) => a[0] - b[0]);
  assert.ok(spans.length >= 20, `${spans.length} probes`);
  // Audit times are in whole milliseconds: allow 2 ms of rounding between one probe's end and the next start.
  for (let i = 1; i < spans.length; i++)
    assert.ok(spans[i]![0] >= spans[i - 1]![1] - 2, `probe ${i} started before probe ${i - 1} ended`);
});
