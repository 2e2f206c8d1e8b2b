/**
 * The figure queries (migration 0003), shared by the SQL backends: portable SQL with one
 * parameter (the scan id) written as the backend's placeholder, and the assembly of their rows.
 * Everything is aggregated in the database: a row per (group, exposure | severity | category
 * combination), never a row per endpoint.
 */
import { FIGURE_GROUPS, StoreError, type EndpointFigures, type FigureGroup, type FigureRow } from './repository.ts';

export type FigureSqlRow = Record<string, unknown>;

interface GroupSql {
  readonly key: string;
  readonly country: string;
}

const COUNTRY = 'COALESCE(f.country, e.country)';

function groupSql(groupBy: FigureGroup): GroupSql {
  switch (groupBy) {
    case 'total':
      return { key: 'CAST(NULL AS TEXT)', country: 'CAST(NULL AS TEXT)' };
    case 'facility':
      return { key: 'e.facility_id', country: COUNTRY };
    case 'region':
      return { key: 'f.region', country: COUNTRY };
    case 'country':
      return { key: COUNTRY, country: COUNTRY };
    default:
      throw new StoreError(`figures: unknown grouping ${String(groupBy)} (one of ${FIGURE_GROUPS.join(', ')})`);
  }
}

export interface FigureQueries {
  readonly base: string;
  readonly exposure: string;
  readonly severity: string;
  readonly categories: string;
}

/** The four statements for a grouping; `p` is the scan-id placeholder (`?` or `$1`). */
export function figureQueries(groupBy: FigureGroup, p: string): FigureQueries {
  const g = groupSql(groupBy);
  const from = `FROM endpoints e LEFT JOIN facilities f ON f.id = e.facility_id WHERE e.scan_id = ${p}`;
  const by = (extra: string): string =>
    groupBy === 'total'
      ? extra
        ? `GROUP BY ${extra}`
        : ''
      : `GROUP BY ${g.key}, ${g.country}${extra ? `, ${extra}` : ''}`;
  const archive = 'e.exposed_exams IS NOT NULL';
  return {
    base: `SELECT ${g.key} AS gk, ${g.country} AS gc, COUNT(*) AS n,
      SUM(CASE WHEN e.exposed = 1 THEN 1 ELSE 0 END) AS n_exposed,
      SUM(CASE WHEN e.honeypot = 1 THEN 1 ELSE 0 END) AS n_honeypots,
      SUM(CASE WHEN ${archive} THEN 1 ELSE 0 END) AS n_archives,
      COALESCE(SUM(e.exposed_records), 0) AS s_records,
      COALESCE(SUM(e.exposed_exams), 0) AS s_exams,
      COALESCE(SUM(e.exposed_images), 0) AS s_images,
      SUM(CASE WHEN ${archive} AND e.counts_capped = 1 THEN 1 ELSE 0 END) AS n_capped,
      MAX(e.risk_score) AS max_risk, AVG(e.risk_score) AS mean_risk
      ${from} ${by('')}`,
    exposure: `SELECT ${g.key} AS gk, ${g.country} AS gc, e.exposure AS x, COUNT(*) AS n ${from} ${by('e.exposure')}`,
    severity: `SELECT ${g.key} AS gk, ${g.country} AS gc, x.severity AS x, COUNT(*) AS n
      FROM findings x JOIN endpoints e ON e.scan_id = x.scan_id AND e.host = x.host AND e.port = x.port
      LEFT JOIN facilities f ON f.id = e.facility_id WHERE x.scan_id = ${p} ${by('x.severity')}`,
    // Distinct category lists per group: a handful of combinations, merged below.
    categories: `SELECT DISTINCT ${g.key} AS gk, ${g.country} AS gc, e.data_categories AS x ${from}
      AND ${archive} AND e.data_categories IS NOT NULL AND e.data_categories <> ''`,
  };
}

/** Counts arrive as numbers, bigints, or (pg BIGINT/NUMERIC) decimal text. */
function toNumber(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  throw new StoreError(`figures: ${what} is not a number`);
}

function toNumberOrNull(v: unknown, what: string): number | null {
  return v === null || v === undefined ? null : toNumber(v, what);
}

function text(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

const groupId = (r: FigureSqlRow): string => JSON.stringify([text(r['gk']), text(r['gc'])]);

function compareNullLast(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** Builds the rows from the four statements' results, sorted by key (null last), then country. */
export function assembleFigures(
  groupBy: FigureGroup,
  rows: {
    readonly base: readonly FigureSqlRow[];
    readonly exposure: readonly FigureSqlRow[];
    readonly severity: readonly FigureSqlRow[];
    readonly categories: readonly FigureSqlRow[];
  },
): FigureRow[] {
  const tally = (src: readonly FigureSqlRow[]): Map<string, Record<string, number>> => {
    const out = new Map<string, Record<string, number>>();
    for (const r of src) {
      const id = groupId(r);
      const m = out.get(id) ?? {};
      m[String(r['x'])] = (m[String(r['x'])] ?? 0) + toNumber(r['n'], 'count');
      out.set(id, m);
    }
    return out;
  };
  const exposure = tally(rows.exposure);
  const severity = tally(rows.severity);
  const categories = new Map<string, Set<string>>();
  for (const r of rows.categories) {
    const id = groupId(r);
    const set = categories.get(id) ?? new Set<string>();
    for (const c of parseCategories(text(r['x']))) set.add(c);
    categories.set(id, set);
  }
  const out: FigureRow[] = rows.base.map((r) => {
    const id = groupId(r);
    return {
      key: groupBy === 'total' ? null : text(r['gk']),
      country: groupBy === 'total' ? null : text(r['gc']),
      endpoints: toNumber(r['n'], 'endpoints'),
      exposedEndpoints: toNumber(r['n_exposed'] ?? 0, 'exposed endpoints'),
      honeypots: toNumber(r['n_honeypots'] ?? 0, 'honeypots'),
      byExposure: exposure.get(id) ?? {},
      archivesExposed: toNumber(r['n_archives'] ?? 0, 'archives'),
      patients: toNumber(r['s_records'], 'records'),
      studies: toNumber(r['s_exams'], 'exams'),
      instances: toNumber(r['s_images'], 'images'),
      cappedArchives: toNumber(r['n_capped'] ?? 0, 'capped archives'),
      phiCategories: [...(categories.get(id) ?? [])].sort(),
      maxRisk: toNumberOrNull(r['max_risk'], 'max risk'),
      meanRisk: toNumberOrNull(r['mean_risk'], 'mean risk'),
      findingsBySeverity: severity.get(id) ?? {},
    };
  });
  return out.sort((a, b) => compareNullLast(a.key, b.key) || compareNullLast(a.country, b.country));
}

// Endpoint figure columns ----------------------------------------------------------------------

export const FIGURE_COLUMNS =
  'exposed, honeypot, exposed_records, exposed_exams, exposed_images, counts_capped, data_categories, risk_score, country';

const flag = (b: boolean): number => (b ? 1 : 0);

function parseCategories(v: string | null): string[] {
  return v ? v.split(',').filter((c) => c !== '') : [];
}

/** The column values of a record's figures, in FIGURE_COLUMNS order (all null without figures). */
export function figureValues(f: EndpointFigures | undefined): (string | number | null)[] {
  if (!f) return [null, null, null, null, null, null, null, null, null];
  for (const c of f.phiCategories)
    if (c.includes(',') || c === '')
      throw new StoreError(`personal-data category id ${JSON.stringify(c)} is not valid`);
  return [
    flag(f.exposed),
    flag(f.honeypot),
    f.patients,
    f.studies,
    f.instances,
    flag(f.countsCapped),
    f.phiCategories.join(','),
    f.riskScore,
    f.country,
  ];
}

/** The figures of a read row; undefined when written without them (`exposed` and `honeypot` null). */
export function figuresOf(row: FigureSqlRow): EndpointFigures | undefined {
  if (row['honeypot'] === null || row['honeypot'] === undefined) return undefined;
  return {
    exposed: toNumber(row['exposed'], 'exposed') === 1,
    honeypot: toNumber(row['honeypot'], 'honeypot') === 1,
    patients: toNumberOrNull(row['exposed_records'], 'records'),
    studies: toNumberOrNull(row['exposed_exams'], 'exams'),
    instances: toNumberOrNull(row['exposed_images'], 'images'),
    countsCapped: toNumber(row['counts_capped'], 'counts capped') === 1,
    phiCategories: parseCategories(text(row['data_categories'])),
    riskScore: toNumberOrNull(row['risk_score'], 'risk score'),
    country: text(row['country']),
  };
}
