/**
 * What the store keeps of one endpoint: its result document with the assessment, the figures the
 * store aggregates, and one finding row per catalogue entry (per CVE for version findings).
 */
import { assessEndpointResult, findingKey } from '../assess/from-result.ts';
import type { EndpointAssessment } from '../assess/assess.ts';
import { countryOfAddress } from '../report/geo.ts';
import type { Facility } from '../facilities/registry.ts';
import type { EndpointFigures, EndpointRecord, FacilityRecord, FindingRecord } from '../store/repository.ts';
import type { EndpointResult } from './endpoint-result.ts';
import { isExposed } from './exposure.ts';

export interface EndpointKey {
  readonly address: string;
  readonly port: number;
  /** The name the address was listed under, when it came from one. */
  readonly hostname: string | null;
}

export function assessedRecords(
  scanId: string,
  key: EndpointKey,
  result: EndpointResult,
  facilityId: string | null,
): { readonly endpoint: EndpointRecord; readonly findings: FindingRecord[]; readonly assessment: EndpointAssessment } {
  const assessment = assessEndpointResult(result);
  const findings = assessment.findings.map((f): FindingRecord => ({
    scanId,
    host: key.address,
    port: key.port,
    findingId: findingKey(f),
    severity: f.severity,
    evidence: { finding: f.id, ...(f.cve ? { cve: f.cve.id } : {}), facts: f.evidence },
  }));
  return { endpoint: endpointRecord(scanId, key, result, assessment, facilityId), findings, assessment };
}

function endpointRecord(
  scanId: string,
  unit: EndpointKey,
  result: EndpointResult,
  assessment: EndpointAssessment,
  facilityId: string | null,
): EndpointRecord {
  // The stored document: the result, its host name when it came from one, and the assessment
  // (score and reasons; the findings themselves are rows of their own).
  const doc = {
    ...result,
    ...(unit.hostname ? { hostname: unit.hostname } : {}),
    assessment: {
      score: assessment.score,
      reasons: assessment.reasons,
      countsAsExposure: assessment.countsAsExposure,
      patientsExposed: assessment.patientsExposed,
      honeypot: assessment.honeypot,
      findings: assessment.findings.map((f) => ({ id: findingKey(f), severity: f.severity })),
      notes: assessment.notes,
    },
  };
  return {
    scanId,
    host: unit.address,
    port: unit.port,
    transport:
      result.service === 'dicom-tls' || result.service === 'https'
        ? 'tls'
        : result.service === 'dicom' || result.service === 'http'
          ? 'plaintext'
          : 'tcp',
    status: result.status,
    service: result.service,
    exposure: result.exposure,
    facilityId,
    result: doc,
    figures: endpointFigures(unit, result, assessment, facilityId),
  };
}

/** The figures the store aggregates (migration 0003): counts only where records are exposed. */
function endpointFigures(
  unit: EndpointKey,
  result: EndpointResult,
  assessment: EndpointAssessment,
  facilityId: string | null,
): EndpointFigures {
  const q = result.query;
  // A suspected honeypot's records are not patient exposure.
  const counted = q.allowed && assessment.countsAsExposure;
  return {
    exposed: isExposed(result.exposure) && assessment.countsAsExposure,
    honeypot: !assessment.countsAsExposure,
    patients: counted ? (q.patients ?? 0) : null,
    studies: counted ? (q.studies ?? 0) : null,
    instances: counted ? q.instances : null,
    countsCapped: counted && q.capped,
    phiCategories: counted ? q.phiCategories.filter((c) => c !== '' && !c.includes(',')) : [],
    riskScore: assessment.score,
    // The facility's own country comes through the store's join; GeoIP only outside the registry.
    country: facilityId === null ? countryOfAddress(unit.address) : null,
  };
}

/** A registry facility as the store keeps it: its ranges and host names as listed. */
export function facilityRecord(f: Facility): FacilityRecord {
  return {
    id: f.id,
    name: f.name,
    region: f.region,
    country: f.country,
    contactEmail: f.contact,
    ranges: [...f.ranges.map((r) => r.spec), ...f.hosts.map((h) => h.name)],
    latitude: f.lat,
    longitude: f.lon,
  };
}
