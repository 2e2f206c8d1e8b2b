/**
 * The figures a page shows for one scan, read from the store in one streamed pass over its
 * endpoints (one page of rows in memory at a time). Only counts, booleans and categories: the
 * store holds no patient value, and nothing here reads one.
 */
import { endpointView } from '../report/endpoint-view.ts';
import { endpointsWithFindings, exposedCount, exposureCounts, exposureRank } from '../report/scans.ts';
import { isExposed } from '../scan/exposure.ts';
import type { FacilityRecord, Repository, ScanRecord } from '../store/repository.ts';

export interface Reach {
  endpoints: number;
  exposed: number;
  /** Sums over endpoints whose query was answered. */
  patients: number;
  studies: number;
  instances: number;
  /** A figure is a lower bound (a capped query, or an answered query with no count). */
  lowerBound: boolean;
  /** Worst exposure among the endpoints. */
  worst: string;
}

export interface FacilityFigures extends Reach {
  readonly facility: FacilityRecord;
}

export interface RegionFigures extends Reach {
  readonly region: string;
  readonly country: string;
}

export interface FindingFigure {
  readonly findingId: string;
  endpoints: number;
  /** Worst severity seen for it. */
  severity: string;
}

export interface ScanFiguresView {
  readonly scan: ScanRecord;
  readonly total: Reach;
  readonly byExposure: Record<string, number>;
  /** Personal-data category → endpoints whose answered query exposed it. */
  readonly phiCategories: Record<string, number>;
  readonly facilities: FacilityFigures[];
  readonly regions: RegionFigures[];
  /** Endpoints attributed to no facility. */
  readonly unattributed: Reach;
  readonly topFindings: FindingFigure[];
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];

export function severityRank(s: string): number {
  const i = SEVERITY_ORDER.indexOf(s);
  return i < 0 ? SEVERITY_ORDER.length : i;
}

function emptyReach(): Reach {
  return { endpoints: 0, exposed: 0, patients: 0, studies: 0, instances: 0, lowerBound: false, worst: 'none' };
}

export async function scanFiguresView(repo: Repository, scan: ScanRecord): Promise<ScanFiguresView> {
  const counts = await repo.countsByExposure(scan.id);
  const total = emptyReach();
  const unattributed = emptyReach();
  const facilityRecords = new Map((await repo.listFacilities()).map((f) => [f.id, f]));
  const facilities = new Map<string, FacilityFigures>();
  const regions = new Map<string, RegionFigures>();
  const phiCategories: Record<string, number> = {};
  const findings = new Map<string, FindingFigure>();
  for await (const { endpoint, findings: fs } of endpointsWithFindings(repo, scan)) {
    const v = endpointView(endpoint, fs);
    const targets: Reach[] = [total];
    const fac = v.facilityId === null ? undefined : facilityRecords.get(v.facilityId);
    if (fac) {
      let f = facilities.get(fac.id);
      if (!f) facilities.set(fac.id, (f = { ...emptyReach(), facility: fac }));
      targets.push(f);
      const key = `${fac.country ?? ''}\u0000${fac.region ?? ''}`;
      let r = regions.get(key);
      if (!r) regions.set(key, (r = { ...emptyReach(), region: fac.region ?? '-', country: fac.country ?? '-' }));
      targets.push(r);
    } else targets.push(unattributed);
    for (const t of targets) {
      t.endpoints++;
      if (isExposed(v.exposure)) t.exposed++;
      if (exposureRank(v.exposure) < exposureRank(t.worst)) t.worst = v.exposure;
      if (v.queryAllowed === true) {
        t.patients += v.patients ?? 0;
        t.studies += v.studies ?? 0;
        t.instances += v.instances ?? 0;
        if (v.capped === true || v.patients === null || v.studies === null || v.instances === null) t.lowerBound = true;
      }
    }
    if (v.queryAllowed === true) for (const c of v.phiCategories) phiCategories[c] = (phiCategories[c] ?? 0) + 1;
    const seen = new Set<string>();
    for (const f of fs ?? []) {
      if (seen.has(f.findingId)) continue;
      seen.add(f.findingId);
      let ff = findings.get(f.findingId);
      if (!ff) findings.set(f.findingId, (ff = { findingId: f.findingId, endpoints: 0, severity: f.severity }));
      ff.endpoints++;
      if (severityRank(f.severity) < severityRank(ff.severity)) ff.severity = f.severity;
    }
  }
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    scan,
    total: { ...total, exposed: exposedCount(counts) },
    byExposure: exposureCounts(counts),
    phiCategories,
    facilities: [...facilities.values()].sort(
      (a, b) => exposureRank(a.worst) - exposureRank(b.worst) || b.patients - a.patients || byName(a.facility.name, b.facility.name),
    ),
    regions: [...regions.values()].sort(
      (a, b) => b.exposed - a.exposed || byName(a.country, b.country) || byName(a.region, b.region),
    ),
    unattributed,
    topFindings: [...findings.values()]
      .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || b.endpoints - a.endpoints)
      .slice(0, 10),
  };
}

export interface TrendPoint {
  readonly scanId: string;
  readonly at: string;
  readonly endpoints: number;
  readonly exposed: number;
}

/** Systems found and exposed per scan, oldest first (the last `limit` scans); database counts only. */
export async function trend(repo: Repository, limit = 50): Promise<TrendPoint[]> {
  const scans = (await repo.listScans()).slice(0, limit).reverse();
  const out: TrendPoint[] = [];
  for (const s of scans) {
    const counts = await repo.countsByExposure(s.id);
    out.push({ scanId: s.id, at: s.createdAt, endpoints: s.counts.endpoints, exposed: exposedCount(counts) });
  }
  return out;
}

export interface DiffRow {
  readonly host: string;
  readonly port: number;
  readonly facilityId: string | null;
  readonly before: string | null;
  readonly after: string | null;
  readonly change: 'new' | 'gone' | 'worse' | 'better' | 'unchanged';
}

export interface DiffView {
  readonly rows: DiffRow[];
  readonly counts: Record<DiffRow['change'], number>;
}

/**
 * Endpoint-by-endpoint comparison of two scans by exposure, merge-joined over both ordered
 * endpoint streams. Unchanged rows are counted but only `keepUnchanged` of them are kept.
 */
export async function diffScans(repo: Repository, a: ScanRecord, b: ScanRecord, maxRows = 2000): Promise<DiffView> {
  const counts: DiffView['counts'] = { new: 0, gone: 0, worse: 0, better: 0, unchanged: 0 };
  const rows: DiffRow[] = [];
  const ia = repo.endpoints(a.id)[Symbol.asyncIterator]();
  const ib = repo.endpoints(b.id)[Symbol.asyncIterator]();
  let ea = await ia.next();
  let eb = await ib.next();
  const cmp = (x: { host: string; port: number }, y: { host: string; port: number }): number =>
    x.host < y.host ? -1 : x.host > y.host ? 1 : x.port - y.port;
  const push = (r: DiffRow): void => {
    counts[r.change]++;
    if (r.change !== 'unchanged' && rows.length < maxRows) rows.push(r);
  };
  while (!ea.done || !eb.done) {
    const c = ea.done ? 1 : eb.done ? -1 : cmp(ea.value, eb.value);
    if (c < 0 && !ea.done) {
      const e = ea.value;
      push({ host: e.host, port: e.port, facilityId: e.facilityId, before: e.exposure, after: null, change: 'gone' });
      ea = await ia.next();
    } else if (c > 0 && !eb.done) {
      const e = eb.value;
      push({ host: e.host, port: e.port, facilityId: e.facilityId, before: null, after: e.exposure, change: 'new' });
      eb = await ib.next();
    } else if (!ea.done && !eb.done) {
      const x = ea.value;
      const y = eb.value;
      const d = exposureRank(y.exposure) - exposureRank(x.exposure);
      push({
        host: y.host,
        port: y.port,
        facilityId: y.facilityId,
        before: x.exposure,
        after: y.exposure,
        change: d < 0 ? 'worse' : d > 0 ? 'better' : 'unchanged',
      });
      ea = await ia.next();
      eb = await ib.next();
    }
  }
  return { rows, counts };
}
