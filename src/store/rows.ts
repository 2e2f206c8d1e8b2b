/**
 * What both store backends share: reading rows back into records (with the conversions either
 * driver needs: node:sqlite gives INTEGER as number or bigint, pg gives BIGINT and COUNT(*) as
 * decimal text), the column lists, and the portable SELECTs. Kept in one place so that SQLite and
 * PostgreSQL cannot drift apart in what a record means.
 */
import {
  SCAN_STATUSES,
  StoreError,
  USER_ROLES,
  type EndpointRecord,
  type FacilityRecord,
  type FindingCount,
  type FindingRecord,
  type ObservationRecord,
  type PageOptions,
  type ScanRecord,
  type ScanStatus,
  type UserRecord,
  type UserRole,
} from './repository.ts';
import { FIGURE_COLUMNS, figuresOf } from './figures-sql.ts';

export type Row = Record<string, unknown>;

export const DEFAULT_PAGE = 1000;

export function str(row: Row, key: string): string {
  const v = row[key];
  if (typeof v !== 'string')
    throw new StoreError(`column ${key}: expected text, got ${v === null ? 'null' : typeof v}`);
  return v;
}

export function strOrNull(row: Row, key: string): string | null {
  const v = row[key];
  return v === null || v === undefined ? null : String(v);
}

export function num(row: Row, key: string): number {
  const v = row[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v !== '') {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new StoreError(`column ${key}: expected a number, got ${v === null ? 'null' : typeof v}`);
}

export function numOrNull(row: Row, key: string): number | null {
  const v = row[key];
  return v === null || v === undefined ? null : num(row, key);
}

export function json(value: unknown, what: string): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new StoreError(`${what} is not JSON-serialisable`);
  return text;
}

export function jsonOrNull(value: unknown, what: string): string | null {
  return value === null || value === undefined ? null : json(value, what);
}

export function parsed(row: Row, key: string): unknown {
  const v = row[key];
  return v === null || v === undefined ? null : (JSON.parse(String(v)) as unknown);
}

export function pageSize(options: PageOptions | undefined): number {
  const n = options?.pageSize ?? DEFAULT_PAGE;
  if (!Number.isInteger(n) || n < 1) throw new StoreError(`page size must be a positive integer, got ${n}`);
  return n;
}

export function scanStatus(v: string): ScanStatus {
  if ((SCAN_STATUSES as readonly string[]).includes(v)) return v as ScanStatus;
  throw new StoreError(`unknown scan status ${v}`);
}

export const SCAN_SELECT = `SELECT s.id, s.created_at, s.started_at, s.finished_at, s.status, s.scope, s.settings, s.cursor,
  (SELECT COUNT(*) FROM targets t WHERE t.scan_id = s.id) AS n_targets,
  (SELECT COUNT(*) FROM targets t WHERE t.scan_id = s.id AND t.state = 'done') AS n_done,
  (SELECT COUNT(*) FROM endpoints e WHERE e.scan_id = s.id) AS n_endpoints,
  (SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.id) AS n_findings
  FROM scans s`;

export const FACILITY_COLUMNS = 'id, name, region, country, contact_email, ranges, latitude, longitude';
export const ENDPOINT_COLUMNS = `scan_id, host, port, transport, status, service, exposure, facility_id, result, ${FIGURE_COLUMNS}`;
export const FIGURE_UPDATES = FIGURE_COLUMNS.split(', ')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');
export const OBSERVATION_COLUMNS = 'scan_id, host, port, probe, status, started_at, duration_ms, detail, facts';
export const FINDING_COLUMNS = 'scan_id, host, port, finding_id, severity, evidence';

export function toScan(row: Row): ScanRecord {
  return {
    id: str(row, 'id'),
    createdAt: str(row, 'created_at'),
    startedAt: strOrNull(row, 'started_at'),
    finishedAt: strOrNull(row, 'finished_at'),
    status: scanStatus(str(row, 'status')),
    scope: str(row, 'scope'),
    settings: parsed(row, 'settings'),
    cursor: strOrNull(row, 'cursor'),
    counts: {
      targets: num(row, 'n_targets'),
      targetsDone: num(row, 'n_done'),
      endpoints: num(row, 'n_endpoints'),
      findings: num(row, 'n_findings'),
    },
  };
}

export function toFacility(row: Row): FacilityRecord {
  return {
    id: str(row, 'id'),
    name: str(row, 'name'),
    region: strOrNull(row, 'region'),
    country: strOrNull(row, 'country'),
    contactEmail: strOrNull(row, 'contact_email'),
    ranges: parsed(row, 'ranges') as string[],
    latitude: numOrNull(row, 'latitude'),
    longitude: numOrNull(row, 'longitude'),
  };
}

export function toEndpoint(row: Row): EndpointRecord {
  return {
    scanId: str(row, 'scan_id'),
    host: str(row, 'host'),
    port: num(row, 'port'),
    transport: str(row, 'transport'),
    status: str(row, 'status'),
    service: strOrNull(row, 'service'),
    exposure: str(row, 'exposure'),
    facilityId: strOrNull(row, 'facility_id'),
    result: parsed(row, 'result'),
    ...withFigures(row),
  };
}

export function withFigures(row: Row): { figures?: EndpointRecord['figures'] } {
  const figures = figuresOf(row);
  return figures ? { figures } : {};
}

export function userRole(v: string): UserRole {
  if ((USER_ROLES as readonly string[]).includes(v)) return v as UserRole;
  throw new StoreError(`unknown user role ${v}`);
}

export function toUser(row: Row): UserRecord {
  return {
    name: str(row, 'name'),
    role: userRole(str(row, 'role')),
    passwordHash: str(row, 'password_hash'),
    createdAt: str(row, 'created_at'),
  };
}

/** Orders finding counts: most endpoints first, then by id. */
export function byCount(a: FindingCount, b: FindingCount): number {
  return b.endpoints - a.endpoints || (a.findingId < b.findingId ? -1 : a.findingId > b.findingId ? 1 : 0);
}

export const FINDING_COUNTS = (
  p: string,
): string => `SELECT x.finding_id, x.severity, COUNT(*) AS n, COUNT(DISTINCT e.facility_id) AS nf
  FROM findings x LEFT JOIN endpoints e ON e.scan_id = x.scan_id AND e.host = x.host AND e.port = x.port
  WHERE x.scan_id = ${p} GROUP BY x.finding_id, x.severity`;

export function toObservation(row: Row): ObservationRecord {
  return {
    scanId: str(row, 'scan_id'),
    host: str(row, 'host'),
    port: num(row, 'port'),
    probe: str(row, 'probe'),
    status: str(row, 'status'),
    startedAt: str(row, 'started_at'),
    durationMs: num(row, 'duration_ms'),
    detail: strOrNull(row, 'detail'),
    facts: parsed(row, 'facts'),
  };
}

export function toFinding(row: Row): FindingRecord {
  return {
    scanId: str(row, 'scan_id'),
    host: str(row, 'host'),
    port: num(row, 'port'),
    findingId: str(row, 'finding_id'),
    severity: str(row, 'severity'),
    evidence: parsed(row, 'evidence'),
  };
}
