/**
 * AssessInput: the normalised facts about one endpoint that findings, honeypot tells and the
 * risk model look at. Only statuses, counts, booleans, category names and protocol facts: no
 * field can hold a patient value. Every leaf is listed with its type in FACT_PATHS
 * (src/knowledge/schema.ts), the vocabulary the knowledge files' conditions may name.
 *
 * `assessInputFromEndpoint` fills what the scan JSON has today (docs/scan-json.md); the optional
 * parts (aeDiscovery, retrieve, web) are passed in `extras` by the probes that produce them.
 */
import type { RetrieveFacts as RetrieveProbeFacts } from '../probes/dicom/retrieve.ts';
import type { WebEndpointResult } from '../probes/web/scan-web-endpoint.ts';
import type { EndpointResult } from '../scan/endpoint-result.ts';
import type { Exposure, ExposureLevel } from '../scan/exposure.ts';

export interface AeDiscoveryFacts {
  readonly attempted: boolean;
  /** Association requests made while trying titles. */
  readonly attempts: number;
  /** The AE pair the endpoint accepted, or null when none worked. */
  readonly accepted: { readonly calledAe: string; readonly callingAe: string } | null;
  /** The accepted called AE came from a default-title list (not from the operator). */
  readonly guessed: boolean;
}

export interface RetrieveFacts {
  /**
   * C-GET of one instance (probe dicom.retrieve, docs/retrieve.md): did an instance come back on
   * our association, and how many bytes; `meaning` as the probe reports it ('retrieved', ...).
   */
  readonly get?: {
    readonly instanceReceived: boolean;
    readonly instanceBytes: number | null;
    readonly meaning?: string;
  } | null;
  /**
   * C-MOVE to a destination the archive cannot know: 'destination-refused' (0xA801, the right
   * answer), 'attempted' (it tried), or the probe's other meanings ('refused', 'not-offered', ...).
   */
  readonly move?: { readonly meaning: string } | null;
}

export interface WebFacts {
  /** Orthanc REST API (e.g. /system, /statistics) answered without credentials. */
  readonly orthancRest?: {
    readonly unauthenticated: boolean;
    readonly version: string | null;
    readonly patients: number | null;
    readonly studies: number | null;
    readonly instances: number | null;
  } | null;
  /** DICOMweb QIDO-RS answered without credentials. */
  readonly dicomweb?: {
    readonly qidoUnauthenticated: boolean;
    readonly studies: number | null;
    readonly phiCategories: readonly string[];
  } | null;
  readonly viewer?: { readonly detected: boolean; readonly name: string | null } | null;
  /** A product's documented default credentials were accepted. */
  readonly defaultCredentials?: { readonly worked: boolean; readonly product: string | null } | null;
  /** Certificate facts of the web interface when it speaks HTTPS. */
  readonly https?: {
    readonly tls: boolean;
    readonly protocol: string | null;
    readonly selfSigned: boolean;
    readonly expired: boolean;
  } | null;
}

export interface AssessInput {
  readonly endpoint: {
    readonly host: string;
    readonly port: number;
    readonly service: string | null;
    readonly status: string;
  };
  readonly product: {
    readonly name: string;
    readonly version: string | null;
    readonly confidence: string;
    readonly ambiguousWith: readonly string[];
  } | null;
  readonly implementation: { readonly classUid: string | null; readonly versionName: string | null };
  readonly association: {
    readonly accepted: boolean;
    readonly rejected: boolean;
    readonly rejectMeaning: string | null;
    readonly calledAe: string;
    readonly callingAe: string;
    /** Max PDU length the acceptor announced in its A-ASSOCIATE-AC (null when absent). */
    readonly acceptorMaxPdu: number | null;
  };
  readonly transport: {
    readonly tls: boolean;
    readonly protocol: string | null;
    readonly cipher: string | null;
    readonly authorized: boolean | null;
    readonly selfSigned: boolean | null;
    readonly expired: boolean | null;
  };
  readonly echo: { readonly ok: boolean };
  readonly query: {
    readonly allowed: boolean;
    readonly patients: number | null;
    readonly studies: number | null;
    readonly instances: number | null;
    readonly instancesEstimated: boolean;
    readonly capped: boolean;
    readonly phiCategories: readonly string[];
    readonly phiCategoryCount: number;
  };
  readonly services: {
    readonly echo: boolean;
    readonly find: boolean;
    readonly move: boolean;
    readonly get: boolean;
    readonly store: boolean;
    readonly storageClassCount: number;
  };
  readonly exposure: { readonly level: Exposure; readonly levels: readonly ExposureLevel[] };
  readonly aeDiscovery?: AeDiscoveryFacts | null;
  readonly retrieve?: RetrieveFacts | null;
  readonly web?: WebFacts | null;
}

/** Facts computed by assess from the knowledge (CVE rules, honeypot tells) before findings run. */
export interface DerivedFacts {
  readonly cveMatches: number;
  readonly maxCveSeverity: string | null;
  readonly versionKnown: boolean;
  readonly honeypotSuspected: boolean;
  readonly honeypotIds: readonly string[];
  readonly protocolCves: readonly string[];
}

export interface AssessExtras {
  readonly aeDiscovery?: AeDiscoveryFacts | null;
  readonly retrieve?: RetrieveFacts | null;
  readonly web?: WebFacts | null;
}

/**
 * Normalises one scan result (docs/scan-json.md) plus the facts of later probes. AE-title
 * discovery is taken from the result itself when it carries one; `extras` wins when given.
 */
export function assessInputFromEndpoint(r: EndpointResult, extras: AssessExtras = {}): AssessInput {
  const cert = r.tls?.certificate ?? null;
  return {
    endpoint: { host: r.host, port: r.port, service: r.service, status: r.status },
    product: r.product
      ? {
          name: r.product.name,
          version: r.product.version,
          confidence: r.product.confidence,
          ambiguousWith: [...r.product.ambiguousWith],
        }
      : null,
    implementation: { classUid: r.implementation.classUid, versionName: r.implementation.versionName },
    association: {
      accepted: r.association.accepted,
      rejected: r.association.reject !== null,
      rejectMeaning: r.association.reject?.meaning ?? null,
      calledAe: r.association.calledAe,
      callingAe: r.association.callingAe,
      acceptorMaxPdu: r.association.acceptor?.maxPduLength ?? null,
    },
    transport: {
      tls: r.tls !== null,
      protocol: r.tls?.protocol ?? null,
      cipher: r.tls?.cipher ?? null,
      authorized: r.tls ? r.tls.authorized : null,
      selfSigned: cert ? cert.selfSigned : null,
      expired: cert ? cert.expired : null,
    },
    echo: { ok: r.echo },
    query: {
      allowed: r.query.allowed,
      patients: r.query.patients,
      studies: r.query.studies,
      instances: r.query.instances,
      instancesEstimated: r.query.instancesEstimated,
      capped: r.query.capped,
      phiCategories: [...r.query.phiCategories],
      phiCategoryCount: r.query.phiCategories.length,
    },
    services: {
      echo: r.services.echo,
      find: r.services.find,
      move: r.services.move,
      get: r.services.get,
      store: r.services.store,
      storageClassCount: r.services.storageClasses.length,
    },
    exposure: { level: r.exposure, levels: [...r.exposureLevels] },
    ...aeDiscoveryOf(r, extras),
    ...(extras.retrieve !== undefined ? { retrieve: extras.retrieve } : {}),
    ...(extras.web !== undefined ? { web: extras.web } : {}),
  };
}

function aeDiscoveryOf(r: EndpointResult, extras: AssessExtras): { aeDiscovery?: AeDiscoveryFacts | null } {
  if (extras.aeDiscovery !== undefined) return { aeDiscovery: extras.aeDiscovery };
  // Older results (and some fixtures) have no aeDiscovery field at all.
  const d = (r as { aeDiscovery?: EndpointResult['aeDiscovery'] }).aeDiscovery;
  if (!d) return {};
  return { aeDiscovery: { attempted: d.attempted, attempts: d.attempts, accepted: d.accepted, guessed: d.guessed } };
}

/** The retrieve probe's facts (src/probes/dicom/retrieve.ts) in AssessInput's shape. */
export function retrieveFactsFromProbe(f: RetrieveProbeFacts): RetrieveFacts {
  return {
    get: f.get
      ? { instanceReceived: f.get.instanceReceived, instanceBytes: f.get.instanceBytes, meaning: f.get.meaning }
      : null,
    move: f.move ? { meaning: f.move.meaning } : null,
  };
}

/**
 * A web endpoint's result (src/probes/web/scan-web-endpoint.ts, docs/web-json.md) as WebFacts.
 * A REST API counts as unauthenticated when it answered without asking for credentials; a
 * DICOMweb prefix when it answered QIDO-RS without asking. Viewers listed matched without
 * authentication.
 */
export function webFactsFromWebResult(w: WebEndpointResult): WebFacts {
  const rest = w.orthancRest;
  const cert = w.tls?.certificate ?? null;
  return {
    orthancRest: rest
      ? {
          unauthenticated: rest.reachable && !rest.authRequired,
          version: rest.version,
          patients: rest.counts?.patients ?? null,
          studies: rest.counts?.studies ?? null,
          instances: rest.counts?.instances ?? null,
        }
      : null,
    dicomweb: w.dicomweb
      ? {
          qidoUnauthenticated: !w.dicomweb.authRequired,
          studies: w.dicomweb.studies,
          phiCategories: [...w.dicomweb.phiCategories],
        }
      : null,
    viewer: { detected: w.viewers.length > 0, name: w.viewers[0]?.product ?? null },
    defaultCredentials: {
      worked: w.defaultCredentials.worked !== null,
      product: w.defaultCredentials.worked !== null ? (w.product?.name ?? null) : null,
    },
    https: w.tls
      ? { tls: true, protocol: w.tls.protocol, selfSigned: cert?.selfSigned ?? false, expired: cert?.expired ?? false }
      : null,
  };
}

/**
 * A web endpoint assessed on its own: no DICOM facts (service null, exposure none), the web
 * facts filled in; findings and score then come from the web part alone.
 */
export function assessInputFromWebEndpoint(w: WebEndpointResult): AssessInput {
  return {
    endpoint: { host: w.host, port: w.port, service: w.service, status: w.status },
    product: w.product
      ? { name: w.product.name, version: w.product.version, confidence: 'medium', ambiguousWith: [] }
      : null,
    implementation: { classUid: null, versionName: null },
    association: {
      accepted: false,
      rejected: false,
      rejectMeaning: null,
      calledAe: '',
      callingAe: '',
      acceptorMaxPdu: null,
    },
    transport: { tls: false, protocol: null, cipher: null, authorized: null, selfSigned: null, expired: null },
    echo: { ok: false },
    query: {
      allowed: false,
      patients: null,
      studies: null,
      instances: null,
      instancesEstimated: false,
      capped: false,
      phiCategories: [],
      phiCategoryCount: 0,
    },
    services: { echo: false, find: false, move: false, get: false, store: false, storageClassCount: 0 },
    exposure: { level: 'none', levels: [] },
    web: webFactsFromWebResult(w),
  };
}
