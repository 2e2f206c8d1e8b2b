/**
 * The store's repository interface: what the scan engine, reports and the dashboard read and
 * write, independent of the database behind it (node:sqlite today, PostgreSQL in issue 6).
 *
 * Every method is async so that a networked implementation fits without changing callers.
 * The store knows nothing of DICOM: statuses, services, exposure levels and probe ids are
 * opaque strings here, and results, facts and evidence are JSON documents produced upstream
 * (docs/scan-json.md), which by construction hold no patient values. No column is meant for one.
 *
 * Idempotence: every result row has a natural key (scan, host, port[, probe | finding]) and is
 * written as an upsert, so a retried shard or a resumed target never counts twice.
 */

export const SCAN_STATUSES = ['running', 'finished', 'interrupted'] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];

export const TARGET_STATES = ['pending', 'done'] as const;
export type TargetState = (typeof TARGET_STATES)[number];

/** Live counts, computed from the rows (never a counter that a retry could inflate). */
export interface ScanCounts {
  readonly targets: number;
  readonly targetsDone: number;
  readonly endpoints: number;
  readonly findings: number;
}

export interface ScanRecord {
  readonly id: string;
  /** ISO 8601 times. */
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly status: ScanStatus;
  /** Human description of the authorised scope (e.g. the targets and registry it came from). */
  readonly scope: string;
  /** The scan's settings as a JSON document (ports, timeouts, AE titles, tool version…). */
  readonly settings: unknown;
  /**
   * How far the scan's work is committed: every work position below it has its results in the
   * store (decimal text; null before the first commit). See migrations/0002_scan_cursor.sql.
   */
  readonly cursor: string | null;
  readonly counts: ScanCounts;
}

export interface NewScan {
  /** Defaults to a random UUID. */
  readonly id?: string;
  /** Defaults to now. */
  readonly createdAt?: string;
  readonly startedAt?: string | null;
  /** Defaults to `running`. */
  readonly status?: ScanStatus;
  readonly scope: string;
  readonly settings: unknown;
}

export interface ScanPatch {
  readonly status?: ScanStatus;
  readonly startedAt?: string | null;
  readonly finishedAt?: string | null;
}

export interface FacilityRecord {
  /** The registry's own id for the facility. */
  readonly id: string;
  readonly name: string;
  readonly region: string | null;
  readonly country: string | null;
  /** Security contact of the facility (not a patient's). */
  readonly contactEmail: string | null;
  /** Address ranges and host names the facility owns, as in the registry. */
  readonly ranges: readonly string[];
  readonly latitude: number | null;
  readonly longitude: number | null;
}

/** One unit of work: a host and port of a scan. */
export interface TargetRef {
  readonly scanId: string;
  readonly host: string;
  readonly port: number;
}

/** A pending target as returned for resuming, in the order it was first added. */
export interface PendingTarget {
  readonly host: string;
  readonly port: number;
  /** Insertion order within the scan (keeps a randomised scan order across a resume). */
  readonly seq: number;
}

export interface EndpointRecord {
  readonly scanId: string;
  readonly host: string;
  readonly port: number;
  /** How it answered, e.g. `plaintext` / `tls` (opaque to the store). */
  readonly transport: string;
  readonly status: string;
  readonly service: string | null;
  /** Worst exposure level, or `none` (opaque to the store). */
  readonly exposure: string;
  readonly facilityId: string | null;
  /** The endpoint result JSON document (docs/scan-json.md `endpoints[]`). */
  readonly result: unknown;
  /**
   * Figures for aggregation (migration 0003), derived from the result and its assessment by the
   * writer. Absent on records written without them (read back absent too).
   */
  readonly figures?: EndpointFigures;
}

/** An endpoint's figures: counts and flags only, never a patient value. */
export interface EndpointFigures {
  /** A stranger's association is accepted (associable or worse) and it is not a suspected honeypot. */
  readonly exposed: boolean;
  readonly honeypot: boolean;
  /** What a stranger's query reaches; null unless the query was allowed and counts as exposure. */
  readonly patients: number | null;
  readonly studies: number | null;
  readonly instances: number | null;
  /** The counts are lower bounds. */
  readonly countsCapped: boolean;
  /** Categories of personal data seen (ids of src/knowledge/phi-categories.json), no commas in ids. */
  readonly phiCategories: readonly string[];
  readonly riskScore: number | null;
  /** Offline GeoIP country (ISO 3166 alpha-2) of an address outside the registry, else null. */
  readonly country: string | null;
}

export interface ObservationRecord {
  readonly scanId: string;
  readonly host: string;
  readonly port: number;
  readonly probe: string;
  readonly status: string;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Our own words on a failure; never peer data. */
  readonly detail: string | null;
  readonly facts: unknown;
}

export interface FindingRecord {
  readonly scanId: string;
  readonly host: string;
  readonly port: number;
  readonly findingId: string;
  readonly severity: string;
  /** JSON evidence (e.g. which observations support the finding). */
  readonly evidence: unknown;
}

/** A scan's work cursor (decimal text of a non-negative integer). */
export interface ScanCursor {
  readonly scanId: string;
  readonly position: string;
}

/**
 * Writes applied in ONE transaction, in this order: targets (insert-or-ignore as pending),
 * endpoints, observations, deletion of the findings of `replaceFindingsOf`, findings (upserts),
 * targetsDone, cursors. A target marked done or a
 * cursor moved in a batch is therefore never committed without the results written before it.
 */
export interface WriteBatch {
  readonly targets?: readonly TargetRef[];
  readonly endpoints?: readonly EndpointRecord[];
  readonly observations?: readonly ObservationRecord[];
  readonly findings?: readonly FindingRecord[];
  readonly targetsDone?: readonly TargetRef[];
  /** Last one per scan wins. */
  readonly cursors?: readonly ScanCursor[];
  /**
   * Endpoints whose findings are replaced: their finding rows are deleted before this batch's
   * findings are written (a re-assessed endpoint must not keep findings that no longer hold).
   */
  readonly replaceFindingsOf?: readonly TargetRef[];
}

export interface PageOptions {
  /** Rows fetched per round trip (default 1000). Only one page is held in memory. */
  readonly pageSize?: number;
}

export interface EndpointQuery extends PageOptions {
  readonly exposure?: string;
  readonly facilityId?: string;
}

export interface EndpointKeyQuery extends PageOptions {
  readonly host?: string;
  readonly port?: number;
}

export interface TargetCounts {
  readonly pending: number;
  readonly done: number;
}

export const USER_ROLES = ['viewer', 'operator', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A dashboard account. */
export interface UserRecord {
  readonly name: string;
  readonly role: UserRole;
  /** A self-describing password hash made by the dashboard (never the password). */
  readonly passwordHash: string;
  /** ISO 8601. */
  readonly createdAt: string;
}

export const FIGURE_GROUPS = ['total', 'facility', 'region', 'country'] as const;
export type FigureGroup = (typeof FIGURE_GROUPS)[number];

/** Aggregated figures of one group of a scan's endpoints, computed in the database. */
export interface FigureRow {
  /**
   * The group: facility id, region or country (the facility's, else the endpoint's GeoIP one);
   * null for `total` and for endpoints with none.
   */
  readonly key: string | null;
  /** For `region`/`facility`: the group's country (facility first, else GeoIP); `country`: the key; `total`: null. */
  readonly country: string | null;
  readonly endpoints: number;
  /** Associable or worse, not suspected honeypots. */
  readonly exposedEndpoints: number;
  readonly honeypots: number;
  /** Endpoints per exposure value (opaque strings, as written). */
  readonly byExposure: Readonly<Record<string, number>>;
  /** Endpoints whose records count: query allowed, not a honeypot ("archives"). */
  readonly archivesExposed: number;
  /** Sums over those archives (upper bounds: a patient may sit in two archives). */
  readonly patients: number;
  readonly studies: number;
  readonly instances: number;
  /** Archives whose counts are lower bounds (then the sums are too). */
  readonly cappedArchives: number;
  /** Categories of personal data seen on the group's archives, sorted. */
  readonly phiCategories: readonly string[];
  readonly maxRisk: number | null;
  readonly meanRisk: number | null;
  /** Finding rows per severity (opaque strings). */
  readonly findingsBySeverity: Readonly<Record<string, number>>;
}

/** How often one finding was raised in a scan. */
export interface FindingCount {
  readonly findingId: string;
  readonly severity: string;
  /** Endpoints it was raised on. */
  readonly endpoints: number;
  /** Distinct facilities among them (endpoints without a facility not counted). */
  readonly facilities: number;
}

export interface Repository {
  // Scans
  createScan(scan: NewScan): Promise<ScanRecord>;
  updateScan(id: string, patch: ScanPatch): Promise<void>;
  getScan(id: string): Promise<ScanRecord | null>;
  /** Newest first. */
  listScans(): Promise<ScanRecord[]>;

  // Facilities (shared by scans; upserted from a registry)
  upsertFacilities(facilities: readonly FacilityRecord[]): Promise<void>;
  getFacility(id: string): Promise<FacilityRecord | null>;
  listFacilities(): Promise<FacilityRecord[]>;

  // Targets (work items, for resume)
  /** Inserts as pending, ignoring ones already known; batched in transactions. Returns how many were new. */
  addTargets(
    scanId: string,
    targets: Iterable<{ host: string; port: number }> | AsyncIterable<{ host: string; port: number }>,
  ): Promise<number>;
  markTargetsDone(targets: readonly TargetRef[]): Promise<void>;
  /** Targets not yet done, in insertion order, paged. */
  pendingTargets(scanId: string, options?: PageOptions): AsyncIterable<PendingTarget>;
  targetCounts(scanId: string): Promise<TargetCounts>;

  // Results
  /** Applies a batch atomically (one transaction); idempotent. */
  writeBatch(batch: WriteBatch): Promise<void>;
  getEndpoint(scanId: string, host: string, port: number): Promise<EndpointRecord | null>;
  /** Endpoints of a scan ordered by (host, port), paged. */
  endpoints(scanId: string, query?: EndpointQuery): AsyncIterable<EndpointRecord>;
  /** Observations ordered by (host, port, probe), paged; optionally of one host or endpoint. */
  observations(scanId: string, query?: EndpointKeyQuery): AsyncIterable<ObservationRecord>;
  /** Findings ordered by (host, port, findingId), paged; optionally of one host or endpoint. */
  findings(scanId: string, query?: EndpointKeyQuery): AsyncIterable<FindingRecord>;
  /** Number of endpoints per exposure value. */
  countsByExposure(scanId: string): Promise<Record<string, number>>;

  // Figures (migration 0003): GROUP BY in the database, a row per group, never every endpoint
  /** Rows sorted by key (null last); `total` always gives exactly one row. */
  figures(scanId: string, groupBy: FigureGroup): Promise<FigureRow[]>;
  /** Every finding id raised in the scan, most endpoints first, then by id. */
  findingCounts(scanId: string): Promise<FindingCount[]>;

  // Users (dashboard accounts)
  /** StoreError('user NAME exists') on a duplicate name. */
  createUser(user: UserRecord): Promise<void>;
  getUser(name: string): Promise<UserRecord | null>;
  /** By name. */
  listUsers(): Promise<UserRecord[]>;
  /** Sets a user's password hash; false when there is no such user. */
  setUserPassword(name: string, passwordHash: string): Promise<boolean>;
  /** Removes a user; false when there was none. */
  deleteUser(name: string): Promise<boolean>;

  close(): Promise<void>;
}

/** A store error with a message meant for the user (bad URL, schema newer than this tool…). */
export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}
