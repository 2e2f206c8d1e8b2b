/**
 * The ground truth of a lab fleet: for every endpoint, what it is (service, product, AE policy,
 * services, archive) and what a scanner should conclude — for a stranger using pacsmap's default
 * identity, and for someone using AE titles that work.
 *
 * Computed from the endpoint's behaviour only, never with the scanner's code (a truth that reused
 * src/scan would agree with its bugs). The exposure levels follow DESIGN.md and the brief:
 * retrievable = query allowed and C-GET accepted; queryable = query allowed; writable = C-STORE
 * accepted; associable = association accepted; identified = speaks DICOM but refuses.
 */
import type { Exposure, ExposureLevel } from '../scan/exposure.ts';
import { PHI_CATEGORIES } from '../privacy/phi-categories.ts';
import type { EndpointKind, Facility, Fleet, FleetEndpoint } from './fleet.ts';
import type { DicomBehaviour } from './types.ts';

/** pacsmap's default identity (src/cli/scan-command.ts): who "a stranger" is in the ground truth. */
export const STRANGER = { calledAe: 'ANY-SCP', callingAe: 'PACSMAP' } as const;

export interface AeIdentity {
  readonly calledAe: string;
  readonly callingAe: string;
}

export interface Expectation {
  readonly identity: AeIdentity;
  readonly accepted: boolean;
  /** The RJ a real server of this kind answers, when it refuses. */
  readonly reject: { readonly result: number; readonly source: number; readonly reason: number } | null;
  /** Services negotiated (only when accepted). */
  readonly services: {
    readonly echo: boolean;
    readonly find: boolean;
    readonly move: boolean;
    readonly get: boolean;
    readonly store: boolean;
  };
  readonly query: {
    /** Study metadata can be read by this identity (by some sequence of C-FINDs). */
    readonly allowed: boolean;
    /** What a stranger's queries can count: distinct patients, studies, instances of the whole archive (a result limit is partitioned past). */
    readonly patients: number | null;
    readonly studies: number | null;
    readonly instances: number | null;
    /** The counts are lower bounds (never, while the scanner can partition past every limit the lab sets). */
    readonly capped: boolean;
    /** Categories of personal data in its study-level answers (src/knowledge/phi-categories.json ids). */
    readonly phiCategories: readonly string[];
  };
  readonly exposureLevels: readonly ExposureLevel[];
  readonly exposure: Exposure;
}

export interface TruthEndpoint {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Port asked for in the fleet, when it had to be moved (a privileged port without the right to bind it). */
  readonly plannedPort?: number | undefined;
  readonly facilityId: string;
  readonly kind: EndpointKind;
  /** What a scanner should report as the service: null for closed ports, HTTP and tarpits. */
  readonly service: 'dicom' | 'dicom-tls' | null;
  readonly archetype: string | null;
  readonly description: string | null;
  readonly product: {
    readonly id: string;
    readonly simulates: string;
    readonly implementationClassUid: string | null;
    readonly implementationVersionName: string | null;
    /** What pacsmap's fingerprints are documented to answer for these values. */
    readonly expectedName: string;
    readonly expectedVersion: string | null;
  } | null;
  readonly aePolicy: {
    readonly aeTitle: string;
    readonly checkCalledAe: boolean;
    readonly callingAllowList: readonly string[] | null;
  } | null;
  /** A called/calling pair the endpoint accepts. */
  readonly workingAe: AeIdentity | null;
  readonly services: {
    readonly echo: boolean;
    readonly find: boolean;
    readonly studyRoot: boolean;
    readonly patientRoot: boolean;
    readonly hierarchicalSearch: boolean;
    readonly findRefusedWithStatus: number | null;
    readonly findLimit: number | null;
    readonly instanceCounts: 'always' | 'never' | 'sometimes';
    readonly move: boolean;
    readonly get: boolean;
    readonly store: boolean;
  } | null;
  /** Everything in the synthetic archive (fake patients). */
  readonly archive: {
    readonly patients: number;
    readonly studies: number;
    readonly series: number;
    readonly instances: number;
  } | null;
  readonly tls: { readonly certificateFingerprint256: string; readonly selfSigned: true } | null;
  readonly stranger: Expectation;
  readonly withWorkingAe: Expectation | null;
}

export interface GroundTruth {
  readonly version: 1;
  readonly generator: 'pacsmap lab';
  /** 'ready' once every listener is bound; 'stopped' after `lab down`. */
  readonly status: 'starting' | 'ready' | 'stopped';
  readonly pid: number;
  readonly startedAt: string;
  readonly seed: string;
  readonly hosts: number;
  readonly subnet: string;
  readonly latencyMs: number;
  readonly ports: readonly number[];
  readonly stranger: AeIdentity;
  readonly notice: string;
  readonly summary: LabSummary;
  readonly facilities: readonly Facility[];
  readonly endpoints: readonly TruthEndpoint[];
}

export interface LabSummary {
  readonly hosts: number;
  readonly facilities: number;
  readonly regions: number;
  readonly endpoints: number;
  readonly byKind: Readonly<Record<EndpointKind, number>>;
  readonly strangerExposure: Readonly<Record<Exposure, number>>;
  readonly archive: { readonly patients: number; readonly studies: number; readonly instances: number };
}

const NONE_SERVICES = { echo: false, find: false, move: false, get: false, store: false } as const;

function levelsOf(e: {
  spoke: boolean;
  accepted: boolean;
  query: boolean;
  get: boolean;
  store: boolean;
}): ExposureLevel[] {
  const out: ExposureLevel[] = [];
  if (e.accepted && e.query && e.get) out.push('retrievable');
  if (e.accepted && e.query) out.push('queryable');
  if (e.accepted && e.store) out.push('writable');
  if (e.accepted) out.push('associable');
  if (e.spoke) out.push('identified');
  return out;
}

const ORDER: readonly ExposureLevel[] = ['retrievable', 'queryable', 'writable', 'associable', 'identified'];

function worst(levels: readonly ExposureLevel[]): Exposure {
  return ORDER.find((l) => levels.includes(l)) ?? 'none';
}

/** The AE check a lab endpoint applies (same order as the acceptor). */
export function rejectFor(
  b: DicomBehaviour,
  id: AeIdentity,
): { result: number; source: number; reason: number } | null {
  if (b.ae.checkCalled && id.calledAe !== b.ae.aeTitle) return { result: 1, source: 1, reason: 7 };
  if (b.ae.callingAllowList !== null && !b.ae.callingAllowList.includes(id.callingAe))
    return { result: 1, source: 1, reason: 3 };
  return null;
}

export function workingAe(b: DicomBehaviour): AeIdentity {
  return {
    calledAe: b.ae.checkCalled ? b.ae.aeTitle : STRANGER.calledAe,
    callingAe: b.ae.callingAllowList?.[0] ?? STRANGER.callingAe,
  };
}

function phiCategories(b: DicomBehaviour): string[] {
  return PHI_CATEGORIES.filter((c) =>
    c.keywords.some((k) => !b.omitKeywords.includes(k) && k !== 'OtherPatientIDs'),
  ).map((c) => c.id);
}

export function expectation(b: DicomBehaviour | null, id: AeIdentity): Expectation {
  if (b === null) {
    return {
      identity: id,
      accepted: false,
      reject: null,
      services: NONE_SERVICES,
      query: { allowed: false, patients: null, studies: null, instances: null, capped: false, phiCategories: [] },
      exposureLevels: [],
      exposure: 'none',
    };
  }
  const reject = rejectFor(b, id);
  const accepted = reject === null;
  const find = b.find;
  const services = accepted
    ? {
        echo: b.echo,
        find: find !== null,
        move: b.move,
        get: b.get,
        store: b.store,
      }
    : NONE_SERVICES;
  const queryAllowed = accepted && find !== null && find.refuseStatus === null && b.archive !== null;
  // pacsmap partitions its count past a server's result limit (src/probes/dicom/partition.ts),
  // so the truth is the whole archive whatever the limit.
  const visible = queryAllowed && b.archive ? b.archive.visible(null) : null;
  const levels = levelsOf({ spoke: true, accepted, query: queryAllowed, get: services.get, store: services.store });
  return {
    identity: id,
    accepted,
    reject,
    services,
    query: {
      allowed: queryAllowed,
      patients: visible?.patients ?? null,
      studies: visible?.studies ?? null,
      instances: visible?.instances ?? null,
      capped: visible?.capped ?? false,
      phiCategories: queryAllowed && visible && visible.studies > 0 ? phiCategories(b) : [],
    },
    exposureLevels: levels,
    exposure: worst(levels),
  };
}

export interface TruthInputs {
  readonly fleet: Fleet;
  readonly status: GroundTruth['status'];
  readonly pid: number;
  readonly startedAt: string;
  readonly latencyMs: number;
  /** Bound port of each endpoint (by index), when it differs from the planned one. */
  readonly boundPorts?: ReadonlyMap<number, number> | undefined;
  readonly certificateFingerprint256: string | null;
  readonly descriptions: (archetypeId: string) => string;
}

export function truthEndpoint(ep: FleetEndpoint, inputs: TruthInputs): TruthEndpoint {
  const b = ep.behaviour;
  const port = inputs.boundPorts?.get(ep.index) ?? ep.port;
  const service = ep.kind === 'dicom' || ep.kind === 'dicom-tls' ? ep.kind : null;
  const working = b ? workingAe(b) : null;
  const needsAe = b !== null && rejectFor(b, STRANGER) !== null;
  return {
    id: `${ep.host}:${port}`,
    host: ep.host,
    port,
    ...(port !== ep.port ? { plannedPort: ep.port } : {}),
    facilityId: ep.facilityId,
    kind: ep.kind,
    service,
    archetype: ep.archetype,
    description: ep.archetype ? inputs.descriptions(ep.archetype) : null,
    product: b
      ? {
          id: b.product.id,
          simulates: b.product.simulates,
          implementationClassUid: b.identity.classUid,
          implementationVersionName: b.identity.versionName,
          expectedName: b.identity.expected.name,
          expectedVersion: b.identity.expected.version,
        }
      : null,
    aePolicy: b
      ? { aeTitle: b.ae.aeTitle, checkCalledAe: b.ae.checkCalled, callingAllowList: b.ae.callingAllowList }
      : null,
    workingAe: working,
    services: b
      ? {
          echo: b.echo,
          find: b.find !== null,
          studyRoot: b.find?.studyRoot ?? false,
          patientRoot: b.find?.patientRoot ?? false,
          hierarchicalSearch: b.find?.hierarchical ?? false,
          findRefusedWithStatus: b.find?.refuseStatus ?? null,
          findLimit: b.find?.limit ?? null,
          instanceCounts: b.archive?.counts ?? 'never',
          move: b.move,
          get: b.get,
          store: b.store,
        }
      : null,
    archive: b?.archive ? { ...b.archive.totals } : null,
    tls:
      ep.kind === 'dicom-tls' && inputs.certificateFingerprint256
        ? { certificateFingerprint256: inputs.certificateFingerprint256, selfSigned: true }
        : null,
    stranger: expectation(b, STRANGER),
    withWorkingAe: b && needsAe && working ? expectation(b, working) : null,
  };
}

export function buildGroundTruth(inputs: TruthInputs): GroundTruth {
  const { fleet } = inputs;
  const endpoints = fleet.endpoints.map((ep) => truthEndpoint(ep, inputs));
  return {
    version: 1,
    generator: 'pacsmap lab',
    status: inputs.status,
    pid: inputs.pid,
    startedAt: inputs.startedAt,
    seed: fleet.seed,
    hosts: fleet.hosts,
    subnet: fleet.subnet,
    latencyMs: inputs.latencyMs,
    ports: [...new Set(endpoints.map((e) => e.port))].sort((a, b) => a - b),
    stranger: STRANGER,
    notice:
      'Simulated endpoints on loopback addresses. Every patient, study and facility here is fictional; the values are canaries that pacsmap must never print or store.',
    summary: summarize(fleet, endpoints),
    facilities: fleet.facilities,
    endpoints,
  };
}

export function summarize(fleet: Fleet, endpoints: readonly TruthEndpoint[]): LabSummary {
  const byKind: Record<EndpointKind, number> = { dicom: 0, 'dicom-tls': 0, http: 0, tarpit: 0, closed: 0 };
  const strangerExposure: Record<Exposure, number> = {
    retrievable: 0,
    queryable: 0,
    writable: 0,
    associable: 0,
    identified: 0,
    none: 0,
  };
  const archive = { patients: 0, studies: 0, instances: 0 };
  for (const e of endpoints) {
    byKind[e.kind]++;
    if (e.kind !== 'closed') strangerExposure[e.stranger.exposure]++;
    if (e.archive) {
      archive.patients += e.archive.patients;
      archive.studies += e.archive.studies;
      archive.instances += e.archive.instances;
    }
  }
  return {
    hosts: fleet.hosts,
    facilities: fleet.facilities.length,
    regions: new Set(fleet.facilities.map((f) => f.region)).size,
    endpoints: endpoints.length,
    byKind,
    strangerExposure,
    archive,
  };
}
