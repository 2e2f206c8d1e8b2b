/**
 * Product fingerprints: which DICOM implementation an acceptor is, from the Implementation Class
 * UID and Implementation Version Name it announces (PS3.7 D.3.3.2).
 *
 * The knowledge is data (fingerprints.json, versioned); this module validates it once at load,
 * naming the bad entry when it is wrong, and matches against it. It knows nothing of sockets:
 * callers hand it the two strings from an A-ASSOCIATE-AC.
 *
 * Confidence, per fingerprint:
 * - high: both the class UID and the version name match;
 * - medium: one matches and the peer did not send the other (or the entry has no rule for it);
 * - low: one matches and the other contradicts it (a borrowed UID, a renamed build).
 * When another product matches equally well (Orthanc announces DCMTK's own values), the best
 * answer drops one level and names the alternatives in `ambiguousWith`; all matches are listed,
 * best first, in `candidates`.
 */
import { Checker as SchemaChecker, isObj } from './schema.ts';
import { readFileSync } from 'node:fs';

export type Confidence = 'high' | 'medium' | 'low';

export interface UidRule {
  readonly exact?: readonly string[];
  /** A UID root: matches the root itself or anything under it (root + '.'). */
  readonly prefix?: string;
  readonly regex?: RegExp;
}

export interface NameRule {
  readonly regex: RegExp;
  /** 'dot-digits' turns a captured '367' into '3.6.7'. */
  readonly transform?: 'dot-digits';
}

export interface SourceRef {
  readonly kind: 'source-code' | 'observed' | 'documentation' | 'package';
  readonly ref: string;
  readonly url?: string;
  readonly note?: string;
}

export interface FingerprintExample {
  readonly classUid?: string;
  readonly versionName?: string;
  readonly note?: string;
  readonly expect: {
    readonly name: string;
    readonly version: string | null;
    readonly confidence?: Confidence;
    readonly ambiguousWith?: readonly string[];
    /** Fingerprint ids that must all be among the candidates. */
    readonly candidates?: readonly string[];
  };
}

export interface Fingerprint {
  readonly id: string;
  readonly product: string;
  readonly vendor?: string;
  readonly classUid?: UidRule;
  readonly versionName?: NameRule;
  readonly ambiguousWith: readonly string[];
  readonly notes?: string;
  readonly distinguishBy?: string;
  readonly source: readonly SourceRef[];
  readonly examples: readonly FingerprintExample[];
}

export interface FingerprintDb {
  readonly version: 1;
  readonly fingerprints: readonly Fingerprint[];
}

export interface ProductCandidate {
  readonly name: string;
  readonly version: string | null;
  readonly fingerprintId: string;
  readonly confidence: Confidence;
}

export interface ProductMatch extends ProductCandidate {
  /** Other products that match as well as this one (names); empty when the answer is unique. */
  readonly ambiguousWith: readonly string[];
  /** Every fingerprint that matched, best first (this answer first, with its own confidence). */
  readonly candidates: readonly ProductCandidate[];
}

export interface ImplementationIds {
  readonly classUid?: string | null;
  readonly versionName?: string | null;
}

/** Thrown when fingerprints.json (or data handed to parseFingerprints) is malformed. */
export class FingerprintDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FingerprintDataError';
  }
}

// ---------------------------------------------------------------------------------------------
// validation: a hand-written schema check, strict about unknown keys so that typos fail loudly

const UID_SYNTAX = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/;
const ID_SYNTAX = /^[a-z0-9][a-z0-9-]*$/;
const CONFIDENCES: readonly Confidence[] = ['high', 'medium', 'low'];
const SOURCE_KINDS: readonly SourceRef['kind'][] = ['source-code', 'observed', 'documentation', 'package'];

/** The shared checks of src/knowledge/schema.ts, plus the two only fingerprints need. */
class Checker extends SchemaChecker {
  constructor(where: string) {
    super('fingerprints', where, FingerprintDataError);
  }
  uid(v: unknown, what: string): string {
    const s = this.str(v, what);
    if (s.length > 64 || !UID_SYNTAX.test(s)) this.fail(`${what} is not a valid UID: "${s}"`);
    return s;
  }
  regex(v: unknown, what: string): RegExp {
    const s = this.str(v, what);
    if (!s.startsWith('^') || !s.endsWith('$')) this.fail(`${what} must be anchored with ^ and $: "${s}"`);
    try {
      return new RegExp(s);
    } catch (e) {
      return this.fail(`${what} is not a valid regular expression: ${(e as Error).message}`);
    }
  }
}

function parseUidRule(c: Checker, v: unknown): UidRule {
  const o = c.obj(v, 'match.classUid', ['exact', 'prefix', 'regex']);
  const kinds = ['exact', 'prefix', 'regex'].filter((k) => o[k] !== undefined);
  if (kinds.length !== 1)
    c.fail(`match.classUid needs exactly one of exact, prefix, regex (has ${kinds.join(', ') || 'none'})`);
  if (o.exact !== undefined)
    return { exact: c.arr(o.exact, 'match.classUid.exact').map((u, i) => c.uid(u, `match.classUid.exact[${i}]`)) };
  if (o.prefix !== undefined) return { prefix: c.uid(o.prefix, 'match.classUid.prefix') };
  return { regex: c.regex(o.regex, 'match.classUid.regex') };
}

function parseNameRule(c: Checker, v: unknown): NameRule {
  const o = c.obj(v, 'match.versionName', ['regex', 'transform']);
  const regex = c.regex(o.regex, 'match.versionName.regex');
  if (o.transform === undefined) return { regex };
  if (o.transform !== 'dot-digits') c.fail(`match.versionName.transform must be "dot-digits"`);
  return { regex, transform: 'dot-digits' };
}

function parseSource(c: Checker, v: unknown, i: number): SourceRef {
  const o = c.obj(v, `source[${i}]`, ['kind', 'ref', 'url', 'note']);
  if (!SOURCE_KINDS.includes(o.kind as SourceRef['kind']))
    c.fail(`source[${i}].kind must be one of ${SOURCE_KINDS.join(', ')}`);
  const url = c.optStr(o.url, `source[${i}].url`);
  if (url !== undefined && !/^https:\/\//.test(url)) c.fail(`source[${i}].url must be an https URL`);
  const note = c.optStr(o.note, `source[${i}].note`);
  return {
    kind: o.kind as SourceRef['kind'],
    ref: c.str(o.ref, `source[${i}].ref`),
    ...(url !== undefined ? { url } : {}),
    ...(note !== undefined ? { note } : {}),
  };
}

function parseExample(c: Checker, v: unknown, i: number): FingerprintExample {
  const w = `examples[${i}]`;
  const o = c.obj(v, w, ['classUid', 'versionName', 'note', 'expect']);
  const classUid = c.optStr(o.classUid, `${w}.classUid`);
  const versionName = c.optStr(o.versionName, `${w}.versionName`);
  if (classUid === undefined && versionName === undefined) c.fail(`${w} needs classUid or versionName`);
  const e = c.obj(o.expect, `${w}.expect`, ['name', 'version', 'confidence', 'ambiguousWith', 'candidates']);
  if (e.version !== null && typeof e.version !== 'string') c.fail(`${w}.expect.version must be a string or null`);
  if (e.confidence !== undefined && !CONFIDENCES.includes(e.confidence as Confidence)) {
    c.fail(`${w}.expect.confidence must be one of ${CONFIDENCES.join(', ')}`);
  }
  const note = c.optStr(o.note, `${w}.note`);
  return {
    ...(classUid !== undefined ? { classUid } : {}),
    ...(versionName !== undefined ? { versionName } : {}),
    ...(note !== undefined ? { note } : {}),
    expect: {
      name: c.str(e.name, `${w}.expect.name`),
      version: e.version as string | null,
      ...(e.confidence !== undefined ? { confidence: e.confidence as Confidence } : {}),
      ...(e.ambiguousWith !== undefined
        ? {
            ambiguousWith: c
              .arr(e.ambiguousWith, `${w}.expect.ambiguousWith`, false)
              .map((x, j) => c.str(x, `${w}.expect.ambiguousWith[${j}]`)),
          }
        : {}),
      ...(e.candidates !== undefined
        ? {
            candidates: c
              .arr(e.candidates, `${w}.expect.candidates`)
              .map((x, j) => c.str(x, `${w}.expect.candidates[${j}]`)),
          }
        : {}),
    },
  };
}

function parseFingerprint(v: unknown, i: number): Fingerprint {
  const id = isObj(v) && typeof v.id === 'string' ? v.id : undefined;
  const c = new Checker(`fingerprints[${i}]${id !== undefined ? ` (id "${id}")` : ''}`);
  const o = c.obj(v, 'entry', [
    'id',
    'product',
    'vendor',
    'match',
    'ambiguousWith',
    'notes',
    'distinguishBy',
    'source',
    'examples',
  ]);
  if (!ID_SYNTAX.test(c.str(o.id, 'id'))) c.fail(`id must match ${ID_SYNTAX}`);
  const m = c.obj(o.match, 'match', ['classUid', 'versionName']);
  if (m.classUid === undefined && m.versionName === undefined) c.fail('match needs classUid or versionName');
  const vendor = c.optStr(o.vendor, 'vendor');
  const notes = c.optStr(o.notes, 'notes');
  const distinguishBy = c.optStr(o.distinguishBy, 'distinguishBy');
  return {
    id: o.id as string,
    product: c.str(o.product, 'product'),
    ...(vendor !== undefined ? { vendor } : {}),
    ...(m.classUid !== undefined ? { classUid: parseUidRule(c, m.classUid) } : {}),
    ...(m.versionName !== undefined ? { versionName: parseNameRule(c, m.versionName) } : {}),
    ambiguousWith:
      o.ambiguousWith === undefined
        ? []
        : c.arr(o.ambiguousWith, 'ambiguousWith').map((x, j) => c.str(x, `ambiguousWith[${j}]`)),
    ...(notes !== undefined ? { notes } : {}),
    ...(distinguishBy !== undefined ? { distinguishBy } : {}),
    source: c.arr(o.source, 'source').map((s, j) => parseSource(c, s, j)),
    examples: c.arr(o.examples, 'examples').map((x, j) => parseExample(c, x, j)),
  };
}

/** Validates fingerprint data (the parsed JSON) and compiles its rules; throws FingerprintDataError. */
export function parseFingerprints(raw: unknown): FingerprintDb {
  const c = new Checker('top level');
  const top = c.obj(raw, 'document', ['version', 'description', 'fingerprints']);
  if (top.version !== 1) c.fail(`version must be 1, found ${JSON.stringify(top.version)}`);
  const fingerprints = c.arr(top.fingerprints, 'fingerprints').map(parseFingerprint);
  const ids = new Set<string>();
  for (const f of fingerprints) {
    if (ids.has(f.id)) throw new FingerprintDataError(`fingerprints: duplicate id "${f.id}"`);
    ids.add(f.id);
  }
  for (const f of fingerprints) {
    for (const other of f.ambiguousWith) {
      if (!ids.has(other) || other === f.id) {
        throw new FingerprintDataError(`fingerprints: id "${f.id}": ambiguousWith names unknown id "${other}"`);
      }
    }
    f.examples.forEach((e, j) => {
      for (const cand of e.expect.candidates ?? []) {
        if (!ids.has(cand))
          throw new FingerprintDataError(
            `fingerprints: id "${f.id}": examples[${j}].expect.candidates names unknown id "${cand}"`,
          );
      }
    });
  }
  return { version: 1, fingerprints };
}

/** Reads and validates a fingerprint file. */
export function loadFingerprints(url: URL = new URL('./fingerprints.json', import.meta.url)): FingerprintDb {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(url, 'utf8'));
  } catch (e) {
    throw new FingerprintDataError(`fingerprints: cannot read ${url.pathname}: ${(e as Error).message}`);
  }
  return parseFingerprints(raw);
}

let defaultDb: FingerprintDb | null = null;

/** The bundled fingerprints, loaded and validated on first use. */
export function fingerprints(): FingerprintDb {
  defaultDb ??= loadFingerprints();
  return defaultDb;
}

// ---------------------------------------------------------------------------------------------
// matching

/** Peers pad with spaces (SH) or NUL (UI); an empty value counts as absent. */
function clean(v: string | null | undefined): string | null {
  if (typeof v !== 'string') return null;
  const s = v.replace(/[\s\0]+$/, '').replace(/^\s+/, '');
  return s.length > 0 ? s : null;
}

type Outcome =
  { readonly kind: 'match'; readonly version: string | null } | { readonly kind: 'mismatch' | 'absent' | 'no-rule' };

function groupVersion(m: RegExpExecArray): string | null {
  const v = m.groups?.version;
  return v !== undefined && v.length > 0 ? v : null;
}

function testUid(rule: UidRule | undefined, uid: string | null): Outcome {
  if (!rule) return { kind: 'no-rule' };
  if (uid === null) return { kind: 'absent' };
  if (rule.exact) return rule.exact.includes(uid) ? { kind: 'match', version: null } : { kind: 'mismatch' };
  if (rule.prefix !== undefined) {
    return uid === rule.prefix || uid.startsWith(`${rule.prefix}.`)
      ? { kind: 'match', version: null }
      : { kind: 'mismatch' };
  }
  const m = rule.regex ? rule.regex.exec(uid) : null;
  return m ? { kind: 'match', version: groupVersion(m) } : { kind: 'mismatch' };
}

function testName(rule: NameRule | undefined, name: string | null): Outcome {
  if (!rule) return { kind: 'no-rule' };
  if (name === null) return { kind: 'absent' };
  const m = rule.regex.exec(name);
  if (!m) return { kind: 'mismatch' };
  const v = groupVersion(m);
  return { kind: 'match', version: v !== null && rule.transform === 'dot-digits' ? v.split('').join('.') : v };
}

const RANK: Record<Confidence, number> = { high: 3, medium: 2, low: 1 };
const LOWER: Record<Confidence, Confidence> = { high: 'medium', medium: 'low', low: 'low' };

/** How specific a class UID rule is, to order equally confident candidates. */
function specificity(rule: UidRule | undefined): number {
  if (!rule) return 0;
  return rule.exact ? 3 : rule.regex ? 2 : 1;
}

/**
 * Which product announced these values, or null when nothing matches (or nothing was given).
 * Only the two strings are looked at; both are trimmed of trailing spaces/NULs first.
 */
export function identifyProduct(ids: ImplementationIds, db: FingerprintDb = fingerprints()): ProductMatch | null {
  const uid = clean(ids.classUid);
  const name = clean(ids.versionName);
  if (uid === null && name === null) return null;

  const scored: Array<{ cand: ProductCandidate; score: number; order: number }> = [];
  db.fingerprints.forEach((f, order) => {
    const u = testUid(f.classUid, uid);
    const n = testName(f.versionName, name);
    if (u.kind !== 'match' && n.kind !== 'match') return;
    let confidence: Confidence;
    if (u.kind === 'match' && n.kind === 'match') confidence = 'high';
    else if (u.kind === 'mismatch' || n.kind === 'mismatch') confidence = 'low';
    else confidence = 'medium';
    const version = (u.kind === 'match' ? u.version : null) ?? (n.kind === 'match' ? n.version : null);
    scored.push({
      cand: { name: f.product, version, fingerprintId: f.id, confidence },
      score: RANK[confidence] * 10 + (u.kind === 'match' ? specificity(f.classUid) : 0) + (n.kind === 'match' ? 1 : 0),
      order,
    });
  });
  if (scored.length === 0) return null;
  scored.sort((a, b) => b.score - a.score || a.order - b.order);

  const best = (scored[0] as (typeof scored)[number]).cand;
  const ambiguousWith = [
    ...new Set(
      scored
        .filter((s) => s.cand !== best && s.cand.confidence === best.confidence && s.cand.name !== best.name)
        .map((s) => s.cand.name),
    ),
  ];
  return {
    ...best,
    confidence: ambiguousWith.length > 0 ? LOWER[best.confidence] : best.confidence,
    ambiguousWith,
    candidates: scored.map((s) => s.cand),
  };
}
