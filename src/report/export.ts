/**
 * Exports of a stored scan: JSON (the shape of docs/scan-json.md, with facility and findings per
 * endpoint) and CSV (docs/scan-csv.md). Both stream: endpoints are read page by page and written as
 * they come, so a scan of any size is exported in bounded memory.
 *
 * What is written comes from the store, which by construction holds no patient value.
 */
import { readFileSync } from 'node:fs';
import type { FindingRecord, Repository, ScanRecord } from '../store/repository.ts';
import { csvRow, type CsvValue } from './csv.ts';
import { endpointView } from './endpoint-view.ts';
import { ScanLookupError, endpointsWithFindings, exposureCounts } from './scans.ts';

export type ChunkWriter = (chunk: string) => void | Promise<void>;

export interface ExportOptions {
  /** Endpoints read per store round trip (default 1000). */
  readonly pageSize?: number;
  /** pacsmap version written in `scan.tool` (default: this package's). */
  readonly version?: string;
}

let packageVersion: string | null = null;

function toolVersion(): string {
  if (packageVersion === null) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    packageVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  }
  return packageVersion;
}

/** Gathers small writes into ~64 KiB chunks; awaits the writer (back-pressure) on each flush. */
class Buffered {
  readonly #write: ChunkWriter;
  #parts: string[] = [];
  #size = 0;

  constructor(write: ChunkWriter) {
    this.#write = write;
  }

  async add(text: string): Promise<void> {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= 65_536) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#size === 0) return;
    const chunk = this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    await this.#write(chunk);
  }
}

async function scanOrThrow(repo: Repository, scanId: string): Promise<ScanRecord> {
  const scan = await repo.getScan(scanId);
  if (!scan) throw new ScanLookupError(`no scan ${scanId}`);
  return scan;
}

/** The `scan` object of a JSON export. */
export async function scanHeader(repo: Repository, scan: ScanRecord, version?: string): Promise<object> {
  return {
    id: scan.id,
    tool: { name: 'pacsmap', version: version ?? toolVersion() },
    createdAt: scan.createdAt,
    startedAt: scan.startedAt,
    finishedAt: scan.finishedAt,
    status: scan.status,
    scope: scan.scope,
    settings: scan.settings,
    cursor: scan.cursor,
    counts: { ...scan.counts, exposure: exposureCounts(await repo.countsByExposure(scan.id)) },
  };
}

function findingJson(f: FindingRecord): object {
  return { findingId: f.findingId, severity: f.severity, evidence: f.evidence };
}

/**
 * Writes `{"scan": {...}, "endpoints": [...]}`: the header pretty-printed, then one endpoint per
 * line (its stored result plus `facilityId` and `findings`), ordered by host and port.
 * A result's own `findings` array is kept when the store has no finding records for it.
 */
export async function exportScanJson(
  repo: Repository,
  scanId: string,
  write: ChunkWriter,
  options: ExportOptions = {},
): Promise<void> {
  const scan = await scanOrThrow(repo, scanId);
  const out = new Buffered(write);
  const header = JSON.stringify(await scanHeader(repo, scan, options.version), null, 2).replaceAll('\n', '\n  ');
  await out.add(`{\n  "scan": ${header},\n  "endpoints": [`);
  let first = true;
  for await (const { endpoint, findings } of endpointsWithFindings(repo, scan, options)) {
    const r = endpoint.result;
    const base: Record<string, unknown> =
      typeof r === 'object' && r !== null && !Array.isArray(r)
        ? { ...(r as Record<string, unknown>) }
        : { host: endpoint.host, port: endpoint.port, status: endpoint.status, exposure: endpoint.exposure };
    base['facilityId'] = endpoint.facilityId;
    if (findings && findings.length > 0) base['findings'] = findings.map(findingJson);
    else if (!Array.isArray(base['findings'])) base['findings'] = [];
    await out.add(`${first ? '' : ','}\n    ${JSON.stringify(base)}`);
    first = false;
  }
  await out.add(`${first ? '' : '\n  '}]\n}\n`);
  await out.flush();
}

/** The CSV columns, in order (docs/scan-csv.md). */
export const CSV_COLUMNS = [
  'scan_id',
  'host',
  'port',
  'facility_id',
  'service',
  'status',
  'exposure',
  'product',
  'product_version',
  'implementation_class_uid',
  'implementation_version_name',
  'tls',
  'echo',
  'query_allowed',
  'patients',
  'studies',
  'instances',
  'instances_estimated',
  'query_capped',
  'phi_categories',
  'services',
  'findings',
  'risk_score',
] as const;

/** One row per endpoint, ordered by host and port, with the header row first. */
export async function exportScanCsv(
  repo: Repository,
  scanId: string,
  write: ChunkWriter,
  options: ExportOptions = {},
): Promise<void> {
  const scan = await scanOrThrow(repo, scanId);
  const out = new Buffered(write);
  await out.add(csvRow(CSV_COLUMNS));
  for await (const { endpoint, findings } of endpointsWithFindings(repo, scan, options)) {
    const v = endpointView(endpoint, findings);
    const row: Record<(typeof CSV_COLUMNS)[number], CsvValue> = {
      scan_id: scan.id,
      host: v.host,
      port: v.port,
      facility_id: v.facilityId,
      service: v.service,
      status: v.status,
      exposure: v.exposure,
      product: v.product,
      product_version: v.productVersion,
      implementation_class_uid: v.implementationClassUid,
      implementation_version_name: v.implementationVersionName,
      tls: v.tls,
      echo: v.echo,
      query_allowed: v.queryAllowed,
      patients: v.patients,
      studies: v.studies,
      instances: v.instances,
      instances_estimated: v.instancesEstimated,
      query_capped: v.capped,
      phi_categories: v.phiCategories.join(';'),
      services: v.services.join(';'),
      findings: v.findings,
      risk_score: v.risk,
    };
    await out.add(csvRow(CSV_COLUMNS.map((c) => row[c])));
  }
  await out.flush();
}
