/**
 * The embedded store: one SQLite file through node:sqlite (no native addon).
 *
 * Connection settings: WAL journal (readers never block the writer; a committed transaction
 * survives a kill -9 of the process), synchronous=NORMAL (no fsync per commit in WAL mode: a power
 * loss may drop the last commits but never corrupts the file), foreign keys on, and a busy timeout
 * so a second process (a report, the dashboard) waits instead of failing.
 *
 * node:sqlite is synchronous; the methods are async to satisfy the Repository contract. Reads are
 * paged with keyset queries so no cursor stays open across an `await` and a 100k-row scan is never
 * held in memory at once.
 */
import { randomUUID } from 'node:crypto';
import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { SCHEMA_MIGRATIONS_DDL, loadMigrations, type Migration } from '../migrations.ts';
import { assembleFigures, figureQueries, figureValues } from '../figures-sql.ts';
import {
  StoreError,
  type FigureGroup,
  type FigureRow,
  type FindingCount,
  type UserRecord,
  type EndpointKeyQuery,
  type EndpointQuery,
  type EndpointRecord,
  type FacilityRecord,
  type FindingRecord,
  type NewScan,
  type ObservationRecord,
  type PageOptions,
  type PendingTarget,
  type Repository,
  type ScanPatch,
  type ScanRecord,
  type TargetCounts,
  type TargetRef,
  type WriteBatch,
} from '../repository.ts';
import {
  str,
  num,
  json,
  jsonOrNull,
  pageSize,
  scanStatus,
  SCAN_SELECT,
  ENDPOINT_COLUMNS,
  FIGURE_UPDATES,
  OBSERVATION_COLUMNS,
  FINDING_COLUMNS,
  toScan,
  toFacility,
  toEndpoint,
  userRole,
  toUser,
  byCount,
  FINDING_COUNTS,
  toObservation,
  toFinding,
} from '../rows.ts';

export interface SqliteStoreOptions {
  /** How long to wait for another connection's write lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /** Migrations to apply (default: the files in src/store/migrations). */
  readonly migrations?: readonly Migration[];
}

type Row = Record<string, SQLOutputValue>;

const TARGET_INSERT_CHUNK = 5000;

export interface SqliteDiagnostics {
  readonly journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  readonly synchronous: number;
  readonly foreignKeys: boolean;
  readonly busyTimeoutMs: number;
  readonly schemaVersion: number;
}

export class SqliteStore implements Repository {
  readonly location: string;
  readonly #db: DatabaseSync;
  readonly #stmts = new Map<string, StatementSync>();
  /** Next seq per scan for targets added through this connection. */
  readonly #nextSeq = new Map<string, number>();

  private constructor(location: string, db: DatabaseSync) {
    this.location = location;
    this.#db = db;
  }

  /** Opens (creating if needed) and migrates the database at `path` (`:memory:` for tests). */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: options.busyTimeoutMs ?? 5000 });
    } catch (cause) {
      throw new StoreError(`cannot open SQLite database ${path}: ${(cause as Error).message}`, { cause });
    }
    try {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec('PRAGMA foreign_keys = ON');
      const store = new SqliteStore(path, db);
      store.#migrate(options.migrations ?? loadMigrations());
      return store;
    } catch (err) {
      db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError(`cannot prepare SQLite database ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  #migrate(migrations: readonly Migration[]): void {
    const db = this.#db;
    db.exec(SCHEMA_MIGRATIONS_DDL);
    const known = migrations.length;
    // Applied ones are skipped without the write lock, so a reader opening the store while a scan
    // writes does not wait for the scan's transactions.
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => num(r, 'version')),
    );
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      // BEGIN IMMEDIATE takes the write lock first, so two processes opening a new file at once
      // serialise here and the second sees the first's migrations as applied.
      this.#transaction(() => {
        const done = db.prepare('SELECT 1 AS x FROM schema_migrations WHERE version = ?').get(m.version);
        if (done) return;
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          new Date().toISOString(),
        );
      });
    }
    const max = num(db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as Row, 'v');
    if (max > known) {
      throw new StoreError(
        `database ${this.location} has schema version ${max}, newer than this pacsmap (${known}): upgrade pacsmap`,
      );
    }
  }

  #stmt(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#stmt(sql).all(...params) as Row[];
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#stmt(sql).get(...params) as Row | undefined;
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#stmt(sql).run(...params).changes);
  }

  #transaction<T>(fn: () => T): T {
    const db = this.#db;
    if (db.isTransaction) throw new StoreError('nested transaction');
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }

  // Scans

  async createScan(scan: NewScan): Promise<ScanRecord> {
    const id = scan.id ?? randomUUID();
    this.#run(
      'INSERT INTO scans (id, created_at, started_at, finished_at, status, scope, settings) VALUES (?, ?, ?, NULL, ?, ?, ?)',
      id,
      scan.createdAt ?? new Date().toISOString(),
      scan.startedAt ?? null,
      scan.status ?? 'running',
      scan.scope,
      json(scan.settings, 'scan settings'),
    );
    const created = await this.getScan(id);
    if (!created) throw new StoreError(`scan ${id} vanished after insert`);
    return created;
  }

  async updateScan(id: string, patch: ScanPatch): Promise<void> {
    const sets: string[] = [];
    const params: SQLInputValue[] = [];
    if (patch.status !== undefined) {
      sets.push('status = ?');
      params.push(scanStatus(patch.status));
    }
    if (patch.startedAt !== undefined) {
      sets.push('started_at = ?');
      params.push(patch.startedAt);
    }
    if (patch.finishedAt !== undefined) {
      sets.push('finished_at = ?');
      params.push(patch.finishedAt);
    }
    if (sets.length === 0) return;
    const changed = this.#run(`UPDATE scans SET ${sets.join(', ')} WHERE id = ?`, ...params, id);
    if (changed === 0) throw new StoreError(`no scan with id ${id}`);
  }

  async getScan(id: string): Promise<ScanRecord | null> {
    const row = this.#get(`${SCAN_SELECT} WHERE s.id = ?`, id);
    return row ? toScan(row) : null;
  }

  async listScans(): Promise<ScanRecord[]> {
    return this.#all(`${SCAN_SELECT} ORDER BY s.created_at DESC, s.id`).map(toScan);
  }

  // Facilities

  async upsertFacilities(facilities: readonly FacilityRecord[]): Promise<void> {
    const sql = `INSERT INTO facilities (id, name, region, country, contact_email, ranges, latitude, longitude)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, region = excluded.region, country = excluded.country,
        contact_email = excluded.contact_email, ranges = excluded.ranges, latitude = excluded.latitude,
        longitude = excluded.longitude`;
    this.#transaction(() => {
      for (const f of facilities) {
        this.#run(
          sql,
          f.id,
          f.name,
          f.region,
          f.country,
          f.contactEmail,
          json(f.ranges, 'facility ranges'),
          f.latitude,
          f.longitude,
        );
      }
    });
  }

  async getFacility(id: string): Promise<FacilityRecord | null> {
    const row = this.#get('SELECT * FROM facilities WHERE id = ?', id);
    return row ? toFacility(row) : null;
  }

  async listFacilities(): Promise<FacilityRecord[]> {
    return this.#all('SELECT * FROM facilities ORDER BY id').map(toFacility);
  }

  // Targets

  /**
   * seq is an ordering key, not an identity: if another connection adds targets to the same scan,
   * seqs may repeat, and ties are ordered by (host, port). Nothing depends on it being unique.
   */
  #seqFor(scanId: string): number {
    let next = this.#nextSeq.get(scanId);
    if (next === undefined) {
      next = num(this.#get('SELECT COALESCE(MAX(seq), 0) AS m FROM targets WHERE scan_id = ?', scanId) as Row, 'm') + 1;
    }
    this.#nextSeq.set(scanId, next + 1);
    return next;
  }

  #insertTargets(targets: readonly TargetRef[]): number {
    const sql = `INSERT INTO targets (scan_id, host, port, seq, state) VALUES (?, ?, ?, ?, 'pending')
      ON CONFLICT (scan_id, host, port) DO NOTHING`;
    let added = 0;
    for (const t of targets) added += this.#run(sql, t.scanId, t.host, t.port, this.#seqFor(t.scanId));
    return added;
  }

  #markDone(targets: readonly TargetRef[]): void {
    const sql = `UPDATE targets SET state = 'done' WHERE scan_id = ? AND host = ? AND port = ?`;
    for (const t of targets) this.#run(sql, t.scanId, t.host, t.port);
  }

  async addTargets(
    scanId: string,
    targets: Iterable<{ host: string; port: number }> | AsyncIterable<{ host: string; port: number }>,
  ): Promise<number> {
    let added = 0;
    let chunk: TargetRef[] = [];
    const flush = (): void => {
      const rows = chunk;
      chunk = [];
      try {
        added += this.#transaction(() => this.#insertTargets(rows));
      } catch (err) {
        this.#nextSeq.delete(scanId);
        throw err;
      }
    };
    for await (const t of targets) {
      chunk.push({ scanId, host: t.host, port: t.port });
      if (chunk.length >= TARGET_INSERT_CHUNK) flush();
    }
    if (chunk.length > 0) flush();
    return added;
  }

  async markTargetsDone(targets: readonly TargetRef[]): Promise<void> {
    this.#transaction(() => this.#markDone(targets));
  }

  async *pendingTargets(scanId: string, options?: PageOptions): AsyncGenerator<PendingTarget> {
    const limit = pageSize(options);
    let after: [number, string, number] = [-1, '', -1];
    for (;;) {
      const rows = this.#all(
        `SELECT host, port, seq FROM targets WHERE scan_id = ? AND state = 'pending' AND (seq, host, port) > (?, ?, ?)
         ORDER BY seq, host, port LIMIT ?`,
        scanId,
        ...after,
        limit,
      );
      for (const row of rows) yield { host: str(row, 'host'), port: num(row, 'port'), seq: num(row, 'seq') };
      const last = rows.at(-1);
      if (!last || rows.length < limit) return;
      after = [num(last, 'seq'), str(last, 'host'), num(last, 'port')];
    }
  }

  async targetCounts(scanId: string): Promise<TargetCounts> {
    const counts = { pending: 0, done: 0 };
    for (const row of this.#all('SELECT state, COUNT(*) AS n FROM targets WHERE scan_id = ? GROUP BY state', scanId)) {
      const state = str(row, 'state');
      if (state === 'pending' || state === 'done') counts[state] = num(row, 'n');
    }
    return counts;
  }

  // Results

  async writeBatch(batch: WriteBatch): Promise<void> {
    this.#transaction(() => {
      if (batch.targets?.length) this.#insertTargets(batch.targets);
      for (const e of batch.endpoints ?? []) this.#upsertEndpoint(e);
      for (const o of batch.observations ?? []) this.#upsertObservation(o);
      for (const r of batch.replaceFindingsOf ?? [])
        this.#run('DELETE FROM findings WHERE scan_id = ? AND host = ? AND port = ?', r.scanId, r.host, r.port);
      for (const f of batch.findings ?? []) this.#upsertFinding(f);
      if (batch.targetsDone?.length) this.#markDone(batch.targetsDone);
      for (const c of batch.cursors ?? []) {
        if (!/^\d+$/.test(c.position))
          throw new StoreError(`scan cursor must be a non-negative integer, not ${c.position}`);
        this.#run('UPDATE scans SET cursor = ? WHERE id = ?', c.position, c.scanId);
      }
    });
  }

  #upsertEndpoint(e: EndpointRecord): void {
    this.#run(
      `INSERT INTO endpoints (${ENDPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (scan_id, host, port) DO UPDATE SET transport = excluded.transport, status = excluded.status,
         service = excluded.service, exposure = excluded.exposure, facility_id = excluded.facility_id,
         result = excluded.result, ${FIGURE_UPDATES}`,
      e.scanId,
      e.host,
      e.port,
      e.transport,
      e.status,
      e.service,
      e.exposure,
      e.facilityId,
      json(e.result, 'endpoint result'),
      ...figureValues(e.figures),
    );
  }

  #upsertObservation(o: ObservationRecord): void {
    this.#run(
      `INSERT INTO observations (${OBSERVATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (scan_id, host, port, probe) DO UPDATE SET status = excluded.status, started_at = excluded.started_at,
         duration_ms = excluded.duration_ms, detail = excluded.detail, facts = excluded.facts`,
      o.scanId,
      o.host,
      o.port,
      o.probe,
      o.status,
      o.startedAt,
      o.durationMs,
      o.detail,
      jsonOrNull(o.facts, 'observation facts'),
    );
  }

  #upsertFinding(f: FindingRecord): void {
    this.#run(
      `INSERT INTO findings (${FINDING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (scan_id, host, port, finding_id) DO UPDATE SET severity = excluded.severity, evidence = excluded.evidence`,
      f.scanId,
      f.host,
      f.port,
      f.findingId,
      f.severity,
      json(f.evidence, 'finding evidence'),
    );
  }

  async getEndpoint(scanId: string, host: string, port: number): Promise<EndpointRecord | null> {
    const row = this.#get(
      `SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE scan_id = ? AND host = ? AND port = ?`,
      scanId,
      host,
      port,
    );
    return row ? toEndpoint(row) : null;
  }

  async *endpoints(scanId: string, query?: EndpointQuery): AsyncGenerator<EndpointRecord> {
    const limit = pageSize(query);
    const where = ['scan_id = ?', '(host, port) > (?, ?)'];
    const filters: SQLInputValue[] = [];
    if (query?.exposure !== undefined) {
      where.push('exposure = ?');
      filters.push(query.exposure);
    }
    if (query?.facilityId !== undefined) {
      where.push('facility_id = ?');
      filters.push(query.facilityId);
    }
    const sql = `SELECT ${ENDPOINT_COLUMNS} FROM endpoints WHERE ${where.join(' AND ')} ORDER BY host, port LIMIT ?`;
    let after: [string, number] = ['', -1];
    for (;;) {
      const rows = this.#all(sql, scanId, ...after, ...filters, limit);
      for (const row of rows) yield toEndpoint(row);
      const last = rows.at(-1);
      if (!last || rows.length < limit) return;
      after = [str(last, 'host'), num(last, 'port')];
    }
  }

  async *#keyed<T>(
    table: 'observations' | 'findings',
    columns: string,
    keyColumn: 'probe' | 'finding_id',
    convert: (row: Row) => T,
    scanId: string,
    query: EndpointKeyQuery | undefined,
  ): AsyncGenerator<T> {
    const limit = pageSize(query);
    const where = ['scan_id = ?', `(host, port, ${keyColumn}) > (?, ?, ?)`];
    const filters: SQLInputValue[] = [];
    if (query?.host !== undefined) {
      where.push('host = ?');
      filters.push(query.host);
    }
    if (query?.port !== undefined) {
      where.push('port = ?');
      filters.push(query.port);
    }
    const sql = `SELECT ${columns} FROM ${table} WHERE ${where.join(' AND ')} ORDER BY host, port, ${keyColumn} LIMIT ?`;
    let after: [string, number, string] = ['', -1, ''];
    for (;;) {
      const rows = this.#all(sql, scanId, ...after, ...filters, limit);
      for (const row of rows) yield convert(row);
      const last = rows.at(-1);
      if (!last || rows.length < limit) return;
      after = [str(last, 'host'), num(last, 'port'), str(last, keyColumn)];
    }
  }

  observations(scanId: string, query?: EndpointKeyQuery): AsyncGenerator<ObservationRecord> {
    return this.#keyed('observations', OBSERVATION_COLUMNS, 'probe', toObservation, scanId, query);
  }

  findings(scanId: string, query?: EndpointKeyQuery): AsyncGenerator<FindingRecord> {
    return this.#keyed('findings', FINDING_COLUMNS, 'finding_id', toFinding, scanId, query);
  }

  async countsByExposure(scanId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const row of this.#all(
      'SELECT exposure, COUNT(*) AS n FROM endpoints WHERE scan_id = ? GROUP BY exposure ORDER BY exposure',
      scanId,
    )) {
      counts[str(row, 'exposure')] = num(row, 'n');
    }
    return counts;
  }

  // Figures

  async figures(scanId: string, groupBy: FigureGroup): Promise<FigureRow[]> {
    const q = figureQueries(groupBy, '?');
    return assembleFigures(groupBy, {
      base: this.#all(q.base, scanId),
      exposure: this.#all(q.exposure, scanId),
      severity: this.#all(q.severity, scanId),
      categories: this.#all(q.categories, scanId),
    });
  }

  async findingCounts(scanId: string): Promise<FindingCount[]> {
    return this.#all(FINDING_COUNTS('?'), scanId)
      .map((r) => ({
        findingId: str(r, 'finding_id'),
        severity: str(r, 'severity'),
        endpoints: num(r, 'n'),
        facilities: num(r, 'nf'),
      }))
      .sort(byCount);
  }

  // Users

  async createUser(user: UserRecord): Promise<void> {
    const changed = this.#run(
      `INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
      user.name,
      userRole(user.role),
      user.passwordHash,
      user.createdAt,
    );
    if (changed === 0) throw new StoreError(`user ${user.name} exists`);
  }

  async setUserPassword(name: string, passwordHash: string): Promise<boolean> {
    return this.#run('UPDATE users SET password_hash = ? WHERE name = ?', passwordHash, name) > 0;
  }

  async deleteUser(name: string): Promise<boolean> {
    return this.#run('DELETE FROM users WHERE name = ?', name) > 0;
  }

  async getUser(name: string): Promise<UserRecord | null> {
    const row = this.#get('SELECT name, role, password_hash, created_at FROM users WHERE name = ?', name);
    return row ? toUser(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.#all('SELECT name, role, password_hash, created_at FROM users ORDER BY name').map(toUser);
  }

  // SQLite-specific (not part of Repository)

  diagnostics(): SqliteDiagnostics {
    const one = (sql: string, key: string): SQLOutputValue | undefined =>
      (this.#db.prepare(sql).get() as Row | undefined)?.[key];
    return {
      journalMode: String(one('PRAGMA journal_mode', 'journal_mode')),
      synchronous: Number(one('PRAGMA synchronous', 'synchronous')),
      foreignKeys: Number(one('PRAGMA foreign_keys', 'foreign_keys')) === 1,
      busyTimeoutMs: Number(one('PRAGMA busy_timeout', 'timeout')),
      schemaVersion: Number(one('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations', 'v')),
    };
  }

  /** `PRAGMA integrity_check`: `['ok']` when the file is sound. */
  integrityCheck(): string[] {
    return (this.#db.prepare('PRAGMA integrity_check').all() as Row[]).map((r) => String(r['integrity_check']));
  }

  async close(): Promise<void> {
    if (!this.#db.isOpen) return;
    this.#stmts.clear();
    this.#db.close();
  }
}
