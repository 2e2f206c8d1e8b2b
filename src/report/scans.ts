/**
 * Reading scans back from the store: finding one by id or unique prefix, its progress, its
 * settings, and its endpoints with their findings, page by page.
 */
import { EXPOSURE_LEVELS, isExposed } from '../scan/exposure.ts';
import type { EndpointRecord, FindingRecord, Repository, ScanRecord } from '../store/repository.ts';

/** No such scan, or a prefix that matches several: the message is meant for the user. */
export class ScanLookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanLookupError';
  }
}

export const MIN_PREFIX = 4;

/** The scan with this id, else the only scan whose id starts with it (at least 4 characters, like git). */
export async function resolveScan(repo: Repository, idOrPrefix: string): Promise<ScanRecord> {
  const wanted = idOrPrefix.trim();
  if (wanted === '') throw new ScanLookupError('no scan id given');
  const exact = await repo.getScan(wanted);
  if (exact) return exact;
  if (wanted.length < MIN_PREFIX)
    throw new ScanLookupError(`no scan ${wanted} (an id prefix needs at least ${MIN_PREFIX} characters)`);
  const lower = wanted.toLowerCase();
  const matches = (await repo.listScans()).filter((s) => s.id.toLowerCase().startsWith(lower));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new ScanLookupError(`no scan ${wanted} (pacsmap scans lists them)`);
  const shown = matches.slice(0, 5).map((s) => s.id);
  throw new ScanLookupError(
    `scan id prefix ${wanted} is ambiguous: ${shown.join(', ')}${matches.length > shown.length ? ', …' : ''}`,
  );
}

/** The scan's settings document as an object ({} when absent or not an object). */
export function scanSettings(scan: ScanRecord): Record<string, unknown> {
  const s = scan.settings;
  return typeof s === 'object' && s !== null && !Array.isArray(s) ? (s as Record<string, unknown>) : {};
}

function bigOrNull(v: unknown): bigint | null {
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return null;
}

export interface ScanProgress {
  readonly done: bigint;
  /** null when the scan does not say how much work it has. */
  readonly total: bigint | null;
}

/**
 * cursor/workTotal from the engine; a finished scan without a cursor counts as complete, and an
 * older scan without workTotal falls back to its targets table.
 */
export function scanProgress(scan: ScanRecord): ScanProgress {
  const total = bigOrNull(scanSettings(scan)['workTotal']);
  const cursor = bigOrNull(scan.cursor);
  if (total !== null) {
    const done = cursor ?? (scan.status === 'finished' ? total : 0n);
    return { done: done > total ? total : done, total };
  }
  if (scan.counts.targets > 0) return { done: BigInt(scan.counts.targetsDone), total: BigInt(scan.counts.targets) };
  return { done: cursor ?? 0n, total: null };
}

/** "45.2% (1,234/2,730)", "1,234 done" when the total is unknown, "-" before anything. */
export function formatScanProgress(p: ScanProgress): string {
  if (p.total === null) return p.done > 0n ? `${p.done.toLocaleString('en-US')} done` : '-';
  if (p.total === 0n) return '-';
  const perMille = (p.done * 1000n) / p.total;
  return `${perMille / 10n}.${perMille % 10n}% (${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')})`;
}

/** The ports a scan covered, from its settings ([] when not recorded). */
export function scanPorts(scan: ScanRecord): number[] {
  const p = scanSettings(scan)['ports'];
  return Array.isArray(p) ? p.filter((x): x is number => typeof x === 'number') : [];
}

/** Every exposure level, worst first, then `none`: the order of tables and of counts. */
export const EXPOSURE_ORDER: readonly string[] = [...EXPOSURE_LEVELS, 'none'];

/** Rank for sorting: known levels in order, unknown values after them, `none` last. */
export function exposureRank(exposure: string): number {
  const i = EXPOSURE_LEVELS.indexOf(exposure as (typeof EXPOSURE_LEVELS)[number]);
  if (i >= 0) return i;
  return exposure === 'none' ? EXPOSURE_LEVELS.length + 1 : EXPOSURE_LEVELS.length;
}

/** Exposure values present in `counts`, worst first (known levels, then unknown values, then none). */
export function exposuresInOrder(counts: Record<string, number>): string[] {
  return Object.keys(counts).sort((a, b) => exposureRank(a) - exposureRank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Counts of every level (zeros included, worst first), plus any value the store holds beyond them. */
export function exposureCounts(counts: Record<string, number>): Record<string, number> {
  const all: Record<string, number> = {};
  for (const level of EXPOSURE_ORDER) all[level] = 0;
  Object.assign(all, counts);
  const out: Record<string, number> = {};
  for (const key of exposuresInOrder(all)) out[key] = all[key] ?? 0;
  return out;
}

/** Endpoints exposed to a stranger (associable or worse; see EXPOSED_LEVELS). */
export function exposedCount(counts: Record<string, number>): number {
  return Object.entries(counts).reduce((sum, [k, v]) => (isExposed(k) ? sum + v : sum), 0);
}

export interface EndpointWithFindings {
  readonly endpoint: EndpointRecord;
  /** This endpoint's finding records; null when the scan has no finding at all (not assessed). */
  readonly findings: readonly FindingRecord[] | null;
}

export interface EndpointStreamOptions {
  /** Rows per store round trip (default 1000). */
  readonly pageSize?: number;
  readonly exposure?: string;
}

/**
 * Endpoints of a scan ordered by (host, port), each with its findings. Paged: one page of endpoints
 * and one endpoint's findings in memory at a time. Findings are fetched per endpoint (an indexed
 * lookup) rather than merge-joined, since no rule ties every finding to an endpoint row.
 */
export async function* endpointsWithFindings(
  repo: Repository,
  scan: ScanRecord,
  options: EndpointStreamOptions = {},
): AsyncGenerator<EndpointWithFindings> {
  const assessed = scan.counts.findings > 0;
  const query = {
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(options.exposure === undefined ? {} : { exposure: options.exposure }),
  };
  for await (const endpoint of repo.endpoints(scan.id, query)) {
    if (!assessed) {
      yield { endpoint, findings: null };
      continue;
    }
    const findings: FindingRecord[] = [];
    for await (const f of repo.findings(scan.id, { host: endpoint.host, port: endpoint.port })) findings.push(f);
    yield { endpoint, findings };
  }
}
