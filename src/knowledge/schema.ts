/**
 * Shared validation for the assess knowledge files (cves.json, findings.json, honeypots.json,
 * risk-model.json): a strict hand-written checker (unknown keys fail, so typos fail loudly), the
 * `source` shape every entry carries, severities, and the small declarative condition language
 * that findings and honeypot tells are written in.
 *
 * Conditions name facts by dotted path. The vocabulary of paths is FACT_PATHS below: the
 * documented fields of AssessInput (src/assess/input.ts); a condition naming any other path is
 * rejected at load, so a renamed field cannot silently turn a rule off.
 */

export class KnowledgeDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KnowledgeDataError';
  }
}

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface SourceRef {
  readonly kind: 'source-code' | 'observed' | 'documentation' | 'package' | 'advisory' | 'cve-record';
  readonly ref: string;
  readonly url?: string;
  readonly note?: string;
}
const SOURCE_KINDS: readonly SourceRef['kind'][] = [
  'source-code',
  'observed',
  'documentation',
  'package',
  'advisory',
  'cve-record',
];

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validation helper that names the file and the entry in every message. */
export class Checker {
  readonly #where: string;
  readonly #error: new (message: string) => Error;
  /** `error`: what a failed check throws (a loader may keep an error class of its own). */
  constructor(file: string, where: string, error: new (message: string) => Error = KnowledgeDataError) {
    this.#where = `${file}: ${where}`;
    this.#error = error;
  }
  fail(msg: string): never {
    throw new this.#error(`${this.#where}: ${msg}`);
  }
  obj(v: unknown, what: string, allowed: readonly string[]): Obj {
    if (!isObj(v)) this.fail(`${what} must be an object`);
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.fail(`${what} has unknown key "${k}"`);
    return v;
  }
  str(v: unknown, what: string): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(`${what} must be a non-empty string`);
    return v;
  }
  optStr(v: unknown, what: string): string | undefined {
    return v === undefined ? undefined : this.str(v, what);
  }
  num(v: unknown, what: string, min = -Infinity, max = Infinity): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      this.fail(`${what} must be a number in [${min}, ${max}]`);
    return v;
  }
  bool(v: unknown, what: string): boolean {
    if (typeof v !== 'boolean') this.fail(`${what} must be a boolean`);
    return v;
  }
  arr(v: unknown, what: string, nonEmpty = true): unknown[] {
    if (!Array.isArray(v)) this.fail(`${what} must be an array`);
    if (nonEmpty && v.length === 0) this.fail(`${what} must not be empty`);
    return v;
  }
  strs(v: unknown, what: string, nonEmpty = true): string[] {
    return this.arr(v, what, nonEmpty).map((x, i) => this.str(x, `${what}[${i}]`));
  }
  severity(v: unknown, what: string): Severity {
    if (!SEVERITIES.includes(v as Severity)) this.fail(`${what} must be one of ${SEVERITIES.join(', ')}`);
    return v as Severity;
  }
  url(v: unknown, what: string): string {
    const s = this.str(v, what);
    if (!/^https:\/\/\S+$/.test(s)) this.fail(`${what} must be an https URL`);
    return s;
  }
  sources(v: unknown, what = 'source'): SourceRef[] {
    return this.arr(v, what).map((x, i) => {
      const o = this.obj(x, `${what}[${i}]`, ['kind', 'ref', 'url', 'note']);
      if (!SOURCE_KINDS.includes(o.kind as SourceRef['kind']))
        this.fail(`${what}[${i}].kind must be one of ${SOURCE_KINDS.join(', ')}`);
      const url = o.url === undefined ? undefined : this.url(o.url, `${what}[${i}].url`);
      const note = this.optStr(o.note, `${what}[${i}].note`);
      return {
        kind: o.kind as SourceRef['kind'],
        ref: this.str(o.ref, `${what}[${i}].ref`),
        ...(url !== undefined ? { url } : {}),
        ...(note !== undefined ? { note } : {}),
      };
    });
  }
}

// ---------------------------------------------------------------------------------------------
// fact vocabulary: the documented paths of AssessInput (src/assess/input.ts, docs/findings.md)

export type FactType = 'boolean' | 'number' | 'string' | 'string[]';

/** Every path a condition may name, with its type. Optional parts may be absent (undefined). */
export const FACT_PATHS: Readonly<Record<string, FactType>> = {
  'endpoint.host': 'string',
  'endpoint.port': 'number',
  'endpoint.service': 'string',
  'endpoint.status': 'string',
  'product.name': 'string',
  'product.version': 'string',
  'product.confidence': 'string',
  'product.ambiguousWith': 'string[]',
  'implementation.classUid': 'string',
  'implementation.versionName': 'string',
  'association.accepted': 'boolean',
  'association.rejected': 'boolean',
  'association.rejectMeaning': 'string',
  'association.calledAe': 'string',
  'association.callingAe': 'string',
  'association.acceptorMaxPdu': 'number',
  'transport.tls': 'boolean',
  'transport.protocol': 'string',
  'transport.cipher': 'string',
  'transport.authorized': 'boolean',
  'transport.selfSigned': 'boolean',
  'transport.expired': 'boolean',
  'echo.ok': 'boolean',
  'query.allowed': 'boolean',
  'query.patients': 'number',
  'query.studies': 'number',
  'query.instances': 'number',
  'query.instancesEstimated': 'boolean',
  'query.capped': 'boolean',
  'query.phiCategories': 'string[]',
  'query.phiCategoryCount': 'number',
  'services.echo': 'boolean',
  'services.find': 'boolean',
  'services.move': 'boolean',
  'services.get': 'boolean',
  'services.store': 'boolean',
  'services.storageClassCount': 'number',
  'exposure.level': 'string',
  'exposure.levels': 'string[]',
  'aeDiscovery.attempted': 'boolean',
  'aeDiscovery.attempts': 'number',
  'aeDiscovery.guessed': 'boolean',
  'aeDiscovery.accepted.calledAe': 'string',
  'aeDiscovery.accepted.callingAe': 'string',
  'retrieve.get.instanceReceived': 'boolean',
  'retrieve.get.instanceBytes': 'number',
  'retrieve.get.meaning': 'string',
  'retrieve.move.meaning': 'string',
  'web.orthancRest.unauthenticated': 'boolean',
  'web.orthancRest.version': 'string',
  'web.orthancRest.patients': 'number',
  'web.orthancRest.studies': 'number',
  'web.orthancRest.instances': 'number',
  'web.dicomweb.qidoUnauthenticated': 'boolean',
  'web.dicomweb.studies': 'number',
  'web.dicomweb.phiCategories': 'string[]',
  'web.viewer.detected': 'boolean',
  'web.viewer.name': 'string',
  'web.defaultCredentials.worked': 'boolean',
  'web.defaultCredentials.product': 'string',
  'web.https.tls': 'boolean',
  'web.https.protocol': 'string',
  'web.https.selfSigned': 'boolean',
  'web.https.expired': 'boolean',
  'derived.cveMatches': 'number',
  'derived.maxCveSeverity': 'string',
  'derived.versionKnown': 'boolean',
  'derived.honeypotSuspected': 'boolean',
  'derived.honeypotIds': 'string[]',
  'derived.protocolCves': 'string[]',
};

// ---------------------------------------------------------------------------------------------
// conditions

export type Scalar = string | number | boolean | null;

export type Condition =
  { readonly all: readonly Condition[] } | { readonly any: readonly Condition[] } | { readonly not: Condition } | Leaf;

export type LeafOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'includes' | 'exists' | 'nonEmpty';
const LEAF_OPS: readonly LeafOp[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'includes', 'exists', 'nonEmpty'];

export interface Leaf {
  readonly path: string;
  readonly op: LeafOp;
  readonly value: Scalar | readonly Scalar[];
}

function isScalar(v: unknown): v is Scalar {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

/**
 * Parses a condition written as JSON: {"all": [...]}, {"any": [...]}, {"not": {...}}, or a leaf
 * {"path": "query.patients", "gt": 0} with exactly one operator. The operator must fit the
 * path's type (gt on a number, includes on a list, ...).
 */
export function parseCondition(c: Checker, v: unknown, what: string): Condition {
  if (!isObj(v)) c.fail(`${what} must be an object`);
  if ('all' in v || 'any' in v) {
    const key = 'all' in v ? 'all' : 'any';
    c.obj(v, what, [key]);
    const parts = c.arr(v[key], `${what}.${key}`).map((x, i) => parseCondition(c, x, `${what}.${key}[${i}]`));
    return key === 'all' ? { all: parts } : { any: parts };
  }
  if ('not' in v) {
    c.obj(v, what, ['not']);
    return { not: parseCondition(c, v.not, `${what}.not`) };
  }
  const o = c.obj(v, what, ['path', ...LEAF_OPS]);
  const path = c.str(o.path, `${what}.path`);
  const type = FACT_PATHS[path];
  if (type === undefined) c.fail(`${what}.path names unknown fact "${path}" (see FACT_PATHS)`);
  const ops = LEAF_OPS.filter((k) => o[k] !== undefined);
  if (ops.length !== 1) c.fail(`${what} needs exactly one operator of ${LEAF_OPS.join(', ')}`);
  const op = ops[0] as LeafOp;
  const value = o[op];
  const bad = (msg: string): never => c.fail(`${what}: ${op} ${msg} (path "${path}" is ${type})`);
  switch (op) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (type !== 'number' || typeof value !== 'number') bad('needs a number fact and a number value');
      break;
    case 'eq':
    case 'ne':
      if (!isScalar(value) || type === 'string[]') bad('needs a scalar fact and a scalar value');
      if (value !== null && typeof value !== (type === 'string' ? 'string' : type)) bad('value has the wrong type');
      break;
    case 'in':
      if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar) || type === 'string[]')
        bad('needs a scalar fact and a non-empty list of scalars');
      break;
    case 'includes':
      if (type !== 'string[]' || typeof value !== 'string') bad('needs a list fact and a string value');
      break;
    case 'exists':
    case 'nonEmpty':
      if (typeof value !== 'boolean') bad('takes true or false');
      if (op === 'nonEmpty' && type !== 'string[]') bad('needs a list fact');
      break;
  }
  return { path, op, value: value as Scalar | readonly Scalar[] };
}

/** Every path a condition names (for documentation and evidence). */
export function conditionPaths(cond: Condition): string[] {
  if ('all' in cond) return [...new Set(cond.all.flatMap(conditionPaths))];
  if ('any' in cond) return [...new Set(cond.any.flatMap(conditionPaths))];
  if ('not' in cond) return conditionPaths(cond.not);
  return [cond.path];
}

/** A JSON file next to the loaders, parsed; read errors become KnowledgeDataError. */
export function readJson(url: URL, file: string, read: (u: URL) => string): unknown {
  try {
    return JSON.parse(read(url));
  } catch (e) {
    throw new KnowledgeDataError(`${file}: cannot read ${url.pathname}: ${(e as Error).message}`);
  }
}
