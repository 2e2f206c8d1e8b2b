/**
 * Probe `web.dicomweb-qido`: does a QIDO-RS `studies` search answer a stranger, under one of the
 * known prefixes (knowledge/web-fingerprints.json)? When it does: how many studies it reaches
 * (paged with limit/offset up to a cap, distinct Study Instance UIDs counted as salted digests)
 * and which categories of personal data the answers carry (booleans from a bounded sample, values
 * dropped in memory). Also whether a WADO-URI endpoint answers.
 */
import dcmjs from '../../protocol/dimse/dcmjs.ts';
import { PHI_CATEGORIES, hasValue, orderedCategories } from '../../privacy/phi-categories.ts';
import { SaltedDistinctCounter } from '../../privacy/salted-distinct.ts';
import { webFingerprints, type WebFingerprintDb } from '../../knowledge/web-fingerprints.ts';
import { observe } from '../dicom/observe.ts';
import type { Observation } from '../probe.ts';
import { isAuthChallenge, parseJson, type WebGetOptions, type WebSession } from './session.ts';

export const DICOMWEB_PROBE = 'web.dicomweb-qido';

export interface DicomwebOptions {
  /** Studies per QIDO page (small: a page is held in memory). Default 50. */
  readonly pageSize?: number;
  /** Upper bound on studies counted before stopping (marked capped). Default min(ctx.maxQueryMatches, 1000). */
  readonly maxStudies?: number;
  readonly db?: WebFingerprintDb;
  readonly get?: WebGetOptions;
}

export interface WadoUriFacts {
  readonly path: string;
  readonly httpStatus: number;
  /**
   * true: a WADO-URI handler answered (2xx, 400, 406, 415...); false: 404 (absent, or an
   * implementation that answers 404 to an unknown object, as Orthanc does); null: behind
   * authentication.
   */
  readonly present: boolean | null;
}

export interface DicomwebFacts {
  /** The prefix whose QIDO-RS answered or demanded authentication; null when none did. */
  readonly prefix: string | null;
  readonly prefixId: string | null;
  readonly product: string | null;
  readonly answered: boolean;
  readonly authRequired: boolean;
  readonly httpStatus: number | null;
  /** Distinct studies reached, up to the cap; null when not answered. */
  readonly studies: number | null;
  readonly capped: boolean;
  readonly pages: number;
  /** Personal-data category ids present in the sampled answers (catalogue order). */
  readonly phiCategories: readonly string[];
  readonly prefixesTried: number;
  readonly wadoUri: WadoUriFacts | null;
}

const STUDY_UID_TAG = '0020000D';

/** DICOM JSON (PS3.18 F.2) keys are 8 hex digits; each category's keywords mapped to them once. */
const CATEGORY_TAGS: ReadonlyArray<{ id: string; tags: string[] }> = PHI_CATEGORIES.map((c) => ({
  id: c.id,
  tags: c.keywords.flatMap((k) => {
    const tag = (dcmjs.data.DicomMetaDictionary.nameMap as Record<string, { tag?: string } | undefined>)[k]?.tag;
    return tag ? [tag.replace(/[(),]/g, '').toUpperCase()] : [];
  }),
}));

/** Adds the categories present (non-empty Value) in one DICOM JSON dataset; never copies a value. */
export function notePhiInDicomJson(dataset: Readonly<Record<string, unknown>>, into: Set<string>): void {
  for (const c of CATEGORY_TAGS) {
    if (into.has(c.id)) continue;
    if (c.tags.some((t) => hasValue((dataset[t] as { Value?: unknown } | undefined)?.Value))) into.add(c.id);
  }
}

function isQidoArray(v: unknown): v is Array<Record<string, unknown>> {
  return (
    Array.isArray(v) &&
    v.every(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        !Array.isArray(e) &&
        Object.keys(e).every((k) => /^[0-9A-Fa-f]{8}$/.test(k)),
    )
  );
}

function studyUid(d: Record<string, unknown>): string | null {
  const v = (d[STUDY_UID_TAG] as { Value?: unknown } | undefined)?.Value;
  return Array.isArray(v) && typeof v[0] === 'string' ? v[0] : null;
}

export function probeDicomweb(session: WebSession, opts: DicomwebOptions = {}): Promise<Observation<DicomwebFacts>> {
  return observe<DicomwebFacts>(DICOMWEB_PROBE, async () => {
    const db = opts.db ?? webFingerprints();
    const pageSize = Math.max(1, opts.pageSize ?? 50);
    const maxStudies = Math.max(1, opts.maxStudies ?? Math.min(session.ctx.maxQueryMatches, 1000));
    const get = opts.get ?? {};
    let tried = 0;
    for (const entry of db.dicomweb) {
      tried++;
      const first = await session.get(DICOMWEB_PROBE, `${entry.prefix}/studies?limit=${pageSize}&offset=0`, get);
      if (first.kind === 'failure') {
        if (!session.answered) return { status: first.status, facts: null, detail: first.detail };
        continue;
      }
      const auth = isAuthChallenge(first.status);
      const json = first.status === 200 ? parseJson(first.body, first.truncated) : null;
      const answered = first.status === 204 || isQidoArray(json);
      if (!auth && !answered) continue;
      const base = {
        prefix: entry.prefix,
        prefixId: entry.id,
        product: entry.product,
        httpStatus: first.status,
        prefixesTried: tried,
        wadoUri: await probeWadoUri(session, db, get),
      };
      if (auth) {
        return {
          status: 'success',
          facts: {
            ...base,
            answered: false,
            authRequired: true,
            studies: null,
            capped: false,
            pages: 1,
            phiCategories: [],
          },
        };
      }
      // Count distinct studies page by page; sample categories from the first phiSampleSize answers.
      const distinct = new SaltedDistinctCounter(session.ctx.salt);
      const phi = new Set<string>();
      let sampled = 0;
      let withoutUid = 0;
      let pages = 1;
      let capped = false;
      let detail: string | null = null;
      let page = first.status === 204 ? [] : (json as Array<Record<string, unknown>>);
      for (;;) {
        const before = distinct.size + withoutUid;
        for (const d of page) {
          if (sampled < session.ctx.phiSampleSize) {
            notePhiInDicomJson(d, phi);
            sampled++;
          }
          const uid = studyUid(d);
          if (uid === null) withoutUid++;
          else distinct.add(uid);
        }
        page = [];
        const count = distinct.size + withoutUid;
        if (count >= maxStudies) {
          capped = true;
          break;
        }
        // A short page is the last; a page with nothing new means the server ignores offset.
        if (count - before < pageSize) break;
        const next = await session.get(
          DICOMWEB_PROBE,
          `${entry.prefix}/studies?limit=${pageSize}&offset=${count}`,
          get,
        );
        pages++;
        if (next.kind === 'failure' || (next.status !== 200 && next.status !== 204)) {
          detail = next.kind === 'failure' ? `page ${pages}: ${next.detail}` : `page ${pages}: HTTP ${next.status}`;
          capped = true;
          break;
        }
        if (next.status === 204) break;
        const nj = parseJson(next.body, next.truncated);
        if (!isQidoArray(nj)) {
          detail = `page ${pages}: not a QIDO-RS answer`;
          capped = true;
          break;
        }
        page = nj;
        if (page.length === 0) break;
      }
      return {
        status: 'success',
        detail,
        facts: {
          ...base,
          answered: true,
          authRequired: false,
          studies: Math.min(distinct.size + withoutUid, maxStudies),
          capped,
          pages,
          phiCategories: orderedCategories(phi),
        },
      };
    }
    return {
      status: 'success',
      facts: {
        prefix: null,
        prefixId: null,
        product: null,
        answered: false,
        authRequired: false,
        httpStatus: null,
        studies: null,
        capped: false,
        pages: 0,
        phiCategories: [],
        prefixesTried: tried,
        wadoUri: await probeWadoUri(session, db, get),
      },
    };
  });
}

/** WADO-URI: a request with requestType but no object UIDs; a handler answers it with an error of its own. */
async function probeWadoUri(
  session: WebSession,
  db: WebFingerprintDb,
  get: WebGetOptions,
): Promise<WadoUriFacts | null> {
  let absent: WadoUriFacts | null = null;
  for (const w of db.wadoUri) {
    if (!session.answered) return absent;
    const r = await session.get(DICOMWEB_PROBE, `${w.path}?requestType=WADO`, { ...get, maxBodyBytes: 16 * 1024 });
    if (r.kind === 'failure') continue;
    if (isAuthChallenge(r.status)) return { path: w.path, httpStatus: r.status, present: null };
    // A 200 HTML page is a catch-all site, not a WADO-URI handler (which would send an object or an error).
    const catchAll = r.status === 200 && (r.headers['content-type'] ?? '').startsWith('text/html');
    if (r.status !== 404 && r.status < 500 && !(r.status >= 300 && r.status < 400) && !catchAll)
      return { path: w.path, httpStatus: r.status, present: true };
    absent ??= { path: w.path, httpStatus: r.status, present: false };
  }
  return absent;
}
