/**
 * What changed between two scans: per endpoint and per facility — new, fixed, worse, better,
 * unchanged — with the change in records and images a stranger can reach; and the trend of the
 * headline figures over every scan of one scope.
 *
 * Endpoints are compared by a merge of the two scans' (host, port)-ordered pages: one page of each
 * in memory, and only the changed endpoints are kept. Facility and total figures come from the
 * store's GROUP BY queries.
 */
import { EXPOSURE_ORDER, exposureRank } from './scans.ts';
import { isExposed } from '../scan/exposure.ts';
import { headlineOf, type Headline } from './aggregate.ts';
import type { EndpointRecord, FigureRow, Repository, ScanRecord } from '../store/repository.ts';

export const CHANGE_KINDS = ['new', 'fixed', 'worse', 'better', 'unchanged'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One endpoint in one scan, as the diff sees it (counts only). */
export interface EndpointState {
  readonly exposure: string;
  readonly exposed: boolean;
  readonly risk: number | null;
  readonly patients: number | null;
  readonly studies: number | null;
  readonly instances: number | null;
}

export interface EndpointChange {
  readonly host: string;
  readonly port: number;
  /** The facility in the later scan, else in the earlier one. */
  readonly facilityId: string | null;
  readonly change: Exclude<ChangeKind, 'unchanged'>;
  /** null: not found in that scan (port closed or not scanned). */
  readonly before: EndpointState | null;
  readonly after: EndpointState | null;
  /** Change in patients / images a stranger can reach (after − before; absent = 0). */
  readonly patientsDelta: number;
  readonly instancesDelta: number;
}

export interface FacilityState {
  readonly endpoints: number;
  readonly exposedEndpoints: number;
  readonly worstExposure: string;
  readonly maxRisk: number | null;
  readonly patients: number;
  readonly studies: number;
  readonly instances: number;
}

export interface FacilityChange {
  /** null: endpoints outside the registry. */
  readonly facilityId: string | null;
  readonly change: ChangeKind;
  readonly before: FacilityState | null;
  readonly after: FacilityState | null;
  /** Its endpoints' changes, by kind. */
  readonly endpoints: Readonly<Record<ChangeKind, number>>;
  readonly patientsDelta: number;
  readonly studiesDelta: number;
  readonly instancesDelta: number;
}

export interface ScanRef {
  readonly id: string;
  readonly createdAt: string;
  readonly scope: string;
}

export interface ScanDiff {
  readonly from: ScanRef;
  readonly to: ScanRef;
  /** Endpoints per change kind (unchanged included). */
  readonly counts: Readonly<Record<ChangeKind, number>>;
  /** Every endpoint that changed, by (host, port). */
  readonly endpoints: readonly EndpointChange[];
  /** Every facility seen in either scan, by id (null last). */
  readonly facilities: readonly FacilityChange[];
  readonly total: {
    readonly before: Headline;
    readonly after: Headline;
    readonly exposedEndpointsDelta: number;
    readonly patientsDelta: number;
    readonly studiesDelta: number;
    readonly instancesDelta: number;
  };
}

function zeroCounts(): Record<ChangeKind, number> {
  return { new: 0, fixed: 0, worse: 0, better: 0, unchanged: 0 };
}

export function endpointState(e: EndpointRecord): EndpointState {
  const f = e.figures;
  const resultScore = (e.result as { assessment?: { score?: unknown } } | null)?.assessment?.score;
  return {
    exposure: e.exposure,
    exposed: f ? f.exposed : isExposed(e.exposure),
    risk: f?.riskScore ?? (typeof resultScore === 'number' ? resultScore : null),
    patients: f?.patients ?? null,
    studies: f?.studies ?? null,
    instances: f?.instances ?? null,
  };
}

/** Compares two states: exposed or not, then exposure rank (worst first), then risk. */
export function classify(before: EndpointState | null, after: EndpointState | null): ChangeKind {
  if (!before && !after) return 'unchanged';
  if (!before) return 'new';
  if (!after) return before.exposed ? 'fixed' : 'better';
  if (before.exposed && !after.exposed) return 'fixed';
  if (!before.exposed && after.exposed) return 'worse';
  const rankBefore = exposureRank(before.exposure);
  const rankAfter = exposureRank(after.exposure);
  if (rankAfter < rankBefore) return 'worse';
  if (rankAfter > rankBefore) return 'better';
  const rb = before.risk ?? 0;
  const ra = after.risk ?? 0;
  if (ra > rb) return 'worse';
  if (ra < rb) return 'better';
  return 'unchanged';
}

function worstOf(byExposure: Readonly<Record<string, number>>): string {
  for (const level of EXPOSURE_ORDER) if ((byExposure[level] ?? 0) > 0) return level;
  return 'none';
}

function facilityState(r: FigureRow): FacilityState {
  return {
    endpoints: r.endpoints,
    exposedEndpoints: r.exposedEndpoints,
    worstExposure: worstOf(r.byExposure),
    maxRisk: r.maxRisk,
    patients: r.patients,
    studies: r.studies,
    instances: r.instances,
  };
}

function classifyFacility(before: FacilityState | null, after: FacilityState | null): ChangeKind {
  if (!before) return after ? 'new' : 'unchanged';
  if (!after) return before.exposedEndpoints > 0 ? 'fixed' : 'better';
  if (before.exposedEndpoints > 0 && after.exposedEndpoints === 0) return 'fixed';
  if (before.exposedEndpoints === 0 && after.exposedEndpoints > 0) return 'worse';
  const steps: [number, number][] = [
    // Lower rank is worse: compare so that a positive value means "after is worse".
    [exposureRank(before.worstExposure), exposureRank(after.worstExposure)],
    [after.exposedEndpoints, before.exposedEndpoints],
    [after.patients, before.patients],
    [after.maxRisk ?? 0, before.maxRisk ?? 0],
  ];
  for (const [x, y] of steps) {
    if (x > y) return 'worse';
    if (x < y) return 'better';
  }
  return 'unchanged';
}

async function* paired(
  repo: Repository,
  a: string,
  b: string,
): AsyncGenerator<[EndpointRecord | null, EndpointRecord | null]> {
  const ia = repo.endpoints(a)[Symbol.asyncIterator]();
  const ib = repo.endpoints(b)[Symbol.asyncIterator]();
  let x = await ia.next();
  let y = await ib.next();
  // The store orders by (host, port) in byte order; hosts are ASCII, so `<` agrees.
  const cmp = (p: EndpointRecord, q: EndpointRecord): number =>
    p.host < q.host ? -1 : p.host > q.host ? 1 : p.port - q.port;
  while (!x.done || !y.done) {
    if (y.done || (!x.done && cmp(x.value, y.value) < 0)) {
      yield [x.value as EndpointRecord, null];
      x = await ia.next();
    } else if (x.done || cmp(x.value, y.value) > 0) {
      yield [null, y.value];
      y = await ib.next();
    } else {
      yield [x.value, y.value];
      x = await ia.next();
      y = await ib.next();
    }
  }
}

function ref(s: ScanRecord): ScanRef {
  return { id: s.id, createdAt: s.createdAt, scope: s.scope };
}

/** The changes from scan `fromId` to scan `toId`. */
export async function diffScans(repo: Repository, fromId: string, toId: string): Promise<ScanDiff> {
  const [from, to] = await Promise.all([repo.getScan(fromId), repo.getScan(toId)]);
  if (!from) throw new Error(`no scan with id ${fromId}`);
  if (!to) throw new Error(`no scan with id ${toId}`);

  const counts = zeroCounts();
  const byFacility = new Map<string | null, Record<ChangeKind, number>>();
  const changes: EndpointChange[] = [];
  for await (const [a, b] of paired(repo, fromId, toId)) {
    const before = a ? endpointState(a) : null;
    const after = b ? endpointState(b) : null;
    const change = classify(before, after);
    counts[change] += 1;
    const facilityId = b?.facilityId ?? a?.facilityId ?? null;
    const fc = byFacility.get(facilityId) ?? zeroCounts();
    fc[change] += 1;
    byFacility.set(facilityId, fc);
    if (change === 'unchanged') continue;
    const host = (b ?? a)!.host;
    const port = (b ?? a)!.port;
    changes.push({
      host,
      port,
      facilityId,
      change,
      before,
      after,
      patientsDelta: (after?.patients ?? 0) - (before?.patients ?? 0),
      instancesDelta: (after?.instances ?? 0) - (before?.instances ?? 0),
    });
  }

  const [fa, fb, [ta], [tb]] = await Promise.all([
    repo.figures(fromId, 'facility'),
    repo.figures(toId, 'facility'),
    repo.figures(fromId, 'total'),
    repo.figures(toId, 'total'),
  ]);
  if (!ta || !tb) throw new Error('the store returned no total');
  // Endpoints outside the registry form one group (null), whatever their GeoIP country.
  const group = (rows: FigureRow[]): Map<string | null, FigureRow[]> => {
    const m = new Map<string | null, FigureRow[]>();
    for (const r of rows) m.set(r.key, [...(m.get(r.key) ?? []), r]);
    return m;
  };
  const ga = group(fa);
  const gb = group(fb);
  const merge = (rows: FigureRow[] | undefined): FacilityState | null => {
    if (!rows?.length) return null;
    const states = rows.map(facilityState);
    return states.reduce((x, y) => ({
      endpoints: x.endpoints + y.endpoints,
      exposedEndpoints: x.exposedEndpoints + y.exposedEndpoints,
      worstExposure: exposureRank(x.worstExposure) <= exposureRank(y.worstExposure) ? x.worstExposure : y.worstExposure,
      maxRisk: x.maxRisk === null ? y.maxRisk : y.maxRisk === null ? x.maxRisk : Math.max(x.maxRisk, y.maxRisk),
      patients: x.patients + y.patients,
      studies: x.studies + y.studies,
      instances: x.instances + y.instances,
    }));
  };
  const ids = [...new Set([...ga.keys(), ...gb.keys()])].sort((p, q) =>
    p === q ? 0 : p === null ? 1 : q === null ? -1 : p < q ? -1 : 1,
  );
  const facilities: FacilityChange[] = ids.map((id) => {
    const before = merge(ga.get(id));
    const after = merge(gb.get(id));
    return {
      facilityId: id,
      change: classifyFacility(before, after),
      before,
      after,
      endpoints: byFacility.get(id) ?? zeroCounts(),
      patientsDelta: (after?.patients ?? 0) - (before?.patients ?? 0),
      studiesDelta: (after?.studies ?? 0) - (before?.studies ?? 0),
      instancesDelta: (after?.instances ?? 0) - (before?.instances ?? 0),
    };
  });

  return {
    from: ref(from),
    to: ref(to),
    counts,
    endpoints: changes,
    facilities,
    total: {
      before: headlineOf(ta),
      after: headlineOf(tb),
      exposedEndpointsDelta: tb.exposedEndpoints - ta.exposedEndpoints,
      patientsDelta: tb.patients - ta.patients,
      studiesDelta: tb.studies - ta.studies,
      instancesDelta: tb.instances - ta.instances,
    },
  };
}

// Scope and trend ------------------------------------------------------------------------------

/**
 * Scans of "the same scope": the same facility registry file (its path; the registry may be
 * edited between scans), else the same scope text.
 */
export function scopeKeyOf(scan: ScanRecord): string {
  const s = scan.settings as { facilities?: { path?: unknown } | null } | null;
  const path = s?.facilities?.path;
  return typeof path === 'string' ? `facilities:${path}` : `scope:${scan.scope}`;
}

/** The latest scan of the same scope created before this one, or null. */
export async function previousScan(repo: Repository, scan: ScanRecord): Promise<ScanRecord | null> {
  const key = scopeKeyOf(scan);
  // listScans is newest first.
  for (const s of await repo.listScans())
    if (s.id !== scan.id && s.createdAt <= scan.createdAt && scopeKeyOf(s) === key) return s;
  return null;
}

export interface TrendPoint {
  readonly scan: ScanRef;
  readonly status: string;
  readonly endpoints: number;
  readonly exposedEndpoints: number;
  readonly archives: number;
  readonly patients: number;
  readonly studies: number;
  readonly instances: number;
  readonly maxRisk: number | null;
  readonly lowerBound: boolean;
}

/** The headline figures of every scan of one scope (scopeKeyOf), oldest first. */
export async function trend(repo: Repository, scopeKey: string): Promise<TrendPoint[]> {
  const scans = (await repo.listScans()).filter((s) => scopeKeyOf(s) === scopeKey).reverse();
  const points: TrendPoint[] = [];
  for (const s of scans) {
    const [t] = await repo.figures(s.id, 'total');
    if (!t) continue;
    points.push({
      scan: ref(s),
      status: s.status,
      endpoints: t.endpoints,
      exposedEndpoints: t.exposedEndpoints,
      archives: t.archivesExposed,
      patients: t.patients,
      studies: t.studies,
      instances: t.instances,
      maxRisk: t.maxRisk,
      lowerBound: t.cappedArchives > 0,
    });
  }
  return points;
}
