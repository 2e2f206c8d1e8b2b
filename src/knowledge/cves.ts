/**
 * Known-vulnerability rules (cves.json): product + version ranges, and protocol-level rules that
 * apply to any product when a condition over the assessed facts holds. Validated once at load,
 * naming the bad entry. Matching a product version is pure: no network, no clock.
 */
import { readFileSync } from 'node:fs';
import {
  Checker,
  KnowledgeDataError,
  parseCondition,
  readJson,
  type Condition,
  type Severity,
  type SourceRef,
} from './schema.ts';

const FILE = 'cves.json';

export interface VersionRange {
  /** Inclusive; "0" means every earlier version. */
  readonly introduced: string;
  /** First unaffected version (exclusive edge). */
  readonly fixed?: string;
  /** Last affected version (inclusive edge). */
  readonly lastAffected?: string;
}

export interface Cvss {
  readonly version: string;
  readonly score: number;
  readonly vector: string | null;
  readonly by: string;
}

interface RuleBase {
  readonly id: string;
  readonly severity: Severity;
  readonly severityBasis: 'cvss' | 'assessed';
  readonly cvss: Cvss | null;
  readonly summary: string;
  readonly reachableBy: string;
  readonly references: readonly string[];
  readonly source: readonly SourceRef[];
}

export interface ProductRule extends RuleBase {
  readonly kind: 'product';
  readonly product: string;
  readonly affected: readonly VersionRange[];
}

export interface ProtocolRule extends RuleBase {
  readonly kind: 'protocol';
  readonly when: Condition;
}

export type CveRule = ProductRule | ProtocolRule;

export interface CveDb {
  readonly version: 1;
  readonly rules: readonly CveRule[];
}

// ---------------------------------------------------------------------------------------------
// versions

/**
 * A version as numeric segments: '3.6.7' → [3, 6, 7], '1.10.1' → [1, 10, 1]. Anything else
 * ('3.6.9+DEV', 'mainline', '') is not comparable and gives null: no range claims it.
 */
export function parseVersion(v: string): number[] | null {
  const s = v.trim();
  if (!/^\d+(\.\d+)*$/.test(s)) return null;
  return s.split('.').map(Number);
}

/** Numeric segment-wise comparison; missing trailing segments count as 0 ('3.6' == '3.6.0'). */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (x === null || y === null) throw new RangeError(`not a comparable version: "${x === null ? a : b}"`);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export function inRange(version: string, r: VersionRange): boolean {
  if (r.introduced !== '0' && compareVersions(version, r.introduced) < 0) return false;
  if (r.fixed !== undefined && compareVersions(version, r.fixed) >= 0) return false;
  if (r.lastAffected !== undefined && compareVersions(version, r.lastAffected) > 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// validation

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

function parseRange(c: Checker, v: unknown, what: string): VersionRange {
  const o = c.obj(v, what, ['introduced', 'fixed', 'lastAffected']);
  const introduced = c.str(o.introduced, `${what}.introduced`);
  const fixed = c.optStr(o.fixed, `${what}.fixed`);
  const lastAffected = c.optStr(o.lastAffected, `${what}.lastAffected`);
  if (fixed !== undefined && lastAffected !== undefined) c.fail(`${what} takes fixed or lastAffected, not both`);
  for (const [k, s] of [
    ['introduced', introduced],
    ['fixed', fixed],
    ['lastAffected', lastAffected],
  ] as const) {
    if (s !== undefined && parseVersion(s) === null) c.fail(`${what}.${k} is not a numeric version: "${s}"`);
  }
  const upper = fixed ?? lastAffected;
  if (introduced !== '0' && upper !== undefined) {
    const d = compareVersions(introduced, upper);
    if (d > 0 || (d === 0 && fixed !== undefined)) c.fail(`${what} is empty (introduced ${introduced}, ${upper})`);
  }
  return {
    introduced,
    ...(fixed !== undefined ? { fixed } : {}),
    ...(lastAffected !== undefined ? { lastAffected } : {}),
  };
}

function parseCvss(c: Checker, v: unknown): Cvss | null {
  if (v === null) return null;
  const o = c.obj(v, 'cvss', ['version', 'score', 'vector', 'by']);
  if (o.vector !== null && (typeof o.vector !== 'string' || !/^CVSS:3\.[01]\//.test(o.vector)))
    c.fail('cvss.vector must be a CVSS:3.x vector string or null');
  return {
    version: c.str(o.version, 'cvss.version'),
    score: c.num(o.score, 'cvss.score', 0, 10),
    vector: o.vector as string | null,
    by: c.str(o.by, 'cvss.by'),
  };
}

/** CVSS v3 qualitative rating (FIRST CVSS v3.1 specification, section 5). */
export function cvssSeverity(score: number): Severity {
  if (score === 0) return 'info';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

function parseRule(v: unknown, i: number): CveRule {
  const id = typeof (v as { id?: unknown })?.id === 'string' ? (v as { id: string }).id : undefined;
  const c: Checker = new Checker(FILE, `rules[${i}]${id !== undefined ? ` (${id})` : ''}`);
  const common = ['id', 'kind', 'severity', 'severityBasis', 'cvss', 'summary', 'reachableBy', 'references', 'source'];
  const kind = (v as { kind?: unknown })?.kind;
  const o = c.obj(v, 'entry', kind === 'protocol' ? [...common, 'when'] : [...common, 'product', 'affected']);
  if (!CVE_ID.test(c.str(o.id, 'id'))) c.fail(`id must look like CVE-YYYY-NNNN`);
  const severity = c.severity(o.severity, 'severity');
  const basis = o.severityBasis;
  if (basis !== 'cvss' && basis !== 'assessed') return c.fail('severityBasis must be cvss or assessed');
  const cvss = parseCvss(c, o.cvss);
  if (basis === 'cvss') {
    if (cvss === null) return c.fail('severityBasis cvss needs a cvss score');
    if (cvssSeverity(cvss.score) !== severity)
      c.fail(`severity ${severity} does not match CVSS ${cvss.score} (${cvssSeverity(cvss.score)})`);
  }
  const base: RuleBase = {
    id: o.id as string,
    severity,
    severityBasis: basis,
    cvss,
    summary: c.str(o.summary, 'summary'),
    reachableBy: c.str(o.reachableBy, 'reachableBy'),
    references: c.arr(o.references, 'references').map((u, j) => c.url(u, `references[${j}]`)),
    source: c.sources(o.source),
  };
  if (kind === 'protocol') return { ...base, kind: 'protocol', when: parseCondition(c, o.when, 'when') };
  if (kind !== 'product') c.fail('kind must be product or protocol');
  return {
    ...base,
    kind: 'product',
    product: c.str(o.product, 'product'),
    affected: c.arr(o.affected, 'affected').map((r, j) => parseRange(c, r, `affected[${j}]`)),
  };
}

/** Validates CVE rule data (the parsed JSON); throws KnowledgeDataError naming the bad entry. */
export function parseCves(raw: unknown): CveDb {
  const c = new Checker(FILE, 'top level');
  const top = c.obj(raw, 'document', ['version', 'description', 'rules']);
  if (top.version !== 1) c.fail(`version must be 1, found ${JSON.stringify(top.version)}`);
  const rules = c.arr(top.rules, 'rules').map(parseRule);
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.id)) throw new KnowledgeDataError(`${FILE}: duplicate id "${r.id}"`);
    seen.add(r.id);
  }
  return { version: 1, rules };
}

export function loadCves(url: URL = new URL('./cves.json', import.meta.url)): CveDb {
  return parseCves(readJson(url, FILE, (u) => readFileSync(u, 'utf8')));
}

let cached: CveDb | null = null;

/** The bundled rules, loaded and validated on first use. */
export function cves(): CveDb {
  cached ??= loadCves();
  return cached;
}

// ---------------------------------------------------------------------------------------------
// matching

export interface ProductCveMatch {
  readonly rule: ProductRule;
  readonly range: VersionRange;
}

export interface ProductCveResult {
  readonly matches: readonly ProductCveMatch[];
  /** Why nothing could be matched although rules exist for the product (no or odd version). */
  readonly note: string | null;
}

/** Product rules that cover this product and version; an unknown version matches nothing and says so. */
export function matchProductCves(
  product: string | null | undefined,
  version: string | null | undefined,
  db: CveDb = cves(),
): ProductCveResult {
  if (!product) return { matches: [], note: null };
  const rules = db.rules.filter(
    (r): r is ProductRule => r.kind === 'product' && r.product.toLowerCase() === product.toLowerCase(),
  );
  if (rules.length === 0) return { matches: [], note: null };
  if (!version) return { matches: [], note: `version unknown: ${rules.length} ${product} CVE rule(s) not evaluated` };
  if (parseVersion(version) === null)
    return {
      matches: [],
      note: `version "${version}" is not comparable: ${rules.length} ${product} CVE rule(s) not evaluated`,
    };
  const matches: ProductCveMatch[] = [];
  for (const rule of rules) {
    const range = rule.affected.find((r) => inRange(version, r));
    if (range) matches.push({ rule, range });
  }
  return { matches, note: null };
}
