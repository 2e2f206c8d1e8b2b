/**
 * The dashboard's pages as HTML strings, and the JSON views of the API. Every stored string is
 * escaped (esc); peer-chosen text never reaches a page raw. Only counts, booleans, categories and
 * our own catalogue text are shown.
 */
import { findings as catalogue, type FindingDef } from '../knowledge/findings.ts';
import { endpointView } from '../report/endpoint-view.ts';
import { formatDistributedProgress, type DistributedProgress } from '../distributed/progress.ts';
import { exposureCounts, exposureRank, formatScanProgress, scanProgress, scanPorts } from '../report/scans.ts';
import { hostPort } from '../report/table.ts';
import type {
  EndpointRecord,
  FacilityRecord,
  FigureRow,
  FindingRecord,
  Repository,
  ScanRecord,
  UserRecord,
} from '../store/repository.ts';
import { esc, hidden, num, page, seg, table, type PageContext } from './html.ts';
import type { ScanFigures } from '../report/aggregate.ts';
import { severityRank } from '../report/aggregate.ts';
import type { ScanDiff, TrendPoint } from '../report/diff.ts';
import { worstExposure } from './figures.ts';
import type { ScanRun, ScanStarter } from './scan-runner.ts';
import { facilityMap, trendChart } from './svg.ts';

export interface Ctx extends PageContext {
  readonly starter: ScanStarter | null;
}

let defs: Map<string, FindingDef> | null = null;

/** The catalogue entry of a stored finding id (`id` or `id:CVE-…` for per-CVE findings). */
export function findingDef(findingId: string): FindingDef | null {
  defs ??= new Map(catalogue().findings.map((d) => [d.id, d]));
  return defs.get(findingId.split(':')[0]!) ?? null;
}

function findingTitle(findingId: string): string {
  const d = findingDef(findingId);
  const cve = findingId.includes(':') ? findingId.slice(findingId.indexOf(':') + 1) : null;
  return d ? `${d.title}${cve ? `: ${cve}` : ''}` : findingId;
}

function sev(s: string): string {
  return `<span class="sev-${esc(s)}">${esc(s)}</span>`;
}

function figure(label: string, value: string, id: string): string {
  return `<div class="figure"><div class="v" id="${esc(id)}">${value}</div><div>${esc(label)}</div></div>`;
}

function rowCells(r: FigureRow): string[] {
  const lb = r.cappedArchives > 0 ? '≥' : '';
  return [
    num(r.endpoints),
    num(r.exposedEndpoints),
    esc(worstExposure(r)),
    lb + num(r.patients),
    lb + num(r.studies),
    lb + num(r.instances),
    r.maxRisk === null ? '-' : num(r.maxRisk),
  ];
}

const ROW_HEAD = ['systems', 'exposed', 'worst', 'patients', 'studies', 'images', 'max risk'];
const ROW_NUMERIC = [0, 1, 3, 4, 5, 6];
const shift = (k: number): number[] => ROW_NUMERIC.map((i) => i + k);

function scanLink(scan: ScanRecord): string {
  return `<a href="/scans/${seg(scan.id)}">${esc(scan.id.slice(0, 8))}</a>`;
}

export function loginPage(ctx: Ctx, message: string | null): string {
  return page(
    'Log in',
    `${message ? `<p class="err" id="login-error">${esc(message)}</p>` : ''}
<form method="post" action="/login">${hidden(ctx.csrf)}
<p><label>Name <input name="name" id="name" autocomplete="username" required maxlength="64"></label></p>
<p><label>Password <input name="password" id="password" type="password" autocomplete="current-password" required maxlength="1024"></label></p>
<p><button type="submit" id="login">Log in</button></p></form>`,
    ctx,
  );
}

export function errorPage(status: number, message: string, ctx: Ctx): string {
  return page(`Error ${status}`, `<p class="err">${esc(message)}</p>`, ctx);
}

export function noScanPage(ctx: Ctx): string {
  return page('Overview', '<p>No scan in the store yet.</p>', ctx);
}

export function overviewPage(scan: ScanRecord, v: ScanFigures, trendPoints: readonly TrendPoint[], ctx: Ctx): string {
  const t = v.total;
  const lb = t.cappedArchives > 0 ? '≥' : '';
  const exposure = table(
    ['exposure level', 'systems'],
    Object.entries(exposureCounts({ ...t.byExposure })).map(([k, n]) => [
      esc(k),
      `<span data-exposure-count="${esc(k)}">${num(n)}</span>`,
    ]),
    [1],
  );
  const regions = table(
    ['country', 'region', ...ROW_HEAD],
    v.regions.map((r) => [esc(r.country ?? '-'), esc(r.region ?? '-'), ...rowCells(r.figures)]),
    shift(2),
  );
  const countries = table(
    ['country', ...ROW_HEAD],
    v.countries.map((c) => [esc(c.country ?? 'unknown'), ...rowCells(c.figures)]),
    shift(1),
  );
  const facilities = table(
    ['facility', 'region', ...ROW_HEAD],
    [...v.facilities]
      .sort(
        (a, b) =>
          exposureRank(worstExposure(a.figures)) - exposureRank(worstExposure(b.figures)) ||
          b.figures.patients - a.figures.patients,
      )
      .map((f) => [
        `<a class="facility" href="/scans/${seg(scan.id)}/facilities/${seg(f.id)}">${esc(f.name)}</a>`,
        esc(f.region ?? '-'),
        ...rowCells(f.figures),
      ]),
    shift(2),
  );
  const top = v.topFindings.length
    ? table(
        ['finding', 'severity', 'systems', 'facilities'],
        v.topFindings.slice(0, 10).map((f) => [esc(f.title), sev(f.severity), num(f.endpoints), num(f.facilities)]),
        [2, 3],
      )
    : '<p class="note">no finding (scan not assessed, or nothing found)</p>';
  const phi = v.phiCategories.length
    ? `<ul>${v.phiCategories.map((c) => `<li>${esc(c.label)}</li>`).join('')}</ul>`
    : '<p class="note">none</p>';
  const body = `<p>Scan ${scanLink(scan)} · ${esc(scan.status)} · created ${esc(scan.createdAt)} · progress ${esc(formatScanProgress(scanProgress(scan)))}
 · <a href="/api/scans/${seg(scan.id)}/export.json">JSON</a> · <a href="/api/scans/${seg(scan.id)}/export.csv">CSV</a></p>
<p id="headline"><strong>${esc(v.headline.text)}</strong></p>
<div class="figures">${figure('systems found', num(t.endpoints), 'fig-systems')}${figure('exposed to a stranger', num(t.exposedEndpoints), 'fig-exposed')}${figure(
    'archives readable',
    num(t.archivesExposed),
    'fig-archives',
  )}${figure('patient records exposed', lb + num(t.patients), 'fig-patients')}${figure('studies exposed', lb + num(t.studies), 'fig-studies')}${figure(
    'images exposed',
    lb + num(t.instances),
    'fig-images',
  )}</div>
${t.honeypots ? `<p class="note">${num(t.honeypots)} suspected honeypot(s) are not counted as exposed.</p>` : ''}
<h2>Map</h2>${facilityMap(scan.id, v.facilities)}
<h2>By exposure level</h2>${exposure}
<h2>By region</h2>${regions}
<h2>By country</h2>${countries}${v.unattributed ? `<p class="note">${num(v.unattributed.endpoints)} system(s) belong to no registered facility.</p>` : ''}
<h2>Top findings</h2>${top}
<h2>Personal data a stranger can read (categories)</h2>${phi}
<h2>Facilities</h2>${facilities}
<h2>Trend</h2>${trendChart(trendPoints)}`;
  return page('Overview', body, ctx);
}

export function scansPage(
  scans: readonly ScanRecord[],
  ctx: Ctx,
  shards: ReadonlyMap<string, DistributedProgress> = new Map(),
): string {
  const rows = scans.map((s) => [
    scanLink(s),
    esc(s.status),
    esc(s.createdAt),
    esc(s.finishedAt ?? '-'),
    esc(s.scope),
    // A distributed scan's progress is its shards (done/total, active, failed, workers alive).
    esc(shards.has(s.id) ? formatDistributedProgress(shards.get(s.id)!) : formatScanProgress(scanProgress(s))),
    num(s.counts.endpoints),
    num(s.counts.findings),
  ]);
  const options = scans
    .map((s) => `<option value="${esc(s.id)}">${esc(s.id.slice(0, 8))} ${esc(s.createdAt)}</option>`)
    .join('');
  return page(
    'Scans',
    `${table(['scan', 'status', 'created', 'finished', 'scope', 'progress', 'endpoints', 'findings'], rows, [6, 7])}
${scans.length >= 2 ? `<h2>Compare</h2><form method="get" action="/diff"><label>A <select name="a">${options}</select></label> <label>B <select name="b">${options}</select></label> <button type="submit">Diff</button></form>` : ''}`,
    ctx,
  );
}

export async function facilityPage(
  repo: Repository,
  scan: ScanRecord,
  facility: FacilityRecord,
  endpoints: readonly EndpointRecord[],
  ctx: Ctx,
): Promise<string> {
  const rows: string[][] = [];
  const sorted = [...endpoints].sort((a, b) => exposureRank(a.exposure) - exposureRank(b.exposure));
  for (const e of sorted) {
    const fs: FindingRecord[] = [];
    for await (const f of repo.findings(scan.id, { host: e.host, port: e.port })) fs.push(f);
    const v = endpointView(e, fs);
    rows.push([
      `<a class="endpoint" href="/scans/${seg(scan.id)}/endpoints/${seg(e.host)}/${seg(e.port)}">${esc(hostPort(e.host, e.port))}</a>`,
      esc(v.service ?? e.status),
      esc(v.product ? `${v.product}${v.productVersion ? ` ${v.productVersion}` : ''}` : '-'),
      esc(v.exposure),
      v.queryAllowed ? num(v.patients) : '-',
      v.queryAllowed ? num(v.studies) : '-',
      v.queryAllowed ? num(v.instances) : '-',
      num(fs.length),
      v.risk === null ? '-' : num(v.risk),
    ]);
  }
  const body = `<p>${esc(facility.region ?? '-')}, ${esc(facility.country ?? '-')} · security contact ${esc(facility.contactEmail ?? '-')} · scan ${scanLink(scan)}</p>
${table(['endpoint', 'service', 'product', 'exposure', 'patients', 'studies', 'images', 'findings', 'risk'], rows, [4, 5, 6, 7, 8])}`;
  return page(`Facility ${facility.name}`, body, ctx);
}

export function endpointPage(
  scan: ScanRecord,
  e: EndpointRecord,
  fs: readonly FindingRecord[],
  facility: FacilityRecord | null,
  ctx: Ctx,
): string {
  const v = endpointView(e, fs);
  const facts = table(
    ['fact', 'value'],
    [
      [
        'facility',
        facility ? `<a href="/scans/${seg(scan.id)}/facilities/${seg(facility.id)}">${esc(facility.name)}</a>` : '-',
      ],
      ['status', esc(v.status)],
      ['service', esc(v.service ?? '-')],
      ['transport', esc(e.transport)],
      ['exposure', esc(v.exposure)],
      ['product', esc(v.product ? `${v.product} ${v.productVersion ?? ''}` : '-')],
      ['implementation', esc([v.implementationClassUid, v.implementationVersionName].filter(Boolean).join(' ') || '-')],
      ['TLS', esc(v.tls === null ? '?' : v.tls ? 'yes' : 'no')],
      ['services offered to a stranger', esc(v.services.join(', ') || '-')],
      ['query answered', esc(v.queryAllowed === null ? '?' : v.queryAllowed ? 'yes' : 'no')],
      [
        'patients / studies / images',
        v.queryAllowed ? `${num(v.patients)} / ${num(v.studies)} / ${num(v.instances)}` : '-',
      ],
      ['personal data categories', esc(v.phiCategories.join(', ') || '-')],
      ['risk score', v.risk === null ? '-' : num(v.risk)],
    ],
  );
  const sorted = [...fs].sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
  const items = sorted.map((f) => {
    const d = findingDef(f.findingId);
    return `<section class="finding" id="finding-${esc(f.findingId)}"><h3>${esc(findingTitle(f.findingId))} (${sev(f.severity)})</h3>
${
  d
    ? `<p>${esc(d.description)}</p><h4>Remediation</h4><ul class="remediation">${d.remediation.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>
<h4>References</h4><ul>${d.references.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`
    : '<p class="note">not in this version\'s catalogue</p>'
}
<details><summary>evidence</summary><pre>${esc(JSON.stringify(f.evidence, null, 1))}</pre></details></section>`;
  });
  return page(
    `Endpoint ${hostPort(e.host, e.port)}`,
    `<p>scan ${scanLink(scan)}</p>${facts}<h2>Findings (${fs.length})</h2>${items.join('') || '<p class="note">none</p>'}`,
    ctx,
  );
}

function delta(n: number): string {
  return n > 0 ? `+${num(n)}` : num(n);
}

export function diffPage(
  scans: readonly ScanRecord[],
  pair: readonly [ScanRecord, ScanRecord] | null,
  diff: ScanDiff | null,
  facilityNames: ReadonlyMap<string, string>,
  ctx: Ctx,
): string {
  if (!pair || !diff) return page('Diff', '<p>Two scans are needed for a diff.</p>', ctx);
  const [a, b] = pair;
  const t = diff.total;
  const counts = table(
    ['change', 'endpoints'],
    Object.entries(diff.counts).map(([k, n]) => [esc(k), `<span data-change="${esc(k)}">${num(n)}</span>`]),
    [1],
  );
  const name = (id: string | null): string => (id === null ? '(no facility)' : (facilityNames.get(id) ?? id));
  const facilities = table(
    ['facility', 'change', 'new', 'fixed', 'worse', 'better', 'patients Δ', 'images Δ'],
    diff.facilities
      .filter((f) => f.change !== 'unchanged')
      .map((f) => [
        esc(name(f.facilityId)),
        esc(f.change),
        num(f.endpoints.new),
        num(f.endpoints.fixed),
        num(f.endpoints.worse),
        num(f.endpoints.better),
        delta(f.patientsDelta),
        delta(f.instancesDelta),
      ]),
    [2, 3, 4, 5, 6, 7],
  );
  const rows = diff.endpoints.map((r) => [
    esc(hostPort(r.host, r.port)),
    esc(name(r.facilityId)),
    esc(r.before?.exposure ?? '-'),
    esc(r.after?.exposure ?? '-'),
    esc(r.change),
    delta(r.patientsDelta),
    delta(r.instancesDelta),
  ]);
  const opt = (sel: string): string =>
    scans
      .map(
        (s) =>
          `<option value="${esc(s.id)}"${s.id === sel ? ' selected' : ''}>${esc(s.id.slice(0, 8))} ${esc(s.createdAt)}</option>`,
      )
      .join('');
  return page(
    'Diff',
    `<form method="get" action="/diff"><label>A <select name="a">${opt(a.id)}</select></label> <label>B <select name="b">${opt(b.id)}</select></label> <button type="submit">Diff</button></form>
<p>${scanLink(a)} (${esc(a.createdAt)}) → ${scanLink(b)} (${esc(b.createdAt)})</p>
<p>Before: ${esc(t.before.text)}.<br>After: ${esc(t.after.text)}.<br>Exposed systems ${delta(t.exposedEndpointsDelta)}, patient records ${delta(t.patientsDelta)}, images ${delta(t.instancesDelta)}.</p>
${counts}<h2>Facilities that changed</h2>${facilities}<h2>Endpoints that changed</h2>
${table(['endpoint', 'facility', 'before', 'after', 'change', 'patients Δ', 'images Δ'], rows, [5, 6])}`,
    ctx,
  );
}

export function newScanPage(facilities: readonly FacilityRecord[], ctx: Ctx): string {
  const s = ctx.starter;
  if (!s) return page('Start a scan', '<p>Starting scans is not configured on this server.</p>', ctx);
  const lab = s.labAvailable
    ? `<form method="post" action="/scans">${hidden(ctx.csrf)}<input type="hidden" name="target" value="lab"><button type="submit" id="start-lab">Scan the lab fleet</button></form>`
    : '<p class="note">no lab registry (start the server with --lab-dir)</p>';
  const fac = facilities.length
    ? `<form method="post" action="/scans">${hidden(ctx.csrf)}<input type="hidden" name="target" value="facility"><label>Facility <select name="facility">${facilities
        .map((f) => `<option value="${esc(f.id)}">${esc(f.name)} (${esc(f.id)})</option>`)
        .join(
          '',
        )}</select></label> <button type="submit" id="start-facility">Scan its registered ranges</button></form>`
    : '<p class="note">no facility in the store</p>';
  const runs = s.list();
  return page(
    'Start a scan',
    `<p>A scan runs <code>pacsmap scan --facilities …</code> inside the registered scope only.</p><h2>Lab</h2>${lab}<h2>One facility</h2>${fac}
${runs.length ? `<h2>Recent runs</h2>${runsTable(runs)}` : ''}`,
    ctx,
  );
}

function runsTable(runs: readonly ScanRun[]): string {
  return table(
    ['run', 'target', 'by', 'started', 'state'],
    runs.map((r) => [
      `<a href="/runs/${seg(r.id)}">${esc(r.id.slice(0, 8))}</a>`,
      esc(r.target),
      esc(r.startedBy),
      esc(r.startedAt),
      esc(r.state),
    ]),
  );
}

export function runsPage(runs: readonly ScanRun[], ctx: Ctx): string {
  return page('Scan runs', runs.length ? runsTable(runs) : '<p>none</p>', ctx);
}

export function runPage(run: ScanRun, scan: ScanRecord | null, ctx: Ctx): string {
  const state = scan && run.state !== 'failed' ? (run.state === 'running' ? 'running' : scan.status) : run.state;
  return page(
    `Scan run ${run.id.slice(0, 8)}`,
    `<p>${esc(run.target)} · started by ${esc(run.startedBy)} at ${esc(run.startedAt)}</p>
<p>State: <strong id="run-state">${esc(state)}</strong>${run.exitCode !== null ? ` (exit ${esc(run.exitCode)})` : ''}</p>
<p>Progress: <span id="run-progress">${scan ? esc(formatScanProgress(scanProgress(scan))) : 'starting'}</span>${scan ? ` · ${num(scan.counts.endpoints)} endpoint(s) so far` : ''}</p>
${scan ? `<p><a id="run-scan" href="/scans/${seg(scan.id)}">scan ${esc(scan.id.slice(0, 8))}</a></p>` : ''}`,
    ctx,
  );
}

export function usersPage(users: readonly UserRecord[], message: string | null, ctx: Ctx): string {
  return page(
    'Users',
    `${message ? `<p id="users-message">${esc(message)}</p>` : ''}${table(
      ['name', 'role', 'created', ''],
      users.map((u) => [
        esc(u.name),
        esc(u.role),
        esc(u.createdAt),
        u.name === ctx.user?.name
          ? ''
          : `<form method="post" action="/users/${seg(u.name)}/delete">${hidden(ctx.csrf)}<button type="submit">Remove</button></form>`,
      ]),
    )}
<h2>Add a user</h2><form method="post" action="/users">${hidden(ctx.csrf)}
<label>Name <input name="name" required maxlength="64"></label>
<label>Role <select name="role"><option>viewer</option><option>operator</option><option>admin</option></select></label>
<label>Password <input name="password" type="password" required minlength="12" autocomplete="new-password"></label>
<button type="submit">Create</button></form>`,
    ctx,
  );
}

export function accountPage(message: string | null, ctx: Ctx): string {
  return page(
    'Account',
    `${message ? `<p id="account-message">${esc(message)}</p>` : ''}<p>Signed in as ${esc(ctx.user?.name ?? '')} (${esc(ctx.user?.role ?? '')}).</p>
<h2>Change your password</h2><form method="post" action="/account/password">${hidden(ctx.csrf)}
<label>Current password <input name="current" type="password" required autocomplete="current-password"></label>
<label>New password <input name="password" type="password" required minlength="12" autocomplete="new-password"></label>
<button type="submit">Change</button></form>`,
    ctx,
  );
}

// ─── JSON views ──────────────────────────────────────────────────────────────

export function scanApiView(s: ScanRecord): Record<string, unknown> {
  const p = scanProgress(s);
  return {
    id: s.id,
    status: s.status,
    createdAt: s.createdAt,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    scope: s.scope,
    ports: scanPorts(s),
    progress: { done: p.done.toString(), total: p.total === null ? null : p.total.toString() },
    counts: s.counts,
  };
}

/** The scan's figures for the API: aggregate.ts's document plus each group's worst exposure. */
export function figuresApiView(scan: ScanRecord, v: ScanFigures): Record<string, unknown> {
  return {
    ...v,
    scan: scanApiView(scan),
    facilities: v.facilities.map((f) => ({ ...f, worst: worstExposure(f.figures) })),
  };
}

export function endpointApiView(e: EndpointRecord, fs: readonly FindingRecord[]): Record<string, unknown> {
  return {
    ...endpointView(e, fs),
    findings: fs.map((f) => ({ findingId: f.findingId, severity: f.severity, title: findingTitle(f.findingId) })),
  };
}
