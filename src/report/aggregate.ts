/**
 * A scan's figures for the ministry: per facility, region and country, totals, personal-data
 * categories and top findings. Every number comes from the store's GROUP BY queries
 * (Repository.figures / findingCounts): a row per group, never every endpoint in memory.
 *
 * Records (patients), studies and images are sums over the archives a stranger can query that are
 * not suspected honeypots: upper bounds (one patient may sit in two archives), and lower bounds
 * too where an archive capped its answers (`capped`).
 */
import { findings as findingsCatalogue } from '../knowledge/findings.ts';
import { PHI_CATEGORIES } from '../privacy/phi-categories.ts';
import type { FigureRow, Repository, ScanRecord } from '../store/repository.ts';

export interface FacilityFigures {
  readonly id: string;
  readonly name: string;
  readonly region: string | null;
  readonly country: string | null;
  /** The facility's security contact (registry), not a patient's. */
  readonly contactEmail: string | null;
  readonly latitude: number | null;
  readonly longitude: number | null;
  /** The facility's risk: its worst endpoint's score (0–100). */
  readonly risk: number | null;
  readonly figures: FigureRow;
}

export interface RegionFigures {
  /** null: endpoints whose facility has no region, or with no facility. */
  readonly region: string | null;
  readonly country: string | null;
  readonly figures: FigureRow;
}

export interface CountryFigures {
  /** ISO 3166 alpha-2; null when neither the registry nor GeoIP knows it. */
  readonly country: string | null;
  readonly figures: FigureRow;
}

export interface TopFinding {
  /** As stored, e.g. `dicom-query-unauthenticated` or `known-vulnerable-version:CVE-2023-33466`. */
  readonly findingId: string;
  /** The catalogue entry's id (before `:`). */
  readonly catalogueId: string;
  readonly title: string;
  readonly severity: string;
  readonly endpoints: number;
  readonly facilities: number;
  readonly remediation: readonly string[];
}

export interface Headline {
  readonly patients: number;
  readonly studies: number;
  readonly instances: number;
  readonly archives: number;
  /** Some archive capped its answers: the sums are lower bounds. */
  readonly lowerBound: boolean;
  /** The sentence a minister quotes, e.g. "19,922 patient records on 3 archives, 1,200,000 images". */
  readonly text: string;
}

export interface ScanFigures {
  readonly scan: {
    readonly id: string;
    readonly scope: string;
    readonly status: string;
    readonly createdAt: string;
    readonly finishedAt: string | null;
  };
  readonly total: FigureRow;
  readonly headline: Headline;
  /** Facilities with at least one endpoint in the scan, by id. */
  readonly facilities: readonly FacilityFigures[];
  /** Endpoints outside the registry (summed over their GeoIP countries), or null when none. */
  readonly unattributed: FigureRow | null;
  readonly regions: readonly RegionFigures[];
  readonly countries: readonly CountryFigures[];
  /** Personal-data categories a stranger can read somewhere in the scan, with their labels. */
  readonly phiCategories: readonly { readonly id: string; readonly label: string }[];
  /** Findings by severity (worst first), then by endpoints. */
  readonly topFindings: readonly TopFinding[];
}

export const SEVERITY_ORDER: readonly string[] = ['critical', 'high', 'medium', 'low', 'info'];

export function severityRank(s: string): number {
  const i = SEVERITY_ORDER.indexOf(s);
  return i < 0 ? SEVERITY_ORDER.length : i;
}

const NUMBER = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return NUMBER.format(n);
}

function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function headlineOf(total: FigureRow): Headline {
  const lowerBound = total.cappedArchives > 0;
  const atLeast = lowerBound ? 'at least ' : '';
  const text =
    total.archivesExposed === 0
      ? 'No archive lets a stranger read patient records'
      : `${atLeast}${plural(total.patients, 'patient record', 'patient records')} on ${plural(total.archivesExposed, 'archive', 'archives')}, ${atLeast}${plural(total.instances, 'image', 'images')}`;
  return {
    patients: total.patients,
    studies: total.studies,
    instances: total.instances,
    archives: total.archivesExposed,
    lowerBound,
    text: text.charAt(0).toUpperCase() + text.slice(1),
  };
}

/** Sums rows (the null-key rows of a grouping) into one. */
export function sumRows(rows: readonly FigureRow[]): FigureRow | null {
  if (rows.length === 0) return null;
  const add = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> => {
    const out: Record<string, number> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const maxOf = (xs: (number | null)[]): number | null => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? Math.max(...v) : null;
  };
  return rows.reduce((a, b) => ({
    key: null,
    country: a.country === b.country ? a.country : null,
    endpoints: a.endpoints + b.endpoints,
    exposedEndpoints: a.exposedEndpoints + b.exposedEndpoints,
    honeypots: a.honeypots + b.honeypots,
    byExposure: add(a.byExposure, b.byExposure),
    archivesExposed: a.archivesExposed + b.archivesExposed,
    patients: a.patients + b.patients,
    studies: a.studies + b.studies,
    instances: a.instances + b.instances,
    cappedArchives: a.cappedArchives + b.cappedArchives,
    phiCategories: [...new Set([...a.phiCategories, ...b.phiCategories])].sort(),
    maxRisk: maxOf([a.maxRisk, b.maxRisk]),
    // Weighted by endpoints with a score is not known here; endpoints is the closest weight.
    meanRisk:
      a.meanRisk === null
        ? b.meanRisk
        : b.meanRisk === null
          ? a.meanRisk
          : (a.meanRisk * a.endpoints + b.meanRisk * b.endpoints) / (a.endpoints + b.endpoints),
    findingsBySeverity: add(a.findingsBySeverity, b.findingsBySeverity),
  }));
}

function catalogueEntry(findingId: string): { id: string; title: string; remediation: readonly string[] } {
  const [base = findingId, detail] = findingId.split(':', 2);
  const def = findingsCatalogue().findings.find((f) => f.id === base);
  const title = def ? (detail ? `${def.title} (${detail})` : def.title) : findingId;
  return { id: base, title, remediation: def?.remediation ?? [] };
}

export function topFindingOf(c: {
  findingId: string;
  severity: string;
  endpoints: number;
  facilities: number;
}): TopFinding {
  const e = catalogueEntry(c.findingId);
  return { ...c, catalogueId: e.id, title: e.title, remediation: e.remediation };
}

/** Everything the reports and the dashboard show about a scan, from the store's aggregates. */
export async function scanFigures(repo: Repository, scanId: string): Promise<ScanFigures> {
  const scan: ScanRecord | null = await repo.getScan(scanId);
  if (!scan) throw new Error(`no scan with id ${scanId}`);
  const [totalRows, facilityRows, regionRows, countryRows, findingCounts] = await Promise.all([
    repo.figures(scanId, 'total'),
    repo.figures(scanId, 'facility'),
    repo.figures(scanId, 'region'),
    repo.figures(scanId, 'country'),
    repo.findingCounts(scanId),
  ]);
  const total = totalRows[0];
  if (!total) throw new Error(`the store returned no total for scan ${scanId}`);

  const facilities: FacilityFigures[] = [];
  for (const row of facilityRows) {
    if (row.key === null) continue;
    const f = await repo.getFacility(row.key);
    facilities.push({
      id: row.key,
      name: f?.name ?? row.key,
      region: f?.region ?? null,
      country: f?.country ?? row.country,
      contactEmail: f?.contactEmail ?? null,
      latitude: f?.latitude ?? null,
      longitude: f?.longitude ?? null,
      risk: row.maxRisk,
      figures: row,
    });
  }
  const labels = new Map(PHI_CATEGORIES.map((c) => [c.id, c.label] as const));
  return {
    scan: {
      id: scan.id,
      scope: scan.scope,
      status: scan.status,
      createdAt: scan.createdAt,
      finishedAt: scan.finishedAt,
    },
    total,
    headline: headlineOf(total),
    facilities,
    unattributed: sumRows(facilityRows.filter((r) => r.key === null)),
    regions: regionRows.map((r) => ({ region: r.key, country: r.country, figures: r })),
    countries: countryRows.map((r) => ({ country: r.key, figures: r })),
    phiCategories: total.phiCategories.map((id) => ({ id, label: labels.get(id) ?? id })),
    topFindings: findingCounts
      .map(topFindingOf)
      .sort(
        (a, b) =>
          severityRank(a.severity) - severityRank(b.severity) ||
          b.endpoints - a.endpoints ||
          (a.findingId < b.findingId ? -1 : 1),
      ),
  };
}
