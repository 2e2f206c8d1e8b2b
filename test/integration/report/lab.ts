/** A lab scanned through the real CLI, for the report tests; restartable with overrides on the same subnet. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { facilitiesYaml } from '../../../src/lab/files.ts';
import { startLab, type RunningLab } from '../../../src/lab/lab.ts';
import type { EndpointOverride } from '../../../src/lab/overrides.ts';
import { openStore } from '../../../src/store/open.ts';
import { pacsmap } from '../fleet/helpers.ts';

export interface ReportLab {
  lab: RunningLab;
  readonly dir: string;
  readonly db: string;
  readonly registry: string;
  readonly ports: string;
  /** Stops the lab and starts the same seed again with these overrides. */
  restart(overrides: readonly EndpointOverride[]): Promise<void>;
  /** Scans the registry into the store; returns the new scan's id. */
  scan(): Promise<string>;
  stop(): Promise<void>;
}

export async function reportLab(opts: { hosts: number; seed: string; subnetByte: number }): Promise<ReportLab> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-report-'));
  const start = (overrides: readonly EndpointOverride[]): Promise<RunningLab> =>
    startLab({
      hosts: opts.hosts,
      seed: opts.seed,
      subnet: `127.${opts.subnetByte}.0.0/16`,
      certDir: dir,
      latencyMs: 0,
      limits: { artimMs: 3_000, idleMs: 10_000, closeMs: 3_000 },
      overrides,
    });
  const first = await start([]);
  const registry = path.join(dir, 'facilities.yaml');
  await writeFile(registry, facilitiesYaml(first.groundTruth.facilities));
  const ports = [...new Set(first.endpoints.map((e) => e.port))].sort((a, b) => a - b).join(',');
  const db = path.join(dir, 'scan.db');
  const self: ReportLab = {
    lab: first,
    dir,
    db,
    registry,
    ports,
    async restart(overrides) {
      await self.lab.stop();
      self.lab = await start(overrides);
    },
    async scan() {
      const r = await pacsmap([
        'scan',
        '--facilities',
        registry,
        '-p',
        ports,
        '--db',
        db,
        '--timeout',
        '1s',
        '--rate',
        '0',
        '--concurrency',
        '48',
        '--no-ae-discovery',
        '--progress',
        'none',
      ]);
      if (r.code !== 0) throw new Error(`scan failed (${r.code}): ${r.err}`);
      const store = await openStore(db);
      try {
        const [latest] = await store.listScans();
        if (!latest) throw new Error('no scan stored');
        return latest.id;
      } finally {
        await store.close();
      }
    },
    async stop() {
      await self.lab.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}
