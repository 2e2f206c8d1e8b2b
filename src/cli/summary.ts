/** The short human summary printed after a scan. Counts and facts only. */
import type { EndpointResult } from '../scan/endpoint-result.ts';
import { terminalSafe } from '../report/table.ts';

function n(v: number | null, estimated = false): string {
  return v === null ? '?' : `${estimated ? '~' : ''}${v.toLocaleString('en-US')}`;
}

export function formatEndpoint(e: EndpointResult): string {
  const lines: string[] = [];
  const hostPort = e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
  const product = e.product
    ? `${e.product.name}${e.product.version ? ` ${e.product.version}` : ''}${e.product.ambiguousWith.length ? ` (or ${e.product.ambiguousWith.join(', ')})` : ''}`
    : null;
  // Peer-chosen text: escaped, so a peer cannot drive the analyst's terminal.
  const implRaw = e.implementation.versionName ?? e.implementation.classUid;
  const impl = implRaw === null ? null : terminalSafe(implRaw);
  lines.push(
    `${hostPort}  ${e.service ?? 'no DICOM'}  ${e.exposure.toUpperCase()}${product ? `  ${product}` : impl ? `  (${impl})` : ''}${e.status === 'success' ? '' : `  [${e.status}]`}`,
  );
  if (e.web && e.service) {
    lines.push(...webLines(e));
    lines.push(...assessmentLines(e));
    return lines.join('\n');
  }
  if (!e.service) {
    const why = e.observations.find((o) => o.status !== 'success')?.detail;
    lines.push(`  ${e.status}${why ? `: ${why}` : ''}`);
    return lines.join('\n');
  }
  const a = e.association;
  if (a.accepted) {
    lines.push(
      `  association accepted (called ${a.calledAe}, calling ${a.callingAe}); echo ${e.echo ? 'ok' : 'failed'}`,
    );
  } else if (a.reject) {
    lines.push(
      `  association rejected: ${a.reject.meaning} (result ${a.reject.result}, source ${a.reject.source}, reason ${a.reject.reason})`,
    );
  } else if (a.abort) {
    lines.push(`  association aborted by peer (source ${a.abort.source}, reason ${a.abort.reason})`);
  }
  const d = e.aeDiscovery;
  if (d?.accepted) {
    lines.push(
      `  AE titles GUESSED: called ${d.accepted.calledAe}, calling ${d.accepted.callingAe} (after ${d.attempts} attempts; first refused: ${a.firstReject?.meaning ?? '?'})`,
    );
  } else if (d?.attempted) {
    lines.push(`  AE-title discovery: ${d.attempts} attempts, none accepted (${d.stoppedBecause})`);
  }
  if (e.tls) lines.push(tlsLine(e.tls));
  if (a.accepted) {
    const q = e.query;
    if (q.allowed) {
      lines.push(
        `  query: ${n(q.patients)} patients, ${q.capped ? '≥' : ''}${n(q.studies)} studies, ${n(q.instances, q.instancesEstimated)} instances`,
      );
      lines.push(`  personal data exposed: ${q.phiCategories.length ? q.phiCategories.join(', ') : 'none seen'}`);
    } else {
      lines.push('  query: not allowed');
    }
    const s = e.services;
    const offered = (['find', 'move', 'get', 'store'] as const).filter((k) => s[k]);
    lines.push(
      `  services offered to a stranger: ${offered.length ? offered.join(', ') : 'none'}${s.store ? ` (${s.storageClasses.length} storage classes)` : ''}`,
    );
  }
  if (e.retrieve) {
    const g = e.retrieve.get;
    const m = e.retrieve.move;
    lines.push(
      `  retrieval proof: ${e.retrieve.proven ? 'IMAGES LEAVE THE ARCHIVE' : 'not proven'}; C-GET ${g ? `${g.meaning}${g.instanceBytes !== null ? ` (${n(g.instanceBytes)} bytes, dropped)` : ''}` : 'not run'}; C-MOVE to an unknown AE ${m ? m.meaning : 'not run'}`,
    );
  }
  lines.push(...assessmentLines(e));
  return lines.join('\n');
}

function tlsLine(t: NonNullable<EndpointResult['tls']>): string {
  const c = t.certificate;
  return `  tls ${t.protocol ?? '?'} ${t.cipher ?? ''}${c ? `; certificate ${terminalSafe(c.subject)}${c.selfSigned ? ' (self-signed)' : ''}${c.expired ? ' (expired)' : ''}, valid to ${c.validTo}` : ''}`;
}

function webLines(e: EndpointResult): string[] {
  const w = e.web!;
  const lines: string[] = [];
  const rest = w.orthancRest;
  if (rest?.reachable) {
    lines.push(
      rest.authRequired
        ? '  Orthanc REST API: authentication required'
        : `  Orthanc REST API OPEN (version ${rest.version === null ? '?' : terminalSafe(rest.version)}, DICOM AET ${rest.dicomAet === null ? '?' : terminalSafe(rest.dicomAet)})`,
    );
  }
  if (w.dicomweb) {
    lines.push(
      w.dicomweb.authRequired
        ? `  DICOMweb at ${w.dicomweb.prefix}: authentication required`
        : `  DICOMweb at ${w.dicomweb.prefix} OPEN: ${w.dicomweb.capped ? '≥' : ''}${n(w.dicomweb.studies)} studies`,
    );
  }
  if (w.viewers.length)
    lines.push(`  viewers: ${w.viewers.map((v) => `${v.product} at ${v.path} (HTTP ${v.httpStatus})`).join(', ')}`);
  if (w.defaultCredentials.worked) lines.push(`  DEFAULT LOGIN ACCEPTED (${w.defaultCredentials.worked})`);
  const q = e.query;
  if (q.allowed) {
    lines.push(
      `  readable: ${n(q.patients)} patients, ${q.capped ? '≥' : ''}${n(q.studies)} studies, ${n(q.instances)} instances`,
    );
    if (q.phiCategories.length) lines.push(`  personal data exposed: ${q.phiCategories.join(', ')}`);
  }
  if (w.tls) lines.push(tlsLine(w.tls));
  return lines;
}

interface StoredAssessment {
  readonly score: number;
  readonly findings: readonly { readonly id: string; readonly severity: string }[];
  readonly honeypot?: { readonly suspected: boolean };
}

/** Score and findings, when the result comes from the store with its assessment. */
function assessmentLines(e: EndpointResult): string[] {
  const x = (e as { assessment?: StoredAssessment }).assessment;
  if (!x) return [];
  const worst = x.findings.slice(0, 6).map((f) => `${f.id} (${f.severity})`);
  return [
    `  risk ${x.score}/100${x.honeypot?.suspected ? ' — SUSPECTED HONEYPOT: not counted as patient exposure' : ''}${worst.length ? `; findings: ${worst.join(', ')}${x.findings.length > 6 ? ', …' : ''}` : ''}`,
  ];
}
