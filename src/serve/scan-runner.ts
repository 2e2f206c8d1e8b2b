/**
 * Scans started from the dashboard: `pacsmap scan --facilities FILE --db URL` as a child process
 * (the same command an analyst runs), so a scan outlives no request and the server stays
 * responsive. Progress is read from the store (cursor / workTotal), not from the child. The
 * child's stderr is read (bounded) only to learn the new scan's id from our own message.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FacilityRecord } from '../store/repository.ts';

export type ScanTarget = { readonly kind: 'lab' } | { readonly kind: 'facility'; readonly facility: FacilityRecord };

export interface ScanRun {
  readonly id: string;
  readonly target: string;
  readonly startedBy: string;
  readonly startedAt: string;
  state: 'running' | 'finished' | 'failed';
  exitCode: number | null;
  /** The store's scan id, once the child has announced it. */
  scanId: string | null;
}

export interface ScanStarter {
  /** A lab registry is configured (`--lab-dir`). */
  readonly labAvailable: boolean;
  start(target: ScanTarget, startedBy: string): Promise<ScanRun>;
  get(runId: string): ScanRun | undefined;
  /** Newest first. */
  list(): ScanRun[];
}

export interface ChildScanOptions {
  /** The store URL the dashboard reads (the child writes to the same). */
  readonly dbUrl: string;
  /** Lab directory holding facilities.yaml (`pacsmap lab up --dir`); null: no lab scans. */
  readonly labDir: string | null;
  /** Ports for lab scans (the lab's) and facility scans (null: the scan command's default). */
  readonly labPorts: readonly number[];
  readonly facilityPorts: readonly number[] | null;
  /** Further `pacsmap scan` options (e.g. --timeout 3s). */
  readonly extraArgs?: readonly string[];
  /** Runs kept in memory for the runs page (oldest dropped first). */
  readonly keepRuns?: number;
}

const BIN = fileURLToPath(new URL('../../bin/pacsmap.js', import.meta.url));
const STDERR_LIMIT = 64 * 1024;
const SCAN_ID = /^(?:scan|resuming scan) ([0-9a-f-]{36})\b/m;

function csvField(v: unknown): string {
  const s = Array.isArray(v) ? v.join(' ') : v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A one-facility registry in the CSV columns src/facilities/registry.ts reads. */
export function facilityCsv(f: FacilityRecord): string {
  const cols = ['id', 'name', 'region', 'country', 'contact_email', 'ranges', 'lat', 'lon'];
  const row = [f.id, f.name, f.region, f.country, f.contactEmail, f.ranges, f.latitude, f.longitude];
  return `${cols.join(',')}\r\n${row.map(csvField).join(',')}\r\n`;
}

export function childScanStarter(options: ChildScanOptions): ScanStarter {
  const runs: ScanRun[] = [];
  const keep = options.keepRuns ?? 100;
  const labRegistry = options.labDir === null ? null : path.join(options.labDir, 'facilities.yaml');
  return {
    get labAvailable() {
      return labRegistry !== null && existsSync(labRegistry);
    },
    async start(target, startedBy) {
      let registry: string;
      let tmp: string | null = null;
      let ports: readonly number[] | null;
      if (target.kind === 'lab') {
        if (labRegistry === null || !existsSync(labRegistry)) throw new Error('no lab registry configured');
        registry = labRegistry;
        ports = options.labPorts;
      } else {
        tmp = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-serve-'));
        registry = path.join(tmp, 'facility.csv');
        await writeFile(registry, facilityCsv(target.facility), { mode: 0o600 });
        ports = options.facilityPorts;
      }
      const args = [BIN, 'scan', '--facilities', registry, '--db', options.dbUrl, '--progress', 'none'];
      if (ports && ports.length > 0) args.push('-p', ports.join(','));
      args.push(...(options.extraArgs ?? []));
      const run: ScanRun = {
        id: randomUUID(),
        target: target.kind === 'lab' ? 'lab fleet' : `facility ${target.facility.id}`,
        startedBy,
        startedAt: new Date().toISOString(),
        state: 'running',
        exitCode: null,
        scanId: null,
      };
      runs.unshift(run);
      if (runs.length > keep) runs.length = keep;
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let seen = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        if (run.scanId !== null || seen.length > STDERR_LIMIT) return;
        seen += chunk;
        const m = SCAN_ID.exec(seen);
        if (m) run.scanId = m[1]!;
      });
      const done = (code: number | null): void => {
        run.exitCode = code;
        run.state = code === 0 ? 'finished' : 'failed';
        if (tmp !== null) void rm(tmp, { recursive: true, force: true });
      };
      child.on('error', () => done(null));
      child.on('close', (code) => done(code));
      return run;
    },
    get: (id) => runs.find((r) => r.id === id),
    list: () => [...runs],
  };
}
