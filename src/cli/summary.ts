/** The short human summary printed after a scan. Counts and facts only. */
import type { EndpointResult } from '../scan/endpoint-result.ts';
import type { ScanReport } from '../scan/scan-host.ts';

function n(v: number | null, estimated = false): string {
  return v === null ? '?' : `${estimated ? '~' : ''}${v.toLocaleString('en-US')}`;
}

export function formatEndpoint(e: EndpointResult): string {
  const lines: string[] = [];
  const hostPort = e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
  const product = e.product
    ? `${e.product.name}${e.product.version ? ` ${e.product.version}` : ''}${e.product.ambiguousWith.length ? ` (or ${e.product.ambiguousWith.join(', ')})` : ''}`
    : null;
  const impl = e.implementation.versionName ?? e.implementation.classUid;
  lines.push(
    `${hostPort}  ${e.service ?? 'no DICOM'}  ${e.exposure.toUpperCase()}${product ? `  ${product}` : impl ? `  (${impl})` : ''}${e.status === 'success' ? '' : `  [${e.status}]`}`,
  );
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
  if (e.tls) {
    const c = e.tls.certificate;
    lines.push(
      `  tls ${e.tls.protocol ?? '?'} ${e.tls.cipher ?? ''}${c ? `; certificate ${c.subject}${c.selfSigned ? ' (self-signed)' : ''}${c.expired ? ' (expired)' : ''}, valid to ${c.validTo}` : ''}`,
    );
  }
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
  return lines.join('\n');
}

export function formatReport(r: ScanReport): string {
  if (r.scan.error) return `pacsmap: ${r.scan.error}`;
  const exposed = r.endpoints.filter((e) => e.exposure !== 'none' && e.exposure !== 'identified').length;
  const head = `pacsmap scan ${r.scan.id} of ${r.scan.target}${r.scan.address && r.scan.address !== r.scan.target ? ` (${r.scan.address})` : ''}: ${r.endpoints.length} port(s), ${r.endpoints.filter((e) => e.service).length} DICOM, ${exposed} exposed`;
  return [head, ...r.endpoints.map(formatEndpoint)].join('\n');
}
