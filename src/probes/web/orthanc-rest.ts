/**
 * Probe `web.orthanc-rest`: Orthanc's REST API. GET /system says whether this is Orthanc and
 * which version, AE title and DICOM port; GET /statistics gives the archive's counts (Orthanc
 * computes them; nothing is listed). A 401/403 means authentication is required: a fact, and the
 * good answer. Only numbers and protocol facts leave the probe.
 */
import { observe } from '../dicom/observe.ts';
import type { Observation } from '../probe.ts';
import { authRealm, isAuthChallenge, parseJson, type WebGetOptions, type WebSession } from './session.ts';

export const ORTHANC_REST_PROBE = 'web.orthanc-rest';
/** The realm Orthanc's HTTP server announces in its Basic challenge (OrthancFramework HttpServer.cpp). */
export const ORTHANC_REALM = 'Orthanc Secure Area';

export interface OrthancCounts {
  readonly patients: number | null;
  readonly studies: number | null;
  readonly series: number | null;
  readonly instances: number | null;
  readonly diskSizeMB: number | null;
}

export interface OrthancRestFacts {
  /** /system answered over HTTP (any status). */
  readonly reachable: boolean;
  readonly httpStatus: number | null;
  readonly authRequired: boolean;
  /** The Basic realm, when a challenge was sent (names the product). */
  readonly authRealm: string | null;
  /** /system returned Orthanc's JSON (with credentials when they were used). */
  readonly isOrthanc: boolean;
  readonly version: string | null;
  readonly apiVersion: number | null;
  readonly dicomAet: string | null;
  readonly dicomPort: number | null;
  readonly pluginsEnabled: boolean | null;
  readonly counts: OrthancCounts | null;
}

type Obj = Record<string, unknown>;

const shortStr = (v: unknown): string | null => (typeof v === 'string' && v.length <= 64 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** `CountPatients` etc. are numbers; TotalDiskSizeMB too (older versions sent strings for bytes). */
function counts(o: Obj): OrthancCounts {
  return {
    patients: num(o.CountPatients),
    studies: num(o.CountStudies),
    series: num(o.CountSeries),
    instances: num(o.CountInstances),
    diskSizeMB: num(o.TotalDiskSizeMB),
  };
}

export function probeOrthancRest(
  session: WebSession,
  opts: WebGetOptions = {},
  probe = ORTHANC_REST_PROBE,
): Promise<Observation<OrthancRestFacts>> {
  return observe<OrthancRestFacts>(probe, async () => {
    const sys = await session.get(probe, '/system', { ...opts, maxBodyBytes: 64 * 1024 });
    if (sys.kind === 'failure') return { status: sys.status, facts: null, detail: sys.detail };
    const authRequired = isAuthChallenge(sys.status);
    const json = sys.status === 200 ? parseJson(sys.body, sys.truncated) : null;
    const o = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Obj) : null;
    const isOrthanc = o !== null && typeof o.Version === 'string' && 'ApiVersion' in o && 'DicomAet' in o;
    let statistics: OrthancCounts | null = null;
    let detail: string | null = null;
    if (isOrthanc) {
      const st = await session.get(probe, '/statistics', { ...opts, maxBodyBytes: 64 * 1024 });
      if (st.kind === 'response' && st.status === 200) {
        const s = parseJson(st.body, st.truncated);
        if (typeof s === 'object' && s !== null && !Array.isArray(s)) statistics = counts(s as Obj);
      } else {
        detail = st.kind === 'failure' ? `statistics: ${st.detail}` : `statistics: HTTP ${st.status}`;
      }
    }
    return {
      status: 'success',
      detail,
      facts: {
        reachable: true,
        httpStatus: sys.status,
        authRequired,
        authRealm: authRequired ? authRealm(sys.headers['www-authenticate']) : null,
        isOrthanc,
        version: isOrthanc ? shortStr(o.Version) : null,
        apiVersion: isOrthanc ? num(o.ApiVersion) : null,
        dicomAet: isOrthanc ? shortStr(o.DicomAet) : null,
        dicomPort: isOrthanc ? num(o.DicomPort) : null,
        pluginsEnabled: isOrthanc && typeof o.PluginsEnabled === 'boolean' ? o.PluginsEnabled : null,
        counts: statistics,
      },
    };
  });
}
