/** Shared set-up for the fleet-scan tests: a lab on a subnet of its own, its registry on disk, the CLI in-process. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main.ts';
import { facilitiesYaml } from '../../../src/lab/files.ts';
import { startLab, type RunningLab } from '../../../src/lab/lab.ts';
import type { Io } from '../../../src/cli/io.ts';

export interface LabSetup {
  readonly lab: RunningLab;
  readonly dir: string;
  readonly registry: string;
  readonly ports: string;
  stop(): Promise<void>;
}

export async function labSetup(opts: {
  hosts: number;
  seed: string;
  subnetByte: number;
  latencyMs?: number;
}): Promise<LabSetup> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-fleet-'));
  const lab = await startLab({
    hosts: opts.hosts,
    seed: opts.seed,
    subnet: `127.${opts.subnetByte}.0.0/16`,
    certDir: dir,
    latencyMs: opts.latencyMs ?? 0,
    limits: { artimMs: 3_000, idleMs: 10_000, closeMs: 3_000 },
  });
  const registry = path.join(dir, 'facilities.yaml');
  await writeFile(registry, facilitiesYaml(lab.groundTruth.facilities));
  const ports = [...new Set(lab.endpoints.map((e) => e.port))].sort((a, b) => a - b).join(',');
  return {
    lab,
    dir,
    registry,
    ports,
    async stop() {
      await lab.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The 127.X.0.0/16 of one test file: 130 + a constant the file owns (fleet 0, 7, 13, 29; dashboard
 * 11, 12, 14; reports 61, 67, 73). Test files run concurrently; two labs on one subnet would
 * collide, so every file has its own, never drawn at random.
 */
export function subnetByte(offset: number): number {
  return 130 + offset;
}

export interface Captured extends Io {
  readonly stdout: string[];
  readonly stderr: string[];
}

export function captureIo(): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

export async function pacsmap(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.stdout.join(''), err: io.stderr.join('') };
}

/** A TCP listener that counts who connected; proof that something was, or was never, contacted. */
export async function tripwire(
  host: string,
): Promise<{ port: number; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = net.createServer((s) => {
    hits += 1;
    s.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    hits: () => hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
