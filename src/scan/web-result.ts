/**
 * An endpoint that answered HTTP(S) as a PACS web face, in the endpoint contract
 * (docs/scan-json.md): figures from Orthanc's REST API or DICOMweb, and exposure levels by what
 * an unauthenticated stranger (or the product's documented default login) can do there:
 *
 * - Orthanc's REST API open (or open with its default login): it serves every instance
 *   (`/instances/{id}/file`) and accepts uploads (`POST /instances`): retrievable, queryable, writable.
 * - WADO-URI answering without authentication: retrievable.
 * - DICOMweb QIDO-RS answering without authentication: queryable.
 * - A PACS viewer served without a login: associable (the application lets a stranger in).
 * - A PACS web face demanding authentication: identified.
 */
import type { WebEndpointResult } from '../probes/web/scan-web-endpoint.ts';
import type { DicomIdentity } from '../probes/probe.ts';
import type { EndpointResult } from './endpoint-result.ts';
import { worstExposure, type ExposureLevel } from './exposure.ts';

export function webExposureLevels(w: WebEndpointResult): ExposureLevel[] {
  const hints = new Set(w.exposure);
  const restOpen = hints.has('orthanc-rest-unauthenticated') || w.defaultCredentials.worked !== null;
  const qido = hints.has('dicomweb-unauthenticated');
  const wado = hints.has('wado-uri-unauthenticated');
  const viewer = hints.has('viewer-unauthenticated');
  const pacsFace = restOpen || qido || wado || viewer || hints.has('authentication-required') || w.product !== null;
  const levels: ExposureLevel[] = [];
  if (restOpen || wado) levels.push('retrievable');
  if (restOpen || qido) levels.push('queryable');
  if (restOpen) levels.push('writable');
  if (restOpen || qido || wado || viewer) levels.push('associable');
  if (pacsFace) levels.push('identified');
  return levels;
}

export function endpointFromWeb(w: WebEndpointResult, identity: DicomIdentity): EndpointResult {
  const counts = w.orthancRest?.counts ?? w.defaultCredentials.orthancRest?.counts ?? null;
  const levels = webExposureLevels(w);
  const queryAllowed = levels.includes('queryable');
  return {
    host: w.host,
    port: w.port,
    status: w.status,
    service: w.service,
    implementation: { classUid: null, versionName: null },
    product: w.product
      ? { name: w.product.name, version: w.product.version, confidence: w.product.source, ambiguousWith: [] }
      : null,
    association: {
      accepted: false,
      calledAe: identity.calledAe,
      callingAe: identity.callingAe,
      reject: null,
      firstReject: null,
      abort: null,
      acceptor: null,
      contexts: [],
      timings: { connectMs: null, acseMs: null },
    },
    tls: w.tls,
    aeDiscovery: null,
    echo: false,
    query: {
      allowed: queryAllowed,
      patients: queryAllowed ? (counts?.patients ?? null) : null,
      studies: queryAllowed ? (counts?.studies ?? w.dicomweb?.studies ?? null) : null,
      instances: queryAllowed ? (counts?.instances ?? null) : null,
      instancesEstimated: false,
      capped: counts === null && (w.dicomweb?.capped ?? false),
      phiCategories: w.dicomweb?.phiCategories ?? [],
      capDetected: null,
      queries: 0,
      partitions: 0,
      lowerBoundReasons: [],
    },
    services: { echo: false, find: false, move: false, get: false, store: false, storageClasses: [] },
    retrieve: null,
    web: w,
    exposure: worstExposure(levels),
    exposureLevels: levels,
    observations: w.observations,
  };
}
