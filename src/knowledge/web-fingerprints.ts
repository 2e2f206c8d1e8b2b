/**
 * Web fingerprints: DICOMweb prefixes, WADO-URI paths and viewer/admin UIs, as data
 * (web-fingerprints.json), validated once at load with the bad entry named. Matching is pure:
 * callers hand it a status, headers and the first bytes of a body.
 */
import { readFileSync } from 'node:fs';
import type { SourceRef } from './fingerprints.ts';

export interface DicomwebPrefix {
  readonly id: string;
  readonly prefix: string;
  readonly product: string;
  readonly source: readonly SourceRef[];
}

export interface WadoUriPath {
  readonly id: string;
  readonly path: string;
  readonly product: string;
  readonly source: readonly SourceRef[];
}

export interface ViewerMatch {
  readonly status: readonly number[];
  readonly bodyRegex?: RegExp;
  readonly header?: { readonly name: string; readonly regex: RegExp };
}

export interface ViewerFingerprint {
  readonly id: string;
  readonly product: string;
  readonly vendor?: string;
  readonly path: string;
  readonly match: ViewerMatch;
  readonly source: readonly SourceRef[];
}

export interface WebFingerprintDb {
  readonly version: 1;
  readonly dicomweb: readonly DicomwebPrefix[];
  readonly wadoUri: readonly WadoUriPath[];
  readonly viewers: readonly ViewerFingerprint[];
}

export class WebFingerprintDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebFingerprintDataError';
  }
}

type Obj = Record<string, unknown>;
const ID = /^[a-z0-9][a-z0-9-]*$/;
const KINDS: readonly SourceRef['kind'][] = ['source-code', 'observed', 'documentation', 'package'];

function fail(where: string, msg: string): never {
  throw new WebFingerprintDataError(`web-fingerprints: ${where}: ${msg}`);
}

function obj(v: unknown, where: string, allowed: readonly string[]): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'must be an object');
  for (const k of Object.keys(v)) if (!allowed.includes(k)) fail(where, `unknown key "${k}"`);
  return v as Obj;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(where, 'must be a non-empty string');
  return v;
}

function arr(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v) || v.length === 0) fail(where, 'must be a non-empty array');
  return v;
}

function path(v: unknown, where: string): string {
  const p = str(v, where);
  if (!p.startsWith('/') || /[\s?#]/.test(p)) fail(where, `must be an absolute path without query: "${p}"`);
  return p;
}

function regex(v: unknown, where: string): RegExp {
  const s = str(v, where);
  try {
    return new RegExp(s, 'i');
  } catch (e) {
    return fail(where, `invalid regular expression: ${(e as Error).message}`);
  }
}

/** Shared with default-credentials.ts: one shape for a source reference. */
export function parseSources(v: unknown, where: string): SourceRef[] {
  return arr(v, `${where}.source`).map((s, i) => {
    const w = `${where}.source[${i}]`;
    const o = obj(s, w, ['kind', 'ref', 'url', 'note']);
    if (!KINDS.includes(o.kind as SourceRef['kind'])) fail(w, `kind must be one of ${KINDS.join(', ')}`);
    const url = o.url === undefined ? undefined : str(o.url, `${w}.url`);
    if (url !== undefined && !url.startsWith('https://')) fail(w, 'url must be an https URL');
    const note = o.note === undefined ? undefined : str(o.note, `${w}.note`);
    return {
      kind: o.kind as SourceRef['kind'],
      ref: str(o.ref, `${w}.ref`),
      ...(url !== undefined ? { url } : {}),
      ...(note !== undefined ? { note } : {}),
    };
  });
}

function entryId(v: unknown, where: string, seen: Set<string>): string {
  const id = str((v as Obj | null)?.id, `${where}.id`);
  if (!ID.test(id)) fail(where, `id must match ${ID}`);
  if (seen.has(id)) fail(where, `duplicate id "${id}"`);
  seen.add(id);
  return id;
}

export function parseWebFingerprints(raw: unknown): WebFingerprintDb {
  const top = obj(raw, 'document', ['version', 'description', 'dicomweb', 'wadoUri', 'viewers']);
  if (top.version !== 1) fail('document', `version must be 1, found ${JSON.stringify(top.version)}`);
  const seen = new Set<string>();
  const dicomweb = arr(top.dicomweb, 'dicomweb').map((v, i) => {
    const w = `dicomweb[${i}]`;
    const o = obj(v, w, ['id', 'prefix', 'product', 'source']);
    const prefix = path(o.prefix, `${w}.prefix`);
    if (prefix.endsWith('/')) fail(w, 'prefix must not end with /');
    return {
      id: entryId(o, w, seen),
      prefix,
      product: str(o.product, `${w}.product`),
      source: parseSources(o.source, w),
    };
  });
  const wadoUri = arr(top.wadoUri, 'wadoUri').map((v, i) => {
    const w = `wadoUri[${i}]`;
    const o = obj(v, w, ['id', 'path', 'product', 'source']);
    return {
      id: entryId(o, w, seen),
      path: path(o.path, `${w}.path`),
      product: str(o.product, `${w}.product`),
      source: parseSources(o.source, w),
    };
  });
  const viewers = arr(top.viewers, 'viewers').map((v, i): ViewerFingerprint => {
    const w = `viewers[${i}]`;
    const o = obj(v, w, ['id', 'product', 'vendor', 'path', 'match', 'source']);
    const m = obj(o.match, `${w}.match`, ['status', 'bodyRegex', 'header']);
    const status = arr(m.status, `${w}.match.status`).map((s, j) => {
      if (!Number.isInteger(s) || (s as number) < 100 || (s as number) > 599)
        fail(`${w}.match.status[${j}]`, 'must be an HTTP status code');
      return s as number;
    });
    let header: ViewerMatch['header'];
    if (m.header !== undefined) {
      const h = obj(m.header, `${w}.match.header`, ['name', 'regex']);
      header = {
        name: str(h.name, `${w}.match.header.name`).toLowerCase(),
        regex: regex(h.regex, `${w}.match.header.regex`),
      };
    }
    const vendor = o.vendor === undefined ? undefined : str(o.vendor, `${w}.vendor`);
    return {
      id: entryId(o, w, seen),
      product: str(o.product, `${w}.product`),
      ...(vendor !== undefined ? { vendor } : {}),
      path: path(o.path, `${w}.path`),
      match: {
        status,
        ...(m.bodyRegex !== undefined ? { bodyRegex: regex(m.bodyRegex, `${w}.match.bodyRegex`) } : {}),
        ...(header ? { header } : {}),
      },
      source: parseSources(o.source, w),
    };
  });
  return { version: 1, dicomweb, wadoUri, viewers };
}

export function loadWebFingerprints(url: URL = new URL('./web-fingerprints.json', import.meta.url)): WebFingerprintDb {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(url, 'utf8'));
  } catch (e) {
    throw new WebFingerprintDataError(`web-fingerprints: cannot read ${url.pathname}: ${(e as Error).message}`);
  }
  return parseWebFingerprints(raw);
}

let bundled: WebFingerprintDb | null = null;

export function webFingerprints(): WebFingerprintDb {
  bundled ??= loadWebFingerprints();
  return bundled;
}

/** Bytes of a body the regexes look at: titles and meta tags sit near the top. */
export const BODY_MATCH_BYTES = 64 * 1024;

/** True when the entry carries a content rule, not only a path and a status. */
export function hasContentRule(f: ViewerFingerprint): boolean {
  return f.match.bodyRegex !== undefined || f.match.header !== undefined;
}

export function viewerMatches(
  f: ViewerFingerprint,
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  body: Buffer,
): boolean {
  if (!f.match.status.includes(status)) return false;
  if (f.match.header) {
    const v = headers[f.match.header.name];
    if (v === undefined || !f.match.header.regex.test(v)) return false;
  }
  if (f.match.bodyRegex && !f.match.bodyRegex.test(body.subarray(0, BODY_MATCH_BYTES).toString('latin1'))) return false;
  return true;
}
