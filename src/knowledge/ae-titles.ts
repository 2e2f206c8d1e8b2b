/**
 * Product-default AE titles for AE-title discovery (ae-titles.json): which called titles to try
 * after an A-ASSOCIATE-RJ "called AE title not recognised" (1/7) and which calling titles after
 * "calling AE title not recognised" (1/3).
 *
 * The knowledge is data; this module validates it once at load (naming the bad entry), refuses
 * duplicates, and builds the ordered, de-duplicated list of candidates to try.
 */
import { readFileSync } from 'node:fs';
import type { SourceRef } from './fingerprints.ts';

export type AeRole = 'called' | 'calling';

export interface AeTitleEntry {
  readonly aeTitle: string;
  readonly products: readonly string[];
  readonly source: readonly SourceRef[];
}

export interface AeTitleDb {
  readonly version: 1;
  readonly called: readonly AeTitleEntry[];
  readonly calling: readonly AeTitleEntry[];
}

export class AeTitleDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AeTitleDataError';
  }
}

/**
 * Why a string is not a valid AE title as we send it (PS3.5 6.2, VR AE), or null when it is:
 * 1-16 characters of the default repertoire (printable ASCII), no backslash, no control
 * characters, not all spaces, and no leading/trailing spaces (they are padding, not part of it).
 * Same rules as the CLI's parseAeTitle, which also trims.
 */
export function aeTitleProblem(ae: string): string | null {
  if (ae.length < 1 || ae.length > 16) return 'must be 1-16 characters';
  if (!/^[\x20-\x7e]+$/.test(ae)) return 'must be printable ASCII (no control characters)';
  if (ae.includes('\\')) return 'must not contain a backslash';
  if (ae.trim().length === 0) return 'must not be all spaces';
  if (ae.trim() !== ae) return 'must not have leading or trailing spaces';
  return null;
}

const SOURCE_KINDS: readonly SourceRef['kind'][] = ['source-code', 'observed', 'documentation', 'package'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, msg: string): never {
  throw new AeTitleDataError(`ae-titles: ${where}: ${msg}`);
}

function keys(where: string, o: Obj, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(where, `unknown key "${k}"`);
}

function str(where: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) fail(where, 'must be a non-empty string');
  return v;
}

function parseSource(where: string, v: unknown): SourceRef {
  if (!isObj(v)) fail(where, 'must be an object');
  keys(where, v, ['kind', 'ref', 'url', 'note']);
  if (!SOURCE_KINDS.includes(v.kind as SourceRef['kind']))
    fail(where, `kind must be one of ${SOURCE_KINDS.join(', ')}`);
  const url = v.url === undefined ? undefined : str(`${where}.url`, v.url);
  if (url !== undefined && !url.startsWith('https://')) fail(where, 'url must be an https URL');
  const note = v.note === undefined ? undefined : str(`${where}.note`, v.note);
  return {
    kind: v.kind as SourceRef['kind'],
    ref: str(`${where}.ref`, v.ref),
    ...(url !== undefined ? { url } : {}),
    ...(note !== undefined ? { note } : {}),
  };
}

function parseList(role: AeRole, v: unknown): AeTitleEntry[] {
  if (!Array.isArray(v) || v.length === 0) fail(role, 'must be a non-empty array');
  const seen = new Set<string>();
  return v.map((e: unknown, i) => {
    const title = isObj(e) && typeof e.aeTitle === 'string' ? ` ("${e.aeTitle}")` : '';
    const where = `${role}[${i}]${title}`;
    if (!isObj(e)) fail(where, 'must be an object');
    keys(where, e, ['aeTitle', 'products', 'source']);
    const aeTitle = str(`${where}.aeTitle`, e.aeTitle);
    const problem = aeTitleProblem(aeTitle);
    if (problem) fail(where, `aeTitle ${problem}`);
    if (seen.has(aeTitle)) fail(where, `duplicate aeTitle in the ${role} list`);
    seen.add(aeTitle);
    if (!Array.isArray(e.products) || e.products.length === 0) fail(where, 'products must be a non-empty array');
    if (!Array.isArray(e.source) || e.source.length === 0) fail(where, 'source must be a non-empty array');
    return {
      aeTitle,
      products: e.products.map((p: unknown, j) => str(`${where}.products[${j}]`, p)),
      source: e.source.map((s: unknown, j) => parseSource(`${where}.source[${j}]`, s)),
    };
  });
}

/** Validates AE-title data (the parsed JSON); throws AeTitleDataError naming the bad entry. */
export function parseAeTitles(raw: unknown): AeTitleDb {
  if (!isObj(raw)) fail('top level', 'must be an object');
  keys('top level', raw, ['version', 'description', 'called', 'calling']);
  if (raw.version !== 1) fail('top level', `version must be 1, found ${JSON.stringify(raw.version)}`);
  return { version: 1, called: parseList('called', raw.called), calling: parseList('calling', raw.calling) };
}

export function loadAeTitles(url: URL = new URL('./ae-titles.json', import.meta.url)): AeTitleDb {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(url, 'utf8'));
  } catch (e) {
    throw new AeTitleDataError(`ae-titles: cannot read ${url.pathname}: ${(e as Error).message}`);
  }
  return parseAeTitles(raw);
}

let defaultDb: AeTitleDb | null = null;

/** The bundled AE titles, loaded and validated on first use. */
export function aeTitles(): AeTitleDb {
  defaultDb ??= loadAeTitles();
  return defaultDb;
}

/**
 * The titles to try for one role, most likely first: titles of the hinted product (when the
 * product is known from elsewhere, e.g. a web banner) before the rest, minus those already
 * tried. Product names compare case-insensitively, as a prefix ("Orthanc" matches "Orthanc").
 */
export function candidateTitles(
  role: AeRole,
  opts: { readonly productHint?: string | null; readonly exclude?: readonly string[]; readonly db?: AeTitleDb } = {},
): string[] {
  const list = (opts.db ?? aeTitles())[role];
  const hint = opts.productHint?.trim().toLowerCase() || null;
  const hinted = hint ? list.filter((e) => e.products.some((p) => p.toLowerCase().startsWith(hint))) : [];
  const out: string[] = [];
  const seen = new Set((opts.exclude ?? []).map((t) => t.trim()));
  for (const e of [...hinted, ...list]) {
    if (seen.has(e.aeTitle)) continue;
    seen.add(e.aeTitle);
    out.push(e.aeTitle);
  }
  return out;
}
