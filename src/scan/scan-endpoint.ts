/**
 * Runs the DICOM probes against one endpoint, over one association (polite: one association per
 * host at a time, released right after the last request), and folds the observations into the
 * endpoint's result. When the association is refused for an unknown called (1/7) or calling (1/3)
 * AE title, AE-title discovery guesses product defaults first, and the probes run with the
 * identity that was accepted.
 */
import { DimseChannel } from '../protocol/dimse/channel.ts';
import type { Status } from '../protocol/status.ts';
import { identifyProduct } from '../knowledge/fingerprints.ts';
import { auditProbe, type DicomIdentity, type Endpoint, type Observation, type ProbeContext } from '../probes/probe.ts';
import { probeAssociate, type AssociateFacts } from '../probes/dicom/associate.ts';
import { probeEcho, type EchoFacts } from '../probes/dicom/echo.ts';
import { probeQueryCount, type QueryFacts } from '../probes/dicom/query-count.ts';
import { probePhiCategories, type PhiFacts } from '../probes/dicom/phi-sample.ts';
import { discoverAeTitles, discoverable, type AeDiscoveryFacts } from '../probes/dicom/ae-discovery.ts';
import { servicesOffered } from '../probes/dicom/proposal.ts';
import { probeRetrieve, type RetrieveFacts } from '../probes/dicom/retrieve.ts';
import { exposureLevels, worstExposure } from './exposure.ts';
import { rejectMeaning, type EndpointResult, type RejectSummary } from './endpoint-result.ts';

export interface EndpointScan {
  readonly result: EndpointResult;
  /** The first association request (with the configured AE titles). */
  readonly associate: Observation<AssociateFacts>;
  /** AE-title discovery, when it ran. */
  readonly aeDiscovery: Observation<AeDiscoveryFacts> | null;
}

export interface AeDiscoverySettings {
  readonly enabled: boolean;
  /** Association requests discovery may make per endpoint (clamped to 0..64). */
  readonly maxAttempts: number;
  /** Least time between two association requests to one host, ms (at least 100). */
  readonly paceMs: number;
  /** A product known from elsewhere: its default titles are tried first. */
  readonly productHint?: string | null;
  readonly signal?: AbortSignal;
  /** Also guess calling AE titles (we then present another device's title): opt-in. */
  readonly guessCalling?: boolean;
}

export interface ScanEndpointOptions {
  readonly aeDiscovery?: Partial<AeDiscoverySettings>;
  /**
   * `negotiate` (default): services are judged from the association's negotiation alone.
   * `retrieve` (opt-in, intrusive): one instance is pulled by C-GET into memory and dropped, and a
   * C-MOVE to an unknown destination is attempted (src/probes/dicom/retrieve.ts, docs/retrieve.md).
   */
  readonly depth?: 'negotiate' | 'retrieve';
  /** Largest instance the retrieval proof accepts (bytes). */
  readonly maxInstanceBytes?: number;
}

/** ≤ 16 guesses per endpoint (every bundled title fits), 200 ms apart: ≤ ~3.5 s per refusing endpoint. */
export const DEFAULT_AE_DISCOVERY: AeDiscoverySettings = { enabled: true, maxAttempts: 16, paceMs: 200 };

export async function scanEndpoint(
  ctx: ProbeContext,
  ep: Endpoint,
  identity: DicomIdentity,
  options: ScanEndpointOptions = {},
): Promise<EndpointScan> {
  const discovery = { ...DEFAULT_AE_DISCOVERY, ...options.aeDiscovery };
  const observations: Observation<unknown>[] = [];
  let used: DicomIdentity = identity;
  // Each probe is audited as soon as it ends, so a killed scan still leaves a complete trail.
  const note = <T extends Observation<unknown>>(o: T): T => {
    observations.push(o);
    auditProbe(ctx, ep, o, used);
    return o;
  };
  const first = await probeAssociate(ctx, ep, identity);
  const firstAssoc = note(first.observation);
  let assoc = firstAssoc;
  let association = first.association;
  let found: Observation<AeDiscoveryFacts> | null = null;
  const rj = firstAssoc.facts?.reject ?? null;
  if (!association && discovery.enabled && discoverable(rj)) {
    const outcome = await discoverAeTitles(ctx, ep, identity, rj!, {
      maxAttempts: discovery.maxAttempts,
      paceMs: discovery.paceMs,
      productHint: discovery.productHint ?? null,
      guessCalling: discovery.guessCalling === true,
      ...(discovery.signal ? { signal: discovery.signal } : {}),
    });
    // Each attempt was audited by discovery itself; the summary joins the observations only.
    found = outcome.observation;
    observations.push(found);
    if (outcome.accepted) {
      used = outcome.accepted.identity;
      assoc = outcome.accepted.associate;
      association = outcome.accepted.association;
    }
  }
  let echo: Observation<EchoFacts> | null = null;
  let query: Observation<QueryFacts> | null = null;
  let phi: Observation<PhiFacts> | null = null;
  const answers = assoc.facts?.contexts ?? [];
  if (association) {
    const channel = new DimseChannel(association);
    try {
      echo = note(await probeEcho(ctx, channel, answers));
      if (association.isOpen) query = note(await probeQueryCount(ctx, channel, answers));
      if (association.isOpen && query?.facts?.allowed) phi = note(await probePhiCategories(ctx, channel, answers));
    } finally {
      await association.release();
    }
  }
  let retrieve: Observation<RetrieveFacts> | null = null;
  const offered = servicesOffered(answers);
  if (options.depth === 'retrieve' && assoc.facts?.accepted && (offered.get || offered.move)) {
    retrieve = note(
      await probeRetrieve(
        ctx,
        ep,
        used,
        options.maxInstanceBytes === undefined ? {} : { maxInstanceBytes: options.maxInstanceBytes },
      ),
    );
  }
  const firstReject: RejectSummary | null = rj ? { ...rj, meaning: rejectMeaning(rj.source, rj.reason) } : null;
  return {
    result: buildResult(ep, used, assoc, firstReject, found, echo, query, phi, retrieve, observations),
    associate: firstAssoc,
    aeDiscovery: found,
  };
}

function buildResult(
  ep: Endpoint,
  identity: DicomIdentity,
  assoc: Observation<AssociateFacts>,
  firstReject: RejectSummary | null,
  discovery: Observation<AeDiscoveryFacts> | null,
  echo: Observation<EchoFacts> | null,
  query: Observation<QueryFacts> | null,
  phi: Observation<PhiFacts> | null,
  retrieve: Observation<RetrieveFacts> | null,
  observations: readonly Observation<unknown>[],
): EndpointResult {
  const a = assoc.facts;
  const spokeDicom = a?.spokeDicom ?? false;
  const services = servicesOffered(a?.contexts ?? []);
  const q = query?.facts ?? null;
  const implementation = {
    classUid: a?.acceptor?.implementationClassUid ?? null,
    versionName: a?.acceptor?.implementationVersionName ?? null,
  };
  const product = identifyProduct({
    classUid: implementation.classUid ?? undefined,
    versionName: implementation.versionName ?? undefined,
  });
  const levels = exposureLevels({
    spokeDicom,
    associationAccepted: a?.accepted ?? false,
    queryAllowed: q?.allowed ?? false,
    storeOffered: services.store,
    getOffered: services.get,
    retrieveProven: retrieve ? retrievalProven(retrieve.facts) : null,
  });
  // The endpoint's status is that of the first probe that did not complete.
  const firstFailure = observations.find((o) => o.status !== 'success');
  const status: Status = firstFailure?.status ?? 'success';
  return {
    host: ep.host,
    port: ep.port,
    status,
    service: spokeDicom ? (ep.tls ? 'dicom-tls' : 'dicom') : null,
    implementation,
    product: product
      ? {
          name: product.name,
          version: product.version,
          confidence: product.confidence,
          ambiguousWith: product.ambiguousWith,
        }
      : null,
    association: {
      accepted: a?.accepted ?? false,
      calledAe: identity.calledAe,
      callingAe: identity.callingAe,
      reject: a?.reject ? { ...a.reject, meaning: rejectMeaning(a.reject.source, a.reject.reason) } : null,
      firstReject,
      abort: a?.abort ?? null,
      acceptor: a?.acceptor
        ? { calledAe: a.acceptor.calledAe, callingAe: a.acceptor.callingAe, maxPduLength: a.acceptor.maxPduLength }
        : null,
      contexts: a?.contexts ?? [],
      timings: a?.timings ?? { connectMs: null, acseMs: null },
    },
    tls: a?.tls ?? null,
    aeDiscovery: discovery ? summariseDiscovery(discovery) : null,
    echo: echo?.facts?.success ?? false,
    query: {
      allowed: q?.allowed ?? false,
      patients: q?.patients ?? null,
      studies: q?.studies ?? null,
      instances: q?.instances ?? null,
      instancesEstimated: q?.instancesEstimated ?? false,
      capped: q?.capped ?? false,
      phiCategories: phi?.facts?.categories ?? [],
      capDetected: q?.capDetected ?? null,
      queries: q?.queries ?? 0,
      partitions: q?.partitions ?? 0,
      lowerBoundReasons: q?.lowerBoundReasons ?? [],
    },
    services,
    retrieve: retrieve ? summariseRetrieve(retrieve.facts) : null,
    web: null,
    exposure: worstExposure(levels),
    exposureLevels: levels,
    observations: observations.map((o) => ({
      probe: o.probe,
      status: o.status,
      startedAt: o.startedAt,
      durationMs: o.durationMs,
      detail: o.detail,
    })),
  };
}

function summariseDiscovery(o: Observation<AeDiscoveryFacts>): NonNullable<EndpointResult['aeDiscovery']> {
  const f = o.facts;
  const accepted =
    f?.acceptedCalledAe != null && f.acceptedCallingAe != null
      ? { calledAe: f.acceptedCalledAe, callingAe: f.acceptedCallingAe }
      : null;
  return {
    attempted: (f?.attempts ?? 0) > 0,
    attempts: f?.attempts ?? 0,
    accepted,
    guessed: accepted !== null,
    recognisedCalledAe: f?.recognisedCalledAe ?? null,
    stoppedBecause: f?.stoppedBecause ?? o.status,
  };
}

/** Images left the archive: an instance came back by C-GET, or the archive tried a C-MOVE to a stranger's destination. */
function retrievalProven(f: RetrieveFacts | null): boolean {
  return f?.get?.meaning === 'retrieved' || f?.move?.meaning === 'attempted';
}

function summariseRetrieve(f: RetrieveFacts | null): NonNullable<EndpointResult['retrieve']> {
  return {
    proven: retrievalProven(f),
    associations: f?.associations ?? 0,
    get: f?.get
      ? {
          meaning: f.get.meaning,
          status: f.get.status,
          instanceBytes: f.get.instanceBytes,
          isDicom: f.get.isDicom,
          sopClass: f.get.sopClass,
        }
      : null,
    move: f?.move ? { meaning: f.move.meaning, status: f.move.finalStatus } : null,
  };
}
