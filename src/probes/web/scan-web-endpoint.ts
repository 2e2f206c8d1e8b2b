/**
 * The web side of one endpoint: Orthanc REST, DICOMweb (QIDO-RS, WADO-URI), viewers, TLS facts
 * and, only on opt-in, a product's documented default credentials. Runs the probes one request
 * at a time over a WebSession (scope-checked, bounded, audited), folds the observations into a
 * JSON-safe summary (docs/web-json.md). Never throws.
 */
import type { Status } from '../../protocol/status.ts';
import type { TlsFacts } from '../../protocol/association/transport.ts';
import { describeError } from '../../protocol/status.ts';
import { assertInScope, type Endpoint, type Observation, type ProbeContext } from '../probe.ts';
import { observe, round } from '../dicom/observe.ts';
import { WebSession, DEFAULT_MAX_BODY_BYTES } from './session.ts';
import { ORTHANC_REALM, probeOrthancRest, type OrthancCounts, type OrthancRestFacts } from './orthanc-rest.ts';
import { probeDicomweb, type DicomwebFacts, type WadoUriFacts } from './dicomweb.ts';
import { probeViewers, type RedirectKind, type ViewerFacts, type ViewerHit } from './viewers.ts';
import { probeDefaultCredentials, type DefaultCredentialFacts } from './default-credentials.ts';
import { credentialsFor, defaultCredentials } from '../../knowledge/default-credentials.ts';

export interface ScanWebOptions {
  readonly tryDefaultCredentials: boolean;
  /** Body cap per response; default 1 MiB. */
  readonly maxBodyBytes?: number;
}

export type WebExposureHint =
  | 'orthanc-rest-unauthenticated'
  | 'archive-counts-readable'
  | 'dicomweb-unauthenticated'
  | 'dicomweb-personal-data'
  | 'wado-uri-unauthenticated'
  | 'viewer-unauthenticated'
  | 'default-credentials-accepted'
  | 'plaintext-http'
  | 'tls-certificate-self-signed'
  | 'tls-certificate-expired'
  | 'authentication-required';

export interface WebEndpointResult {
  readonly host: string;
  readonly port: number;
  /** 'http' or 'https' when something answered HTTP; null otherwise. */
  readonly service: 'http' | 'https' | null;
  readonly status: Status;
  readonly server: { readonly header: string | null; readonly poweredBy: string | null };
  readonly tls: TlsFacts | null;
  readonly product: {
    readonly name: string;
    readonly version: string | null;
    readonly source: 'orthanc-rest' | 'auth-realm' | 'fingerprint' | 'dicomweb-prefix';
  } | null;
  readonly root: { readonly httpStatus: number; readonly redirect: RedirectKind | null } | null;
  readonly orthancRest: {
    readonly reachable: boolean;
    readonly authRequired: boolean;
    readonly version: string | null;
    readonly apiVersion: number | null;
    readonly dicomAet: string | null;
    readonly dicomPort: number | null;
    readonly pluginsEnabled: boolean | null;
    readonly counts: OrthancCounts | null;
  } | null;
  readonly dicomweb: {
    readonly prefix: string;
    readonly authRequired: boolean;
    readonly studies: number | null;
    readonly capped: boolean;
    readonly phiCategories: readonly string[];
  } | null;
  readonly wadoUri: WadoUriFacts | null;
  readonly viewers: readonly ViewerHit[];
  readonly defaultCredentials: {
    readonly tried: number;
    /** Id of the default-credentials.json entry that was accepted; never the password. */
    readonly worked: string | null;
    /** What the accepted credentials open on Orthanc's REST API (counts only). */
    readonly orthancRest: { readonly version: string | null; readonly counts: OrthancCounts | null } | null;
  };
  readonly exposure: readonly WebExposureHint[];
  readonly requests: number;
  readonly observations: ReadonlyArray<{
    readonly probe: string;
    readonly status: Status;
    readonly startedAt: string;
    readonly durationMs: number;
    readonly detail: string | null;
  }>;
}

export interface WebEndpointScan {
  readonly observations: Observation<unknown>[];
  readonly result: WebEndpointResult;
}

/** A plaintext request to a TLS port ends like this; then TLS is worth one try. */
const LOOKS_LIKE_TLS: readonly Status[] = ['protocol-error', 'connection-closed'];

export async function scanWebEndpoint(ctx: ProbeContext, ep: Endpoint, opts: ScanWebOptions): Promise<WebEndpointScan> {
  const t0 = performance.now();
  const observations: Observation<unknown>[] = [];
  try {
    return await scan(ctx, ep, opts, observations);
  } catch (err) {
    // Not expected (each probe is wrapped by observe()); kept so that the entry point never throws.
    const o: Observation<unknown> = {
      probe: 'web.scan',
      status: 'unknown-error',
      startedAt: new Date().toISOString(),
      durationMs: round(performance.now() - t0),
      detail: describeError(err),
      facts: null,
    };
    observations.push(o);
    return { observations, result: emptyResult(ep, 'unknown-error', observations, 0) };
  }
}

async function scan(
  ctx: ProbeContext,
  ep0: Endpoint,
  opts: ScanWebOptions,
  observations: Observation<unknown>[],
): Promise<WebEndpointScan> {
  const cap = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Out of scope: one observation, no connection (the session checks again before every request).
  const scoped = await observe<null>('web.scope', async () => {
    assertInScope(ctx, ep0.host);
    return { status: 'success', facts: null };
  });
  if (scoped.status !== 'success') {
    observations.push(scoped);
    return { observations, result: emptyResult(ep0, scoped.status, observations, 0) };
  }
  let ep = ep0;
  let session = new WebSession(ctx, ep, cap);
  let rest = await probeOrthancRest(session);
  let requests = session.requests;
  if (!ep.tls && rest.facts === null && LOOKS_LIKE_TLS.includes(rest.status)) {
    const tlsEp = { ...ep, tls: true };
    const tlsSession = new WebSession(ctx, tlsEp, cap);
    const again = await probeOrthancRest(tlsSession);
    requests += tlsSession.requests;
    if (again.facts !== null) {
      observations.push(rest);
      ep = tlsEp;
      session = tlsSession;
      rest = again;
    } else {
      observations.push(again);
    }
  }
  observations.push(rest);
  // Nothing answered HTTP (a hang-up, garbage, a tarpit): no more paths are worth asking.
  if (session.responses === 0) {
    return { observations, result: emptyResult(ep, rest.status, observations, requests) };
  }
  const before = session.requests;
  const dicomweb = await probeDicomweb(session);
  observations.push(dicomweb);
  const viewers = await probeViewers(session);
  observations.push(viewers);

  const r = rest.facts;
  const dw = dicomweb.facts;
  const vw = viewers.facts;
  const product = identify(r, dw, vw);
  const authDemanded = (r?.authRequired ?? false) || (dw?.authRequired ?? false) || (vw?.root?.authRequired ?? false);

  let creds: Observation<DefaultCredentialFacts> | null = null;
  let withCreds: Observation<OrthancRestFacts> | null = null;
  if (opts.tryDefaultCredentials && authDemanded && product && credentialsFor(product.name).length > 0) {
    const path =
      product.name === 'Orthanc' ? '/system' : dw?.authRequired && dw.prefix ? `${dw.prefix}/studies?limit=1` : '/';
    creds = await probeDefaultCredentials(session, product.name, path);
    observations.push(creds);
    const worked = creds.facts?.worked ?? null;
    if (worked !== null && product.name === 'Orthanc') {
      const entry = defaultCredentials().find((c) => c.id === worked);
      if (entry) {
        withCreds = await probeOrthancRest(
          session,
          { auth: { user: entry.user, password: entry.password } },
          'web.orthanc-rest.default-credentials',
        );
        observations.push(withCreds);
      }
    }
  }
  requests += session.requests - before;
  return {
    observations,
    result: buildResult(ep, session.tls, r, dw, vw, product, creds, withCreds, observations, requests),
  };
}

type Product = NonNullable<WebEndpointResult['product']>;

function identify(r: OrthancRestFacts | null, dw: DicomwebFacts | null, vw: ViewerFacts | null): Product | null {
  if (r?.isOrthanc) return { name: 'Orthanc', version: r.version, source: 'orthanc-rest' };
  if (r?.authRequired && r.authRealm === ORTHANC_REALM) return { name: 'Orthanc', version: null, source: 'auth-realm' };
  const hit = vw?.viewers.find((v) => !v.pathOnly) ?? vw?.viewers[0];
  if (hit) return { name: hit.vendor ?? hit.product, version: null, source: 'fingerprint' };
  if (dw?.prefix && dw.product) return { name: dw.product, version: null, source: 'dicomweb-prefix' };
  return null;
}

function summarize(observations: readonly Observation<unknown>[]): WebEndpointResult['observations'] {
  return observations.map((o) => ({
    probe: o.probe,
    status: o.status,
    startedAt: o.startedAt,
    durationMs: o.durationMs,
    detail: o.detail,
  }));
}

function emptyResult(
  ep: Endpoint,
  status: Status,
  observations: readonly Observation<unknown>[],
  requests: number,
): WebEndpointResult {
  return {
    host: ep.host,
    port: ep.port,
    service: null,
    status,
    server: { header: null, poweredBy: null },
    tls: null,
    product: null,
    root: null,
    orthancRest: null,
    dicomweb: null,
    wadoUri: null,
    viewers: [],
    defaultCredentials: { tried: 0, worked: null, orthancRest: null },
    exposure: [],
    requests,
    observations: summarize(observations),
  };
}

function buildResult(
  ep: Endpoint,
  tls: TlsFacts | null,
  r: OrthancRestFacts | null,
  dw: DicomwebFacts | null,
  vw: ViewerFacts | null,
  product: Product | null,
  creds: Observation<DefaultCredentialFacts> | null,
  withCreds: Observation<OrthancRestFacts> | null,
  observations: readonly Observation<unknown>[],
  requests: number,
): WebEndpointResult {
  const exposure: WebExposureHint[] = [];
  const restExposed = r?.isOrthanc === true;
  if (restExposed) exposure.push('orthanc-rest-unauthenticated');
  if (r?.counts) exposure.push('archive-counts-readable');
  if (dw?.answered) exposure.push('dicomweb-unauthenticated');
  if (dw?.answered && dw.phiCategories.length > 0) exposure.push('dicomweb-personal-data');
  if (dw?.wadoUri?.present === true) exposure.push('wado-uri-unauthenticated');
  if ((vw?.viewers.length ?? 0) > 0) exposure.push('viewer-unauthenticated');
  if (creds?.facts?.worked) exposure.push('default-credentials-accepted');
  if (!ep.tls) exposure.push('plaintext-http');
  if (tls?.certificate?.selfSigned) exposure.push('tls-certificate-self-signed');
  if (tls?.certificate?.expired) exposure.push('tls-certificate-expired');
  if (r?.authRequired || dw?.authRequired || vw?.root?.authRequired) exposure.push('authentication-required');
  const wc = withCreds?.facts;
  return {
    host: ep.host,
    port: ep.port,
    service: ep.tls ? 'https' : 'http',
    status: 'success',
    server: { header: vw?.root?.server ?? null, poweredBy: vw?.root?.poweredBy ?? null },
    tls,
    product,
    root: vw?.root ? { httpStatus: vw.root.httpStatus, redirect: vw.root.redirect } : null,
    orthancRest:
      r && (r.isOrthanc || r.authRequired)
        ? {
            reachable: r.reachable,
            authRequired: r.authRequired,
            version: r.version,
            apiVersion: r.apiVersion,
            dicomAet: r.dicomAet,
            dicomPort: r.dicomPort,
            pluginsEnabled: r.pluginsEnabled,
            counts: r.counts,
          }
        : null,
    dicomweb:
      dw?.prefix != null
        ? {
            prefix: dw.prefix,
            authRequired: dw.authRequired,
            studies: dw.studies,
            capped: dw.capped,
            phiCategories: dw.phiCategories,
          }
        : null,
    wadoUri: dw?.wadoUri ?? null,
    viewers: vw?.viewers ?? [],
    defaultCredentials: {
      tried: creds?.facts?.tried ?? 0,
      worked: creds?.facts?.worked ?? null,
      orthancRest: wc?.isOrthanc ? { version: wc.version, counts: wc.counts } : null,
    },
    exposure,
    requests,
    observations: summarize(observations),
  };
}
