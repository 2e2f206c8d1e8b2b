/**
 * A flat, typed view of a stored endpoint result (docs/scan-json.md `endpoints[]`) for tables and
 * CSV. The stored document comes from the engine and grows over time (findings, risk, web facts),
 * so every field is read defensively: a missing or mistyped field becomes null, never an exception.
 */
import type { EndpointRecord, FindingRecord } from '../store/repository.ts';

export interface EndpointView {
  readonly host: string;
  readonly port: number;
  readonly facilityId: string | null;
  readonly service: string | null;
  readonly status: string;
  readonly exposure: string;
  readonly product: string | null;
  readonly productVersion: string | null;
  readonly implementationClassUid: string | null;
  readonly implementationVersionName: string | null;
  /** true over TLS, false plaintext, null unknown. */
  readonly tls: boolean | null;
  readonly echo: boolean | null;
  readonly queryAllowed: boolean | null;
  readonly patients: number | null;
  readonly studies: number | null;
  readonly instances: number | null;
  readonly instancesEstimated: boolean | null;
  readonly capped: boolean | null;
  readonly phiCategories: readonly string[];
  /** DIMSE services offered to a stranger (echo, find, move, get, store), in that order. */
  readonly services: readonly string[];
  /** Number of findings; null when the scan was not assessed (no finding anywhere). */
  readonly findings: number | null;
  /** Risk score when the result carries one (`risk`, `risk.score`, `riskScore` or `assessment.score`). */
  readonly risk: number | null;
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null;
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function count(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function bool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

const DIMSE_SERVICES = ['echo', 'find', 'move', 'get', 'store'] as const;

/** The risk score a result carries, under any of the shapes assessment may give it. */
export function riskScore(result: unknown): number | null {
  const r = obj(result);
  if (!r) return null;
  return (
    count(r['risk']) ??
    count(obj(r['risk'])?.['score']) ??
    count(r['riskScore']) ??
    count(obj(r['assessment'])?.['score'])
  );
}

/**
 * `findings` are the finding records of this endpoint when the scan has any (null when it has
 * none); a result that carries its own `findings` (or `assessment.findings`) array is counted
 * when the store has none for it.
 */
export function endpointView(rec: EndpointRecord, findings: readonly FindingRecord[] | null): EndpointView {
  const r = obj(rec.result) ?? {};
  const impl = obj(r['implementation']);
  const product = obj(r['product']);
  const query = obj(r['query']);
  const services = obj(r['services']);
  const own = Array.isArray(r['findings']) ? r['findings'] : obj(r['assessment'])?.['findings'];
  const ownFindings = Array.isArray(own) ? own.length : null;
  const tls = 'tls' in r ? r['tls'] !== null && r['tls'] !== undefined && r['tls'] !== false : null;
  return {
    host: rec.host,
    port: rec.port,
    facilityId: rec.facilityId,
    service: rec.service ?? text(r['service']),
    status: rec.status,
    exposure: rec.exposure,
    product: text(product?.['name']),
    productVersion: text(product?.['version']),
    implementationClassUid: text(impl?.['classUid']),
    implementationVersionName: text(impl?.['versionName']),
    tls,
    echo: bool(r['echo']),
    queryAllowed: bool(query?.['allowed']),
    patients: count(query?.['patients']),
    studies: count(query?.['studies']),
    instances: count(query?.['instances']),
    instancesEstimated: bool(query?.['instancesEstimated']),
    capped: bool(query?.['capped']),
    phiCategories: strings(query?.['phiCategories']),
    services: services ? DIMSE_SERVICES.filter((s) => services[s] === true) : [],
    findings: findings && findings.length > 0 ? findings.length : (ownFindings ?? (findings ? 0 : null)),
    risk: riskScore(rec.result),
  };
}
