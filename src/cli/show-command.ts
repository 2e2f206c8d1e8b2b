/** `pacsmap show SCAN_ID`: one stored scan — header, exposure counts, reachable totals, endpoints. */
import { parseArgs } from 'node:util';
import { formatDuration } from './progress.ts';
import { exportScanCsv, exportScanJson, type ChunkWriter } from '../report/export.ts';
import { endpointView, type EndpointView } from '../report/endpoint-view.ts';
import {
  ScanLookupError,
  endpointsWithFindings,
  exposureCounts,
  exposuresInOrder,
  formatScanProgress,
  resolveScan,
  scanPorts,
  scanProgress,
} from '../report/scans.ts';
import { fileSink, openForCommand } from '../report/sink.ts';
import { TextTable, figure, hostPort, terminalSafe } from '../report/table.ts';
import { findings } from '../knowledge/findings.ts';
import { headlineOf } from '../report/aggregate.ts';
import { DEFAULT_DB } from '../store/open.ts';
import type { Repository, ScanRecord } from '../store/repository.ts';
import { UsageError } from './args.ts';
import type { Io } from './io.ts';

export const SHOW_USAGE = `Usage: pacsmap show SCAN_ID [options]

Shows one stored scan: its settings, how many endpoints sit at each exposure level, what a
stranger's queries reach in total, and every endpoint, worst exposure first. SCAN_ID may be a
unique prefix of at least 4 characters (pacsmap scans lists the ids).

Options:
      --db URL       the store: a file path or sqlite:PATH (default ${DEFAULT_DB}); never created here
      --json FILE    export the scan as JSON (docs/scan-json.md, plus facilityId and findings); "-" for stdout
      --csv FILE     export one CSV row per endpoint (docs/scan-csv.md); "-" for stdout
  -h, --help         this text

Exit status: 0 shown, 2 no such database or scan.
`;

/** Endpoints read per store round trip. */
const PAGE_SIZE = 1000;

interface Totals {
  queried: number;
  patients: number;
  studies: number;
  instances: number;
  /** Some count is a lower bound: a query was capped, or an allowed query reported no figure. */
  patientsLow: boolean;
  studiesLow: boolean;
  instancesLow: boolean;
  instancesEstimated: boolean;
}

function addTotals(t: Totals, v: EndpointView): void {
  if (v.queryAllowed !== true) return;
  t.queried++;
  const low = v.capped === true;
  if (v.patients === null) t.patientsLow = true;
  else t.patients += v.patients;
  if (v.studies === null) t.studiesLow = true;
  else t.studies += v.studies;
  if (v.instances === null) t.instancesLow = true;
  else t.instances += v.instances;
  if (low) t.patientsLow = t.studiesLow = t.instancesLow = true;
  if (v.instancesEstimated === true) t.instancesEstimated = true;
}

function productText(v: EndpointView): string {
  if (v.product) return v.productVersion ? `${v.product} ${v.productVersion}` : v.product;
  const impl = v.implementationVersionName ?? v.implementationClassUid;
  return impl ? `(${impl})` : '-';
}

function countText(v: EndpointView, n: number | null, estimated: boolean): string {
  if (v.queryAllowed !== true) return '-';
  return figure(n, { estimated, lowerBound: v.capped === true });
}

/** Facility names, looked up once each (a registry has thousands at most). */
class Facilities {
  readonly #repo: Repository;
  readonly #names = new Map<string, string>();

  constructor(repo: Repository) {
    this.#repo = repo;
  }

  async name(id: string | null): Promise<string> {
    if (id === null) return '-';
    let name = this.#names.get(id);
    if (name === undefined) {
      name = (await this.#repo.getFacility(id))?.name ?? id;
      this.#names.set(id, name);
    }
    return name;
  }
}

async function endpointRow(v: EndpointView, facilities: Facilities): Promise<string[]> {
  return [
    hostPort(v.host, v.port),
    await facilities.name(v.facilityId),
    v.service ?? (v.status === 'success' ? 'no DICOM' : v.status),
    productText(v),
    v.exposure,
    countText(v, v.patients, false),
    countText(v, v.studies, false),
    countText(v, v.instances, v.instancesEstimated === true),
    v.phiCategories.length ? v.phiCategories.join(',') : '-',
    v.findings === null ? '-' : String(v.findings),
    v.risk === null ? '-' : String(v.risk),
  ];
}

function header(scan: ScanRecord): string[] {
  const ports = scanPorts(scan);
  const lines = [`scan ${scan.id}  ${scan.status}`];
  lines.push(`  created   ${scan.createdAt}`);
  if (scan.startedAt) lines.push(`  started   ${scan.startedAt}`);
  if (scan.finishedAt) {
    const took = scan.startedAt ? Date.parse(scan.finishedAt) - Date.parse(scan.startedAt) : NaN;
    lines.push(`  finished  ${scan.finishedAt}${Number.isFinite(took) ? ` (took ${formatDuration(took)})` : ''}`);
  }
  lines.push(`  scope     ${terminalSafe(scan.scope)}`);
  lines.push(`  ports     ${ports.length ? ports.join(', ') : '?'}`);
  lines.push(`  progress  ${formatScanProgress(scanProgress(scan))}`);
  lines.push(
    `  endpoints ${scan.counts.endpoints.toLocaleString('en-US')}${scan.counts.findings ? `, findings ${scan.counts.findings.toLocaleString('en-US')}` : ''}`,
  );
  return lines;
}

/** The human summary, written line by line; two passes over the endpoints, never all in memory. */
export async function writeSummary(repo: Repository, scan: ScanRecord, out: (text: string) => void): Promise<void> {
  const byExposure = await repo.countsByExposure(scan.id);
  out(`${header(scan).join('\n')}\n\n`);
  // The figure a ministry quotes, from the store's own aggregation (suspected honeypots not counted).
  const [total] = await repo.figures(scan.id, 'total');
  if (total) out(`${headlineOf(total).text}\n\n`);
  const counts = exposureCounts(byExposure);
  const width = Math.max(...Object.keys(counts).map((k) => k.length));
  out('endpoints by exposure (worst first)\n');
  for (const [level, n] of Object.entries(counts))
    out(`  ${terminalSafe(level).padEnd(width)}  ${n.toLocaleString('en-US')}\n`);

  // Pass 1, in table order: totals, column widths, and whether findings or risk have anything to show.
  const totals: Totals = {
    queried: 0,
    patients: 0,
    studies: 0,
    instances: 0,
    patientsLow: false,
    studiesLow: false,
    instancesLow: false,
    instancesEstimated: false,
  };
  const table = new TextTable([
    { title: 'ENDPOINT' },
    { title: 'FACILITY', max: 30 },
    { title: 'SERVICE' },
    { title: 'PRODUCT', max: 32 },
    { title: 'EXPOSURE' },
    { title: 'PATIENTS', align: 'right' },
    { title: 'STUDIES', align: 'right' },
    { title: 'INSTANCES', align: 'right' },
    { title: 'PHI', max: 60 },
    { title: 'FINDINGS', align: 'right' },
    { title: 'RISK', align: 'right' },
  ]);
  const facilities = new Facilities(repo);
  const order = exposuresInOrder(byExposure);
  const rows = async function* (): AsyncGenerator<{ view: EndpointView; row: string[] }> {
    // Worst exposure first, then host and port: one filtered, ordered query per level.
    for (const exposure of order) {
      for await (const { endpoint, findings } of endpointsWithFindings(repo, scan, { pageSize: PAGE_SIZE, exposure })) {
        const view = endpointView(endpoint, findings);
        yield { view, row: await endpointRow(view, facilities) };
      }
    }
  };
  let anyFindings = false;
  let anyRisk = false;
  for await (const { view, row } of rows()) {
    addTotals(totals, view);
    if (view.findings !== null) anyFindings = true;
    if (view.risk !== null) anyRisk = true;
    table.measure(row);
  }
  if (!anyFindings) table.hide(9);
  if (!anyRisk) table.hide(10);

  out(
    `\nreachable by a stranger's query (sum over ${totals.queried.toLocaleString('en-US')} endpoint(s) with query allowed)\n`,
  );
  out(`  patients   ${figure(totals.patients, { lowerBound: totals.patientsLow })}\n`);
  out(`  studies    ${figure(totals.studies, { lowerBound: totals.studiesLow })}\n`);
  out(
    `  instances  ${figure(totals.instances, { lowerBound: totals.instancesLow, estimated: totals.instancesEstimated })}\n`,
  );
  if (totals.patientsLow || totals.studiesLow || totals.instancesLow || totals.instancesEstimated)
    out('  (~ estimated; ≥ at least: a query was capped or gave no figure)\n');
  if (scan.counts.endpoints === 0) {
    out('\nno endpoint answered\n');
    return;
  }
  // Pass 2: print.
  out(`\n${table.header()}\n`);
  for await (const { row } of rows()) out(`${table.line(row)}\n`);
  await writeFindings(repo, scan, out);
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];

/** Findings of the scan by catalogue entry, worst first: how many endpoints, and the first fix. */
async function writeFindings(repo: Repository, scan: ScanRecord, out: (text: string) => void): Promise<void> {
  // One entry per catalogue id (CVE findings folded into their entry): bounded by the catalogue.
  const byId = new Map<string, { endpoints: Set<string>; severity: string; cves: Set<string> }>();
  for await (const f of repo.findings(scan.id)) {
    const [id, cve] = f.findingId.split(':', 2) as [string, string | undefined];
    const e = byId.get(id) ?? { endpoints: new Set<string>(), severity: f.severity, cves: new Set<string>() };
    e.endpoints.add(`${f.host} ${f.port}`);
    if (cve) e.cves.add(cve);
    if (SEVERITY_ORDER.indexOf(f.severity) < SEVERITY_ORDER.indexOf(e.severity)) e.severity = f.severity;
    byId.set(id, e);
  }
  if (byId.size === 0) return;
  const catalogue = new Map(findings().findings.map((d) => [d.id, d]));
  const sorted = [...byId.entries()].sort(
    ([a, x], [b, y]) =>
      SEVERITY_ORDER.indexOf(x.severity) - SEVERITY_ORDER.indexOf(y.severity) ||
      y.endpoints.size - x.endpoints.size ||
      (a < b ? -1 : 1),
  );
  out('\nfindings (worst first; docs/findings.md has every remediation step)\n');
  for (const [id, e] of sorted) {
    const def = catalogue.get(id);
    out(
      `  ${e.severity.toUpperCase().padEnd(8)} ${terminalSafe(id)}: ${def?.title ?? "not in this version's catalogue"} — ${e.endpoints.size} endpoint(s)${e.cves.size ? `, ${e.cves.size} CVE(s)` : ''}\n`,
    );
    if (def?.remediation[0]) out(`           fix: ${def.remediation[0]}\n`);
  }
}

async function exportTo(target: string, io: Io, run: (write: ChunkWriter) => Promise<void>): Promise<void> {
  if (target === '-') {
    await run((chunk) => io.out(chunk));
    return;
  }
  const sink = fileSink(target);
  await run(sink.write);
  await sink.close();
}

export async function showCommand(argv: readonly string[], io: Io, version: string): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string', default: DEFAULT_DB },
      json: { type: 'string' },
      csv: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(SHOW_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('show takes exactly one SCAN_ID');
  if (values.json === '-' && values.csv === '-') throw new UsageError('only one of --json and --csv can go to stdout');
  if (values.json === '') throw new UsageError('--json needs a file name or -');
  if (values.csv === '') throw new UsageError('--csv needs a file name or -');
  const repo = await openForCommand(values.db, io.err);
  if (!repo) return 2;
  try {
    let scan: ScanRecord;
    try {
      scan = await resolveScan(repo, positionals[0]!);
    } catch (err) {
      if (err instanceof ScanLookupError) {
        io.err(`pacsmap: ${terminalSafe(err.message)}\n`);
        return 2;
      }
      throw err;
    }
    // An export to stdout is the whole output; otherwise the summary, and exports go to files.
    const toStdout = values.json === '-' || values.csv === '-';
    if (!toStdout) await writeSummary(repo, scan, io.out);
    const options = { version, pageSize: PAGE_SIZE };
    if (values.json !== undefined) await exportTo(values.json, io, (w) => exportScanJson(repo, scan.id, w, options));
    if (values.csv !== undefined) await exportTo(values.csv, io, (w) => exportScanCsv(repo, scan.id, w, options));
    return 0;
  } finally {
    await repo.close();
  }
}
