/**
 * The scan engine: work units (host × port, from a target set or a discovery import) through the
 * work pool under the scan's limits; on each, the connect sweep, then the DICOM probes on an open
 * port; results into the store in batches, with the scan's cursor committed after them.
 *
 * Crash safety: a unit's results go into the batch writer before the unit counts as finished, and
 * the cursor (the lowest unfinished position) is added after them, so a committed cursor never
 * runs ahead of committed results. `kill -9` loses at most the uncommitted batch; a resume starts
 * at the committed cursor and re-probes the few units above it that had finished (upserts: never
 * duplicated).
 */
import { newScanSalt } from '../privacy/salted-distinct.ts';
import type { AuditLog, Logger } from '../log/logger.ts';
import { auditProbe, type Observation, type ProbeContext } from '../probes/probe.ts';
import { probeTcpConnect } from '../probes/tcp/connect.ts';
import { BatchWriter } from '../store/batch-writer.ts';
import type { Repository } from '../store/repository.ts';
import type { Skipped } from '../targets/target-set.ts';
import { probeOpenPort, type PortProbeOptions } from './probe-port.ts';
import { assessedRecords } from './records.ts';
import { correlateScan } from './correlate.ts';
import { isExposed } from './exposure.ts';
import { RateLimiter } from './rate-limiter.ts';
import type { PreparedScan, ScanPlan, WorkUnit } from './scan-plan.ts';
import { runPool } from './work-pool.ts';

/** Live figures of a running scan (for the progress display). */
export interface ScanCounters {
  /** Units finished in this run. */
  done: number;
  /** Units already committed before this run started (a resume's cursor). */
  readonly resumedAt: bigint;
  openPorts: number;
  dicomEndpoints: number;
  /** PACS web faces (DICOMweb, REST, viewers) answering HTTP(S). */
  webEndpoints: number;
  /** Endpoints at `associable` or worse. */
  exposed: number;
  skipped: number;
}

export interface FleetScanDeps {
  readonly store: Repository;
  readonly log: Logger;
  readonly audit: AuditLog;
  /** The connection-rate limit (default: the plan's rate, in this process alone). */
  readonly rate?: Pick<RateLimiter, 'take'>;
  /** Stops pulling new units; those in flight finish and are committed. */
  readonly signal?: AbortSignal;
  readonly onSkip?: (s: Skipped) => void;
  /**
   * Work positions [start, end) only, without moving the scan's cursor or status: one shard of a
   * distributed scan (its completion is the job queue's business).
   */
  readonly shard?: { readonly end: bigint };
  /** Test hook: called after each unit's results are handed to the writer. */
  readonly afterUnit?: (unit: WorkUnit) => void;
}

export interface FleetScanOutcome {
  readonly counters: ScanCounters;
  readonly interrupted: boolean;
}

/**
 * Runs (or resumes) scan `scanId`, whose record already exists in the store, from `start`.
 * `counters` is filled live; pass one in to watch it.
 */
export async function runFleetScan(
  scanId: string,
  plan: ScanPlan,
  prepared: PreparedScan,
  start: bigint,
  deps: FleetScanDeps,
  counters: ScanCounters = newCounters(start),
): Promise<FleetScanOutcome> {
  const { store, log, audit } = deps;
  const ctx: ProbeContext = {
    scanId,
    scope: prepared.scope,
    // A resumed scan gets a new salt: patient counts are per endpoint, never merged across runs.
    salt: newScanSalt(),
    timeouts: plan.timeouts,
    log,
    audit,
    maxQueryMatches: plan.maxQueryMatches,
    phiSampleSize: plan.phiSampleSize,
  };
  const rate = deps.rate ?? new RateLimiter({ perSecond: plan.rate });
  const writer = new BatchWriter(store, { maxRows: 500, maxDelayMs: 500 });
  const identity = { calledAe: plan.calledAe, callingAe: plan.callingAe };
  const portOptions: PortProbeOptions = {
    tls: plan.tls,
    identity,
    beforeConnect: () => rate.take(),
    dicom: {
      ...(plan.aeDiscovery ? { aeDiscovery: plan.aeDiscovery } : {}),
      depth: plan.depth ?? 'negotiate',
      ...(plan.maxInstanceBytes !== undefined ? { maxInstanceBytes: plan.maxInstanceBytes } : {}),
    },
    web: plan.web !== false,
    tryDefaultCredentials: plan.tryDefaultCredentials === true,
  };
  const registry = prepared.registry;

  const work = async (unit: WorkUnit): Promise<void> => {
    let connect: Observation<unknown> | null = null;
    if (!unit.discovered) {
      for (let attempt = 0; attempt <= plan.retries; attempt++) {
        await rate.take();
        connect = await probeTcpConnect(ctx, unit.address, unit.port);
        auditProbe(ctx, { host: unit.address, port: unit.port }, connect, null);
        // Only a timeout is worth another try: a refusal is an answer.
        if (connect.status !== 'connection-timeout') break;
      }
      if (connect?.status !== 'success') {
        counters.done += 1;
        deps.afterUnit?.(unit);
        return;
      }
    }
    counters.openPorts += 1;
    const result = await probeOpenPort(ctx, unit.address, unit.port, portOptions);
    if (result.service === 'dicom' || result.service === 'dicom-tls') counters.dicomEndpoints += 1;
    else if (result.service !== null && result.exposureLevels.length > 0) counters.webEndpoints += 1;
    if (isExposed(result.exposure)) counters.exposed += 1;
    const records = assessedRecords(scanId, unit, result, registry?.facilityFor(unit.address) ?? null);
    writer.endpoint(records.endpoint);
    for (const f of records.findings) writer.finding(f);
    for (const o of connect ? [connect, ...result.observations] : result.observations) {
      writer.observation({
        scanId,
        host: unit.address,
        port: unit.port,
        probe: o.probe,
        status: o.status,
        startedAt: o.startedAt,
        durationMs: o.durationMs,
        detail: o.detail,
        facts: o === connect ? (connect.facts ?? null) : null,
      });
    }
    counters.done += 1;
    deps.afterUnit?.(unit);
    await writer.ready();
  };

  let interrupted = false;
  try {
    const outcome = await runPool(
      prepared.units(
        start,
        (s) => {
          counters.skipped += 1;
          deps.onSkip?.(s);
        },
        deps.shard?.end,
      ),
      {
        concurrency: plan.concurrency,
        perKey: plan.perHost,
        ...(deps.shard ? {} : { onMark: (mark: bigint) => writer.cursor(scanId, mark) }),
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
      work,
    );
    interrupted = outcome.aborted;
  } finally {
    await writer.close();
  }
  if (deps.shard) return { counters, interrupted };
  if (!interrupted) await correlateScan(store, scanId, log);
  await store.updateScan(scanId, {
    status: interrupted ? 'interrupted' : 'finished',
    finishedAt: interrupted ? null : new Date().toISOString(),
  });
  return { counters, interrupted };
}

export function newCounters(resumedAt: bigint): ScanCounters {
  return { done: 0, resumedAt, openPorts: 0, dicomEndpoints: 0, webEndpoints: 0, exposed: 0, skipped: 0 };
}
