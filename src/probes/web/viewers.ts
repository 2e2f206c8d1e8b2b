/**
 * Probe `web.viewer`: which viewers and admin UIs answer a stranger, from the fingerprints in
 * knowledge/web-fingerprints.json (one GET per entry), plus what the root path says (status,
 * Server header, where a redirect points relative to us). Path-only entries are trusted only
 * when a control path that no product uses is not answered the same way.
 */
import { randomBytes } from 'node:crypto';
import {
  BODY_MATCH_BYTES,
  hasContentRule,
  viewerMatches,
  webFingerprints,
  type WebFingerprintDb,
} from '../../knowledge/web-fingerprints.ts';
import { observe } from '../dicom/observe.ts';
import type { Endpoint, Observation } from '../probe.ts';
import { isAuthChallenge, type WebGetOptions, type WebSession } from './session.ts';

export const VIEWER_PROBE = 'web.viewer';

export interface ViewerHit {
  readonly id: string;
  readonly product: string;
  readonly vendor: string | null;
  readonly path: string;
  readonly httpStatus: number;
  /** Matched on path and status only (no content rule in the fingerprint). */
  readonly pathOnly: boolean;
}

export type RedirectKind = 'same-origin' | 'other-origin' | 'unparseable';

export interface RootFacts {
  readonly httpStatus: number;
  /** The Server header (a product banner), bounded. */
  readonly server: string | null;
  readonly poweredBy: string | null;
  readonly redirect: RedirectKind | null;
  readonly authRequired: boolean;
}

export interface ViewerFacts {
  readonly root: RootFacts | null;
  readonly viewers: readonly ViewerHit[];
  /** Fingerprint paths answered with 401/403. */
  readonly authRequiredPaths: number;
  /** The control path was answered like a page (catch-all server): path-only entries ignored. */
  readonly catchAll: boolean;
  readonly checked: number;
}

/** Where a Location header points, relative to the endpoint: the target itself is not kept. */
export function redirectKind(location: string, ep: Endpoint): RedirectKind {
  try {
    const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
    const here = new URL(`${ep.tls ? 'https' : 'http'}://${host}:${ep.port}/`);
    const to = new URL(location, here);
    return to.origin === here.origin ? 'same-origin' : 'other-origin';
  } catch {
    return 'unparseable';
  }
}

export function probeViewers(
  session: WebSession,
  opts: { db?: WebFingerprintDb; get?: WebGetOptions } = {},
): Promise<Observation<ViewerFacts>> {
  return observe<ViewerFacts>(VIEWER_PROBE, async () => {
    const db = opts.db ?? webFingerprints();
    const get = { ...opts.get, maxBodyBytes: Math.min(BODY_MATCH_BYTES, session.maxBodyBytes) };
    const rootRes = await session.get(VIEWER_PROBE, '/', get);
    if (rootRes.kind === 'failure' && !session.answered)
      return { status: rootRes.status, facts: null, detail: rootRes.detail };
    const root: RootFacts | null =
      rootRes.kind === 'response'
        ? {
            httpStatus: rootRes.status,
            server: rootRes.headers.server?.slice(0, 128) ?? null,
            poweredBy: rootRes.headers['x-powered-by']?.slice(0, 128) ?? null,
            redirect:
              rootRes.status >= 300 && rootRes.status < 400 && rootRes.headers.location !== undefined
                ? redirectKind(rootRes.headers.location, session.ep)
                : null,
            authRequired: isAuthChallenge(rootRes.status),
          }
        : null;
    const control = await session.get(VIEWER_PROBE, `/pacsmap-control-${randomBytes(6).toString('hex')}`, get);
    const controlStatus = control.kind === 'response' ? control.status : null;
    const viewers: ViewerHit[] = [];
    let authRequiredPaths = 0;
    let checked = 0;
    let catchAll = false;
    for (const f of db.viewers) {
      if (!session.answered) break;
      const r = f.path === '/' ? rootRes : await session.get(VIEWER_PROBE, f.path, get);
      checked++;
      if (r.kind === 'failure') continue;
      if (isAuthChallenge(r.status)) authRequiredPaths++;
      if (!viewerMatches(f, r.status, r.headers, r.body)) continue;
      const pathOnly = !hasContentRule(f);
      if (pathOnly && controlStatus !== null && f.match.status.includes(controlStatus)) {
        catchAll = true;
        continue;
      }
      viewers.push({
        id: f.id,
        product: f.product,
        vendor: f.vendor ?? null,
        path: f.path,
        httpStatus: r.status,
        pathOnly,
      });
    }
    return { status: 'success', facts: { root, viewers, authRequiredPaths, catchAll, checked } };
  });
}
