/**
 * The two kinds of report page: the ministry's overview of a scan and one page per facility for
 * its IT team. Both are built from the store's aggregates (ScanFigures), the diff against the
 * previous scan of the same scope, and — for a facility page — its own endpoints and findings.
 */
import { formatCount, type FacilityFigures, type ScanFigures, type TopFinding } from '../aggregate.ts';
import type { EndpointChange, ScanDiff, TrendPoint } from '../diff.ts';
import type { EndpointView } from '../endpoint-view.ts';
import { exposureRank } from '../scans.ts';
import type { FindingDef } from '../../knowledge/findings.ts';
import { PHI_CATEGORIES } from '../../privacy/phi-categories.ts';
import type { FigureRow } from '../../store/repository.ts';
import { countryName } from './countries.ts';
import { markup, join, type Html } from './escape.ts';
import { mapLegend, renderMap, type MapLevel } from './map.ts';
import { page } from './page.ts';

const LABELS = new Map(PHI_CATEGORIES.map((c) => [c.id, c.label] as const));

function categoryLabel(id: string): string {
  return LABELS.get(id) ?? id;
}

export function facilityFile(id: string): string {
  // Registry ids are free text: keep a safe file name, and keep it unique with a short hash-free encoding.
  return `facility-${id.replace(/[^A-Za-z0-9._-]/g, (c) => `_${c.codePointAt(0)?.toString(16)}_`)}.html`;
}

function n(v: number | null | undefined, lowerBound = false): Html {
  if (v === null || v === undefined) return markup`<td class="n">–</td>`;
  return markup`<td class="n">${lowerBound ? '≥ ' : ''}${formatCount(v)}</td>`;
}

function signed(v: number): string {
  return v > 0 ? `+${formatCount(v)}` : v < 0 ? `−${formatCount(-v)}` : '0';
}

function risk(v: number | null): string {
  return v === null ? '–' : String(Math.round(v * 10) / 10);
}

function sev(s: string): Html {
  return markup`<span class="badge sev-${/^[a-z]+$/.test(s) ? s : 'info'}">${s}</span>`;
}

function worstExposure(r: FigureRow): string {
  const levels = Object.keys(r.byExposure).sort((a, b) => exposureRank(a) - exposureRank(b));
  return levels[0] ?? 'none';
}

export function levelOf(r: FigureRow): MapLevel {
  if (r.archivesExposed > 0 && r.patients > 0) return 'records';
  if (r.exposedEndpoints > 0) return 'exposed';
  if (r.endpoints > 0) return 'found';
  return 'none';
}

function figureText(r: FigureRow): string {
  const low = r.cappedArchives > 0 ? 'at least ' : '';
  return `${formatCount(r.endpoints)} endpoints, ${formatCount(r.exposedEndpoints)} exposed; ${low}${formatCount(r.patients)} patient records, ${low}${formatCount(r.instances)} images on ${formatCount(r.archivesExposed)} archives`;
}

function severities(r: FigureRow): Html {
  const parts = ['critical', 'high', 'medium', 'low']
    .filter((s) => (r.findingsBySeverity[s] ?? 0) > 0)
    .map((s) => markup`${sev(s)} ${formatCount(r.findingsBySeverity[s] ?? 0)}`);
  return parts.length ? join(parts, ' ') : markup`–`;
}

function cards(r: FigureRow, facilities?: number): Html {
  const low = r.cappedArchives > 0;
  const card = (label: string, value: string): Html => markup`<div class="card"><b>${value}</b>${label}</div>`;
  return markup`<div class="cards">
    ${[
      card('endpoints found', formatCount(r.endpoints)),
      card('exposed to a stranger', formatCount(r.exposedEndpoints)),
      card('archives readable', formatCount(r.archivesExposed)),
      card('patient records', `${low ? '≥ ' : ''}${formatCount(r.patients)}`),
      card('studies', `${low ? '≥ ' : ''}${formatCount(r.studies)}`),
      card('images', `${low ? '≥ ' : ''}${formatCount(r.instances)}`),
      ...(facilities !== undefined ? [card('facilities with exposure', formatCount(facilities))] : []),
      card('highest risk (0–100)', risk(r.maxRisk)),
    ]}
  </div>`;
}

const GROUP_HEAD = markup`<th>endpoints</th>
  <th>exposed</th>
  <th>archives</th>
  <th>patient records</th>
  <th>studies</th>
  <th>images</th>
  <th>max risk</th>
  <th>findings</th>`;

function groupCells(r: FigureRow): Html {
  const low = r.cappedArchives > 0;
  return markup`${n(r.endpoints)}${n(r.exposedEndpoints)}${n(r.archivesExposed)}${n(r.patients, low)}${n(r.studies, low)}${n(r.instances, low)}
    <td class="n">${risk(r.maxRisk)}</td>
    <td>${severities(r)}</td>`;
}

function changeCell(kind: string | undefined): Html {
  return kind ? markup`<td class="${kind}">${kind}</td>` : markup`<td>–</td>`;
}

function scanMeta(f: ScanFigures): Html {
  return markup`<p class="meta">
    Scan <code>${f.scan.id}</code> · ${f.scan.status} · started
    ${f.scan.createdAt}${f.scan.finishedAt ? ` · finished ${f.scan.finishedAt}` : ''}<br />Scope: ${f.scan.scope}
  </p>`;
}

function findingsTable(list: readonly TopFinding[]): Html {
  if (list.length === 0) return markup`<p>No findings.</p>`;
  return markup`<table>
    <thead>
      <tr>
        <th>severity</th>
        <th>finding</th>
        <th>endpoints</th>
        <th>facilities</th>
      </tr>
    </thead>
    <tbody>
      ${list.map(
        (t) =>
          markup`<tr>
            <td>${sev(t.severity)}</td>
            <td>${t.title} <code>${t.findingId}</code></td>
            ${n(t.endpoints)}${n(t.facilities)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function changesSection(
  diff: ScanDiff | null,
  trendPoints: readonly TrendPoint[],
  facilityNames: ReadonlyMap<string, string>,
): Html {
  if (!diff)
    return markup`<h2>Changes</h2>
      <p>No earlier scan of the same scope in the store.</p>`;
  const t = diff.total;
  const counts = markup`<p>
      Since scan <code>${diff.from.id}</code> (${diff.from.createdAt}):
      ${join(
        (['new', 'fixed', 'worse', 'better', 'unchanged'] as const).map(
          (k) => markup`<span class="${k}">${formatCount(diff.counts[k])} ${k}</span>`,
        ),
        ', ',
      )}
      endpoints. Exposed endpoints ${signed(t.exposedEndpointsDelta)}, patient records ${signed(t.patientsDelta)},
      studies ${signed(t.studiesDelta)}, images ${signed(t.instancesDelta)}.
    </p>
    <p>Then: ${t.before.text}. Now: ${t.after.text}.</p>`;
  const changed = diff.facilities.filter((f) => f.change !== 'unchanged');
  const table = changed.length
    ? markup`<table>
        <thead>
          <tr>
            <th>facility</th>
            <th>change</th>
            <th>exposed endpoints</th>
            <th>patient records</th>
            <th>images</th>
            <th>endpoints new / fixed / worse / better</th>
          </tr>
        </thead>
        <tbody>
          ${changed.map(
            (f) =>
              markup`<tr>
                <td>
                  ${f.facilityId === null ? '(outside the registry)' : (facilityNames.get(f.facilityId) ?? f.facilityId)}
                </td>
                ${changeCell(f.change)}
                <td class="n">${f.before?.exposedEndpoints ?? 0} → ${f.after?.exposedEndpoints ?? 0}</td>
                <td class="n">${signed(f.patientsDelta)}</td>
                <td class="n">${signed(f.instancesDelta)}</td>
                <td class="n">
                  ${f.endpoints.new} / ${f.endpoints.fixed} / ${f.endpoints.worse} / ${f.endpoints.better}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>`
    : markup`<p>No facility changed.</p>`;
  const trendTable =
    trendPoints.length > 1
      ? markup`<h3>Every scan of this scope</h3>
          <table>
            <thead>
              <tr>
                <th>scan</th>
                <th>started</th>
                <th>endpoints</th>
                <th>exposed</th>
                <th>archives</th>
                <th>patient records</th>
                <th>images</th>
                <th>max risk</th>
              </tr>
            </thead>
            <tbody>
              ${trendPoints.map(
                (p) =>
                  markup`<tr>
                    <td><code>${p.scan.id.slice(0, 8)}</code></td>
                    <td>${p.scan.createdAt}</td>
                    ${n(p.endpoints)}${n(p.exposedEndpoints)}${n(p.archives)}${n(p.patients, p.lowerBound)}${n(p.instances, p.lowerBound)}
                    <td class="n">${risk(p.maxRisk)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
      : markup``;
  return markup`<h2>Changes since the previous scan</h2>
    ${counts}${table}${trendTable}`;
}

export interface MinistryInput {
  readonly figures: ScanFigures;
  readonly diff: ScanDiff | null;
  readonly trend: readonly TrendPoint[];
}

export function ministryPage(input: MinistryInput): string {
  const f = input.figures;
  const names = new Map(f.facilities.map((x) => [x.id, x.name] as const));
  const changeOf = new Map((input.diff?.facilities ?? []).map((c) => [c.facilityId, c.change] as const));
  const exposedFacilities = f.facilities.filter((x) => x.figures.exposedEndpoints > 0).length;
  const map = renderMap(
    f.countries
      .filter((c) => c.country !== null)
      .map((c) => ({ country: c.country!, level: levelOf(c.figures), text: figureText(c.figures) })),
    f.facilities
      .filter((x) => x.latitude !== null && x.longitude !== null)
      .map((x) => ({
        name: x.name,
        latitude: x.latitude!,
        longitude: x.longitude!,
        level: levelOf(x.figures),
        patients: x.figures.patients,
        text: figureText(x.figures),
      })),
  );
  const facilities = [...f.facilities].sort(
    (a, b) => (b.risk ?? -1) - (a.risk ?? -1) || b.figures.patients - a.figures.patients || (a.name < b.name ? -1 : 1),
  );
  const body = markup`<h1>PACS exposure: scan report</h1>
    ${scanMeta(f)}
    <div class="headline${f.total.archivesExposed === 0 ? ' ok' : ''}">${f.headline.text}</div>
    ${cards(f.total, exposedFacilities)}
    <p>
      Personal data a stranger can read:
      ${f.phiCategories.length ? f.phiCategories.map((c) => c.label).join(', ') : 'none'}.
    </p>
    <h2>Map</h2>
    ${map}
    <p>${mapLegend()}</p>
    ${changesSection(input.diff, input.trend, names)}
    <h2>By state or region</h2>
    <table>
      <thead>
        <tr>
          <th>region</th>
          <th>country</th>
          ${GROUP_HEAD}
        </tr>
      </thead>
      <tbody>
        ${f.regions.map(
          (r) =>
            markup`<tr>
              <td>${r.region ?? '(none)'}</td>
              <td>${countryName(r.country)}</td>
              ${groupCells(r.figures)}
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>By country</h2>
    <table>
      <thead>
        <tr>
          <th>country</th>
          ${GROUP_HEAD}
        </tr>
      </thead>
      <tbody>
        ${f.countries.map(
          (c) =>
            markup`<tr>
              <td>${countryName(c.country)}</td>
              ${groupCells(c.figures)}
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>By facility</h2>
    <table>
      <thead>
        <tr>
          <th>facility</th>
          <th>region</th>
          <th>worst exposure</th>
          ${GROUP_HEAD}
          <th>change</th>
        </tr>
      </thead>
      <tbody>
        ${facilities.map(
          (x) =>
            markup`<tr>
              <td><a href="${facilityFile(x.id)}">${x.name}</a></td>
              <td>${x.region ?? ''}</td>
              <td>${worstExposure(x.figures)}</td>
              ${groupCells(x.figures)}${changeCell(changeOf.get(x.id))}
            </tr>`,
        )}${
          f.unattributed
            ? markup`<tr>
                <td>(outside the registry)</td>
                <td></td>
                <td>${worstExposure(f.unattributed)}</td>
                ${groupCells(f.unattributed)}${changeCell(changeOf.get(null))}
              </tr>`
            : markup``
        }
      </tbody>
    </table>
    <h2>Top findings</h2>
    ${findingsTable(f.topFindings)}`;
  return page('PACS exposure report', body);
}

// Facility page --------------------------------------------------------------------------------

export interface FacilityEndpoint {
  readonly view: EndpointView;
  readonly findings: readonly { readonly findingId: string; readonly severity: string }[];
}

export interface FacilityInput {
  readonly scan: ScanFigures['scan'];
  readonly facility: FacilityFigures;
  readonly endpoints: readonly FacilityEndpoint[];
  readonly catalogue: readonly FindingDef[];
  /** This facility's endpoint changes since the previous scan (null: no previous scan). */
  readonly changes: readonly EndpointChange[] | null;
  readonly previousScanId: string | null;
}

export function facilityPage(input: FacilityInput): string {
  const x = input.facility;
  const r = x.figures;
  const defs = new Map(input.catalogue.map((d) => [d.id, d] as const));
  // Findings grouped by id, with the endpoints they were raised on.
  const byFinding = new Map<string, { severity: string; endpoints: string[] }>();
  for (const e of input.endpoints)
    for (const fd of e.findings) {
      const g = byFinding.get(fd.findingId) ?? { severity: fd.severity, endpoints: [] };
      g.endpoints.push(`${e.view.host}:${e.view.port}`);
      byFinding.set(fd.findingId, g);
    }
  const SEV = ['critical', 'high', 'medium', 'low', 'info'];
  const findings = [...byFinding.entries()].sort(
    ([a, ga], [b, gb]) => SEV.indexOf(ga.severity) - SEV.indexOf(gb.severity) || (a < b ? -1 : 1),
  );
  const findingHtml = findings.length
    ? join(
        findings.map(([id, g]) => {
          const [base = id, detail] = id.split(':', 2);
          const def = defs.get(base);
          return markup`<h3>${sev(g.severity)} ${def?.title ?? id}${detail ? ` (${detail})` : ''}</h3>
            <p class="meta"><code>${id}</code> on ${g.endpoints.join(', ')}</p>
            ${
              def
                ? markup`<p>${def.description}</p>
                    <p><b>What to do</b></p>
                    <ol>
                      ${def.remediation.map((s) => markup`<li>${s}</li>`)}
                    </ol>
                    ${
                      def.references.length
                        ? markup`<p class="note">References</p>
                            <ul>
                              ${def.references.map((s) => markup`<li class="ref">${s}</li>`)}
                            </ul>`
                        : markup``
                    }`
                : markup``
            }`;
        }),
      )
    : markup`<p>No findings.</p>`;
  const endpointRows = [...input.endpoints]
    .sort(
      (a, b) =>
        exposureRank(a.view.exposure) - exposureRank(b.view.exposure) ||
        (a.view.host < b.view.host ? -1 : 1) ||
        a.view.port - b.view.port,
    )
    .map((e) => {
      const v = e.view;
      const product = v.product
        ? `${v.product}${v.productVersion ? ` ${v.productVersion}` : ''}`
        : (v.implementationVersionName ?? v.implementationClassUid ?? '–');
      const q = v.queryAllowed === true;
      return markup`<tr>
        <td><code>${v.host}:${v.port}</code></td>
        <td>${v.service ?? '–'}${v.tls ? ' (TLS)' : ''}</td>
        <td>${product}</td>
        <td>${v.exposure}</td>
        <td>${v.services.join(', ') || '–'}</td>
        ${q ? n(v.patients, v.capped === true) : n(null)}${q ? n(v.studies, v.capped === true) : n(null)}${q ? n(v.instances, v.capped === true) : n(null)}
        <td>${v.phiCategories.map(categoryLabel).join(', ') || '–'}</td>
        <td class="n">${risk(v.risk)}</td>
        <td class="n">${e.findings.length}</td>
      </tr>`;
    });
  const changes =
    input.changes === null
      ? markup`<p>No earlier scan of the same scope in the store.</p>`
      : input.changes.length === 0
        ? markup`<p>Nothing changed on this facility's endpoints since scan <code>${input.previousScanId}</code>.</p>`
        : markup`<p>Since scan <code>${input.previousScanId}</code>:</p>
            <table>
              <thead>
                <tr>
                  <th>endpoint</th>
                  <th>change</th>
                  <th>before</th>
                  <th>after</th>
                  <th>patient records</th>
                  <th>images</th>
                </tr>
              </thead>
              <tbody>
                ${input.changes.map(
                  (c) =>
                    markup`<tr>
                      <td><code>${c.host}:${c.port}</code></td>
                      ${changeCell(c.change)}
                      <td>${c.before ? c.before.exposure : 'not found'}</td>
                      <td>${c.after ? c.after.exposure : 'not found (closed)'}</td>
                      <td class="n">${signed(c.patientsDelta)}</td>
                      <td class="n">${signed(c.instancesDelta)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`;
  const body = markup`<h1>${x.name}</h1>
    <p class="meta">
      Facility <code>${x.id}</code> · ${x.region ?? ''} ·
      ${countryName(x.country)}${x.contactEmail ? ` · security contact ${x.contactEmail}` : ''}
    </p>
    ${scanMeta({ scan: input.scan } as ScanFigures)}
    <div class="headline${r.archivesExposed === 0 ? ' ok' : ''}">${figureText(r)}</div>
    ${cards(r)}
    <p>
      Personal data a stranger can read here:
      ${r.phiCategories.length ? r.phiCategories.map(categoryLabel).join(', ') : 'none'}. Risk (worst endpoint):
      ${risk(x.risk)}.
    </p>
    <h2>What changed</h2>
    ${changes}
    <h2>Findings and what to do</h2>
    ${findingHtml}
    <h2>Endpoints</h2>
    <table>
      <thead>
        <tr>
          <th>endpoint</th>
          <th>service</th>
          <th>product</th>
          <th>exposure</th>
          <th>services for a stranger</th>
          <th>patients</th>
          <th>studies</th>
          <th>images</th>
          <th>personal data</th>
          <th>risk</th>
          <th>findings</th>
        </tr>
      </thead>
      <tbody>
        ${endpointRows}
      </tbody>
    </table>`;
  return page(`PACS exposure: ${x.name}`, body);
}
