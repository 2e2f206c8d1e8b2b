/**
 * Per-facility findings summaries by email (nodemailer), to each facility's security contact in
 * the registry. Counts, exposure levels, finding titles and remediation only: the same figures
 * as the reports, never a patient value. Facilities with no contact or nothing found are skipped.
 */
import nodemailer from 'nodemailer';
import { findings as findingsCatalogue } from '../knowledge/findings.ts';
import { formatCount, scanFigures, severityRank, type FacilityFigures } from '../report/aggregate.ts';
import type { Repository } from '../store/repository.ts';

export interface NotifyOptions {
  /** smtp://host:port or smtps://user:pass@host:port (nodemailer's URL form). */
  readonly smtpUrl: string;
  readonly from: string;
  /** Only facilities with a finding at this severity or worse (default: any finding). */
  readonly minSeverity?: string;
  /** Per-connection timeouts in ms (default 15 s). */
  readonly timeoutMs?: number;
}

export interface NotifyResult {
  readonly sent: readonly { readonly facilityId: string; readonly to: string; readonly findings: number }[];
  readonly skipped: readonly { readonly facilityId: string; readonly reason: string }[];
}

/** One line, no control characters: registry and peer text go into headers and a plain-text body. */
function line(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ');
}

interface FacilityMessage {
  readonly subject: string;
  readonly text: string;
  readonly findings: number;
  readonly worst: string | null;
}

async function facilityMessage(repo: Repository, scanId: string, facility: FacilityFigures): Promise<FacilityMessage> {
  const defs = new Map(findingsCatalogue().findings.map((d) => [d.id, d] as const));
  const byFinding = new Map<string, { severity: string; endpoints: string[] }>();
  const endpoints: string[] = [];
  for await (const e of repo.endpoints(scanId, { facilityId: facility.id })) {
    endpoints.push(`${e.host}:${e.port}  ${e.exposure}`);
    for await (const f of repo.findings(scanId, { host: e.host, port: e.port })) {
      const g = byFinding.get(f.findingId) ?? { severity: f.severity, endpoints: [] };
      g.endpoints.push(`${e.host}:${e.port}`);
      byFinding.set(f.findingId, g);
    }
  }
  const list = [...byFinding.entries()].sort(
    ([a, x], [b, y]) => severityRank(x.severity) - severityRank(y.severity) || (a < b ? -1 : 1),
  );
  const r = facility.figures;
  const low = r.cappedArchives > 0 ? 'at least ' : '';
  const out: string[] = [
    `pacsmap scan ${scanId}: ${line(facility.name)} (${line(facility.id)})`,
    '',
    `Endpoints found: ${formatCount(r.endpoints)}; exposed to a stranger: ${formatCount(r.exposedEndpoints)}.`,
    `A stranger can read ${low}${formatCount(r.patients)} patient records, ${low}${formatCount(r.studies)} studies and ${low}${formatCount(r.instances)} images on ${formatCount(r.archivesExposed)} archive(s).`,
    `Categories of personal data readable: ${r.phiCategories.length ? r.phiCategories.join(', ') : 'none'}.`,
    '',
    'Findings (worst first) and what to do:',
  ];
  for (const [id, g] of list) {
    const [base = id, detail] = id.split(':', 2);
    const def = defs.get(base);
    out.push('', `[${g.severity}] ${line(def?.title ?? id)}${detail ? ` (${line(detail)})` : ''}`);
    out.push(`  on ${g.endpoints.map(line).join(', ')}`);
    for (const step of def?.remediation ?? []) out.push(`  - ${line(step)}`);
  }
  out.push('', 'Endpoints:', ...endpoints.map((e) => `  ${line(e)}`));
  out.push(
    '',
    'Counts only: pacsmap never keeps or sends a patient name, ID, date or any other value.',
    'Reply to your CERT contact for the full report.',
  );
  const worst = list[0]?.[1].severity ?? null;
  return {
    subject: line(`[pacsmap] ${list.length} finding(s)${worst ? `, worst ${worst}` : ''}: ${facility.name}`),
    text: `${out.join('\n')}\n`,
    findings: list.length,
    worst,
  };
}

export async function notifyFacilities(
  repo: Repository,
  scanId: string,
  options: NotifyOptions,
): Promise<NotifyResult> {
  const figures = await scanFigures(repo, scanId);
  const timeout = options.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport(options.smtpUrl, {
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  } as Record<string, unknown>);
  const sent: { facilityId: string; to: string; findings: number }[] = [];
  const skipped: { facilityId: string; reason: string }[] = [];
  try {
    for (const facility of figures.facilities) {
      const to = facility.contactEmail;
      if (!to) {
        skipped.push({ facilityId: facility.id, reason: 'no contact in the registry' });
        continue;
      }
      const message = await facilityMessage(repo, scanId, facility);
      if (message.findings === 0) {
        skipped.push({ facilityId: facility.id, reason: 'no findings' });
        continue;
      }
      if (options.minSeverity && severityRank(message.worst ?? 'info') > severityRank(options.minSeverity)) {
        skipped.push({ facilityId: facility.id, reason: `nothing at ${options.minSeverity} or worse` });
        continue;
      }
      await transport.sendMail({ from: options.from, to, subject: message.subject, text: message.text });
      sent.push({ facilityId: facility.id, to, findings: message.findings });
    }
  } finally {
    transport.close();
  }
  return { sent, skipped };
}
