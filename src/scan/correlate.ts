/**
 * Facts one endpoint gives about another, applied once a scan's work is done.
 *
 * Orthanc answers DICOM associations with DCMTK's implementation class UID and version name, so
 * on DICOM alone an Orthanc is "DCMTK (or Orthanc)" and gets DCMTK's CVEs. Its REST API's
 * `/system` names the product, its version and its DICOM port: when the same host's REST API
 * answered (openly, or with a documented default login) and names a DICOM port that this scan
 * found speaking DICOM, that endpoint is Orthanc of that version, and is assessed again (its
 * findings replaced: the DCMTK CVEs go, Orthanc's come).
 */
import { safe } from '../log/safe-text.ts';
import type { Logger } from '../log/logger.ts';
import type { EndpointRecord, Repository } from '../store/repository.ts';
import type { EndpointResult } from './endpoint-result.ts';
import { assessedRecords } from './records.ts';

interface OrthancFacts {
  readonly host: string;
  readonly restPort: number;
  readonly dicomPort: number;
  readonly version: string;
}

function orthancFacts(e: EndpointRecord): OrthancFacts | null {
  const web = (e.result as Partial<EndpointResult> | null)?.web;
  const rest = web?.orthancRest;
  const version = rest?.version ?? web?.defaultCredentials.orthancRest?.version ?? null;
  if (!rest?.reachable || rest.dicomPort === null || version === null) return null;
  return { host: e.host, restPort: e.port, dicomPort: rest.dicomPort, version };
}

/** Refines the scan's endpoints from their neighbours' facts; returns how many changed. */
export async function correlateScan(store: Repository, scanId: string, log: Logger): Promise<number> {
  // Web faces are few next to the endpoints: only their Orthanc facts are kept in memory.
  const facts: OrthancFacts[] = [];
  for await (const e of store.endpoints(scanId)) {
    if (e.service !== 'http' && e.service !== 'https') continue;
    const f = orthancFacts(e);
    if (f) facts.push(f);
  }
  let changed = 0;
  for (const f of facts) {
    const rec = await store.getEndpoint(scanId, f.host, f.dicomPort);
    if (!rec || (rec.service !== 'dicom' && rec.service !== 'dicom-tls')) continue;
    const doc = rec.result as EndpointResult & { hostname?: string };
    const p = doc.product;
    // Only what the DICOM answer left open: an Orthanc, or a product Orthanc is known to pass for.
    if (p && p.name !== 'Orthanc' && !p.ambiguousWith.includes('Orthanc')) continue;
    if (p?.name === 'Orthanc' && p.version === f.version && p.ambiguousWith.length === 0) continue;
    const refined: EndpointResult = {
      ...doc,
      product: {
        name: 'Orthanc',
        version: f.version,
        confidence: `confirmed by Orthanc's REST API on port ${f.restPort}`,
        ambiguousWith: [],
      },
    };
    const records = assessedRecords(
      scanId,
      { address: rec.host, port: rec.port, hostname: doc.hostname ?? null },
      refined,
      rec.facilityId,
    );
    await store.writeBatch({
      endpoints: [records.endpoint],
      replaceFindingsOf: [{ scanId, host: rec.host, port: rec.port }],
      findings: records.findings,
    });
    changed += 1;
    log.log('debug', safe('product-refined'), { host: safe(rec.host), port: rec.port, restPort: f.restPort });
  }
  return changed;
}
