/**
 * The assess step for a stored endpoint result (docs/scan-json.md): picks the right input mapping
 * (a DICOM endpoint with its retrieval proof, or a PACS web face) and runs the catalogue.
 */
import type { EndpointResult } from '../scan/endpoint-result.ts';
import { assessEndpoint, type EndpointAssessment, type Knowledge } from './assess.ts';
import { assessInputFromEndpoint, assessInputFromWebEndpoint, type AssessInput, type RetrieveFacts } from './input.ts';

export function assessInputOf(r: EndpointResult): AssessInput {
  if (r.web) {
    // A web face: its own facts, with the exposure levels the scan derived from them (src/scan/web-result.ts).
    const cert = r.web.tls?.certificate ?? null;
    return {
      ...assessInputFromWebEndpoint(r.web),
      exposure: { level: r.exposure, levels: [...r.exposureLevels] },
      transport: {
        tls: r.web.tls !== null,
        protocol: r.web.tls?.protocol ?? null,
        cipher: r.web.tls?.cipher ?? null,
        authorized: r.web.tls ? r.web.tls.authorized : null,
        selfSigned: cert ? cert.selfSigned : null,
        expired: cert ? cert.expired : null,
      },
    };
  }
  const retrieve: RetrieveFacts | null = r.retrieve
    ? {
        get: r.retrieve.get
          ? {
              instanceReceived: r.retrieve.get.meaning === 'retrieved',
              instanceBytes: r.retrieve.get.instanceBytes,
              meaning: r.retrieve.get.meaning,
            }
          : null,
        move: r.retrieve.move ? { meaning: r.retrieve.move.meaning } : null,
      }
    : null;
  return assessInputFromEndpoint(r, retrieve ? { retrieve } : {});
}

export function assessEndpointResult(r: EndpointResult, knowledge?: Knowledge): EndpointAssessment {
  return assessEndpoint(assessInputOf(r), knowledge);
}

/** The store's key of a finding: one row per catalogue entry, one per CVE for version findings. */
export function findingKey(f: { readonly id: string; readonly cve?: { readonly id: string } }): string {
  return f.cve ? `${f.id}:${f.cve.id}` : f.id;
}
