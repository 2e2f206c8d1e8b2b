/**
 * `pacsmap report`: writes ministry.html, one facility-<id>.html per facility, figures.json and
 * figures.csv (and ministry.pdf with Debian's Chromium when asked) into a directory.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findings as findingsCatalogue } from '../../knowledge/findings.ts';
import type { FigureRow, FindingRecord, Repository } from '../../store/repository.ts';
import { scanFigures, type ScanFigures } from '../aggregate.ts';
import { csvRow } from '../csv.ts';
import { diffScans, previousScan, scopeKeyOf, trend, type ScanDiff, type TrendPoint } from '../diff.ts';
import { endpointView } from '../endpoint-view.ts';
import { facilityFile, facilityPage, ministryPage, type FacilityEndpoint } from './pages.ts';

export const CHROMIUM = '/usr/bin/chromium';

export interface ReportOptions {
  readonly outDir: string;
  /** The scan to compare with; undefined: the previous scan of the same scope; null: none. */
  readonly previousScanId?: string | null;
  /** Also print ministry.html to ministry.pdf with Chromium (error when it is missing). */
  readonly pdf?: boolean;
  readonly chromium?: string;
  /** Store round trip size when reading a facility's endpoints. */
  readonly pageSize?: number;
}

export interface ReportFiles {
  readonly ministry: string;
  readonly facilities: readonly string[];
  readonly json: string;
  readonly csv: string;
  readonly pdf: string | null;
  readonly previousScanId: string | null;
}

export const FIGURES_CSV_COLUMNS = [
  'level',
  'key',
  'name',
  'country',
  'endpoints',
  'exposed_endpoints',
  'honeypots',
  'archives_exposed',
  'patients',
  'studies',
  'images',
  'capped_archives',
  'personal_data',
  'max_risk',
  'mean_risk',
  'findings_critical',
  'findings_high',
  'findings_medium',
  'findings_low',
  'findings_info',
] as const;

function csvFigures(f: ScanFigures): string {
  const row = (level: string, key: string | null, name: string | null, r: FigureRow): string =>
    csvRow([
      level,
      key,
      name,
      r.country,
      r.endpoints,
      r.exposedEndpoints,
      r.honeypots,
      r.archivesExposed,
      r.patients,
      r.studies,
      r.instances,
      r.cappedArchives,
      r.phiCategories.join(' '),
      r.maxRisk,
      r.meanRisk === null ? null : Math.round(r.meanRisk * 100) / 100,
      r.findingsBySeverity['critical'] ?? 0,
      r.findingsBySeverity['high'] ?? 0,
      r.findingsBySeverity['medium'] ?? 0,
      r.findingsBySeverity['low'] ?? 0,
      r.findingsBySeverity['info'] ?? 0,
    ]);
  let out = csvRow(FIGURES_CSV_COLUMNS);
  out += row('total', null, null, f.total);
  for (const c of f.countries) out += row('country', c.country, null, c.figures);
  for (const r of f.regions) out += row('region', r.region, null, r.figures);
  for (const x of f.facilities) out += row('facility', x.id, x.name, x.figures);
  if (f.unattributed) out += row('facility', null, '(outside the registry)', f.unattributed);
  return out;
}

function printPdf(chromium: string, html: string, pdf: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-pdf-header-footer',
        `--print-to-pdf=${pdf}`,
        pathToFileURL(html).href,
      ],
      { timeout: 60_000, maxBuffer: 1 << 20 },
      (err) => (err ? reject(new Error(`chromium could not print the PDF: ${err.message}`)) : resolve()),
    );
  });
}

export async function writeReport(repo: Repository, scanId: string, options: ReportOptions): Promise<ReportFiles> {
  const scan = await repo.getScan(scanId);
  if (!scan) throw new Error(`no scan with id ${scanId}`);
  const chromium = options.chromium ?? CHROMIUM;
  if (options.pdf && !existsSync(chromium))
    throw new Error(`--pdf needs Chromium at ${chromium} (apt install chromium)`);
  const previous =
    options.previousScanId === undefined
      ? await previousScan(repo, scan)
      : options.previousScanId === null
        ? null
        : await repo.getScan(options.previousScanId);
  if (options.previousScanId && !previous) throw new Error(`no scan with id ${options.previousScanId}`);

  const figures = await scanFigures(repo, scanId);
  const diff: ScanDiff | null = previous ? await diffScans(repo, previous.id, scanId) : null;
  const points: TrendPoint[] = await trend(repo, scopeKeyOf(scan));
  await mkdir(options.outDir, { recursive: true });

  const ministry = path.join(options.outDir, 'ministry.html');
  await writeFile(ministry, ministryPage({ figures, diff, trend: points }));

  const catalogue = findingsCatalogue().findings;
  const facilities: string[] = [];
  for (const facility of figures.facilities) {
    const endpoints: FacilityEndpoint[] = [];
    for await (const rec of repo.endpoints(scanId, {
      facilityId: facility.id,
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    })) {
      const found: FindingRecord[] = [];
      for await (const f of repo.findings(scanId, { host: rec.host, port: rec.port })) found.push(f);
      endpoints.push({ view: endpointView(rec, found), findings: found });
    }
    const file = path.join(options.outDir, facilityFile(facility.id));
    await writeFile(
      file,
      facilityPage({
        scan: figures.scan,
        facility,
        endpoints,
        catalogue,
        changes: diff ? diff.endpoints.filter((c) => c.facilityId === facility.id) : null,
        previousScanId: previous?.id ?? null,
      }),
    );
    facilities.push(file);
  }

  const json = path.join(options.outDir, 'figures.json');
  await writeFile(
    json,
    `${JSON.stringify(
      {
        format: 'pacsmap-figures',
        version: 1,
        figures,
        previousScanId: previous?.id ?? null,
        changes: diff && {
          from: diff.from,
          to: diff.to,
          counts: diff.counts,
          total: diff.total,
          facilities: diff.facilities,
        },
        trend: points,
      },
      null,
      2,
    )}\n`,
  );
  const csv = path.join(options.outDir, 'figures.csv');
  await writeFile(csv, csvFigures(figures));

  let pdf: string | null = null;
  if (options.pdf) {
    pdf = path.join(options.outDir, 'ministry.pdf');
    await printPdf(chromium, ministry, pdf);
  }
  return { ministry, facilities, json, csv, pdf, previousScanId: previous?.id ?? null };
}
