/**
 * Runs the DICOM probes against one endpoint, over one association (polite: one association per
 * host at a time, released right after the last request), and folds the observations into the
 * endpoint's result.
 */
import { DimseChannel } from '../protocol/dimse/channel.ts';
import type { Status } from '../protocol/status.ts';
import { identifyProduct } from '../knowledge/fingerprints.ts';
import type { DicomIdentity, Endpoint, Observation, ProbeContext } from '../probes/probe.ts';
import { probeAssociate, type AssociateFacts } from '../probes/dicom/associate.ts';
import { probeEcho, type EchoFacts } from '../probes/dicom/echo.ts';
import { probeQueryCount, type QueryFacts } from '../probes/dicom/query-count.ts';
import { probePhiCategories, type PhiFacts } from '../probes/dicom/phi-sample.ts';
import { servicesOffered } from '../probes/dicom/proposal.ts';
import { safe } from '../log/safe-text.ts';
import { exposureLevels, worstExposure } from './exposure.ts';
import { rejectMeaning, type EndpointResult } from './endpoint-result.ts';

export interface EndpointScan {
  readonly result: EndpointResult;
  readonly associate: Observation<AssociateFacts>;
}

export async function scanEndpoint(ctx: ProbeContext, ep: Endpoint, identity: DicomIdentity): Promise<EndpointScan> {
  const observations: Observation<unknown>[] = [];
  // Each probe is audited as soon as it ends, so a killed scan still leaves a complete trail.
  const note = <T extends Observation<unknown>>(o: T): T => {
    observations.push(o);
    ctx.audit.record({
      time: o.startedAt,
      scanId: safe(ctx.scanId),
      host: safe(ep.host),
      port: ep.port,
      probe: safe(o.probe),
      status: safe(o.status),
      durationMs: o.durationMs,
      callingAe: safe(identity.callingAe),
      calledAe: safe(identity.calledAe),
    });
    return o;
  };
  const { observation, association } = await probeAssociate(ctx, ep, identity);
  const assoc = note(observation);
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
  return { result: buildResult(ep, identity, assoc, echo, query, phi, observations), associate: assoc };
}

function buildResult(
  ep: Endpoint,
  identity: DicomIdentity,
  assoc: Observation<AssociateFacts>,
  echo: Observation<EchoFacts> | null,
  query: Observation<QueryFacts> | null,
  phi: Observation<PhiFacts> | null,
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
      abort: a?.abort ?? null,
      acceptor: a?.acceptor
        ? { calledAe: a.acceptor.calledAe, callingAe: a.acceptor.callingAe, maxPduLength: a.acceptor.maxPduLength }
        : null,
      contexts: a?.contexts ?? [],
      timings: a?.timings ?? { connectMs: null, acseMs: null },
    },
    tls: a?.tls ?? null,
    echo: echo?.facts?.success ?? false,
    query: {
      allowed: q?.allowed ?? false,
      patients: q?.patients ?? null,
      studies: q?.studies ?? null,
      instances: q?.instances ?? null,
      instancesEstimated: q?.instancesEstimated ?? false,
      capped: q?.capped ?? false,
      phiCategories: phi?.facts?.categories ?? [],
    },
    services,
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
