-- 0003 figures and users.
--
-- Endpoint figure columns, filled on write from the endpoint result and its assessment, so the
-- reports and the dashboard aggregate IN the database (GROUP BY) instead of loading every result:
--   exposed          1 when a stranger's association is accepted (associable or worse) and the
--                    endpoint is not a suspected honeypot, else 0
--   honeypot         1 for a suspected honeypot
--   exposed_records  distinct patients a stranger's query reaches (counts, never values); NULL
--   exposed_exams    unless the query was allowed and the assessment counts it as exposure
--   exposed_images   (the words avoid the personal-data names the schema review rejects)
--   counts_capped    1 when those counts are lower bounds
--   data_categories  categories of personal data seen, comma-delimited ids (e.g. name,birth-date)
--   risk_score       the endpoint's risk score (src/assess)
--   country          ISO 3166 code from offline GeoIP for an address outside the registry; the
--                    figures take a facility's own country first (COALESCE through the join)
-- Endpoints written before 0003 keep NULL figures; only `exposed` is backfilled from the level.
ALTER TABLE endpoints ADD COLUMN exposed INTEGER;
ALTER TABLE endpoints ADD COLUMN honeypot INTEGER;
ALTER TABLE endpoints ADD COLUMN exposed_records INTEGER;
ALTER TABLE endpoints ADD COLUMN exposed_exams INTEGER;
ALTER TABLE endpoints ADD COLUMN exposed_images INTEGER;
ALTER TABLE endpoints ADD COLUMN counts_capped INTEGER;
ALTER TABLE endpoints ADD COLUMN data_categories TEXT;
ALTER TABLE endpoints ADD COLUMN risk_score DOUBLE PRECISION;
ALTER TABLE endpoints ADD COLUMN country TEXT;

UPDATE endpoints SET exposed = CASE WHEN exposure IN ('retrievable', 'queryable', 'writable', 'associable') THEN 1 ELSE 0 END;

CREATE INDEX endpoints_by_country ON endpoints (scan_id, country);

-- Dashboard accounts. password_hash is a self-describing hash string (algorithm, parameters,
-- salt, digest) made by the dashboard; never a password.
CREATE TABLE users (
  name TEXT NOT NULL PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
