-- 0001 initial schema: scans, facilities, targets, endpoints, observations, findings.
--
-- Portable SQL, applied unchanged to SQLite (>= 3.35, via node:sqlite) and PostgreSQL (>= 12):
-- TEXT for ids, ISO 8601 times and JSON documents; DOUBLE PRECISION for fractional numbers;
-- composite natural keys instead of auto-increment ids; upserts are INSERT ... ON CONFLICT in code.
--
-- Privacy: no column is meant for patient data. Results, facts and evidence are pacsmap's own JSON
-- (docs/scan-json.md): statuses, counts, booleans and protocol facts. A unit test keeps an explicit
-- allow-list of every column (test/unit/store/privacy.test.ts): a new column must be reviewed there.

CREATE TABLE scans (
  id TEXT NOT NULL PRIMARY KEY,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'interrupted')),
  scope TEXT NOT NULL,
  settings TEXT NOT NULL
);

CREATE INDEX scans_created ON scans (created_at);

CREATE TABLE facilities (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  region TEXT,
  country TEXT,
  contact_email TEXT,
  ranges TEXT NOT NULL,
  latitude DOUBLE PRECISION,
  longitude DOUBLE PRECISION
);

-- Work items of a scan: pending until the engine has written their results, then done.
-- seq keeps the (randomised) order the targets were added in, so a resume keeps spreading load.
CREATE TABLE targets (
  scan_id TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  seq BIGINT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
  PRIMARY KEY (scan_id, host, port)
);

CREATE INDEX targets_by_state ON targets (scan_id, state, seq, host, port);

CREATE TABLE endpoints (
  scan_id TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  transport TEXT NOT NULL,
  status TEXT NOT NULL,
  service TEXT,
  exposure TEXT NOT NULL,
  facility_id TEXT REFERENCES facilities (id) ON DELETE SET NULL,
  result TEXT NOT NULL,
  PRIMARY KEY (scan_id, host, port)
);

CREATE INDEX endpoints_by_exposure ON endpoints (scan_id, exposure);
CREATE INDEX endpoints_by_facility ON endpoints (facility_id);

CREATE TABLE observations (
  scan_id TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  probe TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at TEXT NOT NULL,
  duration_ms DOUBLE PRECISION NOT NULL,
  detail TEXT,
  facts TEXT,
  PRIMARY KEY (scan_id, host, port, probe)
);

CREATE TABLE findings (
  scan_id TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
  finding_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  evidence TEXT NOT NULL,
  PRIMARY KEY (scan_id, host, port, finding_id)
);
