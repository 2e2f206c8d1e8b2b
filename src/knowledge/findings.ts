/**
 * The findings catalogue (findings.json): each finding a data entry with a trigger written in the
 * condition language of schema.ts. Validated once at load: unknown keys, bad severities, unknown
 * fact paths and missing examples are errors naming the entry.
 */
import { readFileSync } from 'node:fs';
import {
  Checker,
  FACT_PATHS,
  KnowledgeDataError,
  isObj,
  parseCondition,
  readJson,
  type Condition,
  type Obj,
  type Severity,
} from './schema.ts';

const FILE = 'findings.json';

export interface SeverityRule {
  readonly when: Condition;
  readonly severity: Severity;
}

export interface FindingDef {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly severityRules: readonly SeverityRule[];
  readonly description: string;
  readonly remediation: readonly string[];
  readonly references: readonly string[];
  readonly tags: readonly string[];
  readonly trigger: Condition;
  /** Extra fact paths reported with the finding. */
  readonly evidence: readonly string[];
  readonly perMatch: 'product-cve' | null;
  readonly relatedCves: readonly string[];
  /** Overlays on a closed-door endpoint: `fires` must raise the finding, `quiet` must not. */
  readonly examples: { readonly fires: readonly Obj[]; readonly quiet: readonly Obj[] };
}

export interface FindingsDb {
  readonly version: 1;
  readonly findings: readonly FindingDef[];
}

const ID_SYNTAX = /^[a-z0-9][a-z0-9-]*$/;

function parseFinding(v: unknown, i: number): FindingDef {
  const id = isObj(v) && typeof v.id === 'string' ? v.id : undefined;
  const c = new Checker(FILE, `findings[${i}]${id !== undefined ? ` (${id})` : ''}`);
  const o = c.obj(v, 'entry', [
    'id',
    'title',
    'severity',
    'severityRules',
    'description',
    'remediation',
    'references',
    'tags',
    'trigger',
    'evidence',
    'perMatch',
    'relatedCves',
    'examples',
  ]);
  if (!ID_SYNTAX.test(c.str(o.id, 'id'))) c.fail(`id must match ${ID_SYNTAX}`);
  const severityRules = (o.severityRules === undefined ? [] : c.arr(o.severityRules, 'severityRules')).map((r, j) => {
    const ro = c.obj(r, `severityRules[${j}]`, ['when', 'severity']);
    return {
      when: parseCondition(c, ro.when, `severityRules[${j}].when`),
      severity: c.severity(ro.severity, `severityRules[${j}].severity`),
    };
  });
  const evidence = o.evidence === undefined ? [] : c.strs(o.evidence, 'evidence', false);
  for (const p of evidence) if (FACT_PATHS[p] === undefined) c.fail(`evidence names unknown fact "${p}"`);
  if (o.perMatch !== undefined && o.perMatch !== 'product-cve') c.fail('perMatch must be "product-cve"');
  const ex = c.obj(o.examples, 'examples', ['fires', 'quiet']);
  const overlays = (x: unknown, what: string): Obj[] =>
    c.arr(x, what).map((e, j): Obj => (isObj(e) ? e : c.fail(`${what}[${j}] must be an object`)));
  return {
    id: o.id as string,
    title: c.str(o.title, 'title'),
    severity: c.severity(o.severity, 'severity'),
    severityRules,
    description: c.str(o.description, 'description'),
    remediation: c.strs(o.remediation, 'remediation'),
    references: c.arr(o.references, 'references').map((u, j) => c.url(u, `references[${j}]`)),
    tags: c.strs(o.tags, 'tags'),
    trigger: parseCondition(c, o.trigger, 'trigger'),
    evidence,
    perMatch: o.perMatch === 'product-cve' ? 'product-cve' : null,
    relatedCves: o.relatedCves === undefined ? [] : c.strs(o.relatedCves, 'relatedCves'),
    examples: { fires: overlays(ex.fires, 'examples.fires'), quiet: overlays(ex.quiet, 'examples.quiet') },
  };
}

/** Validates findings data (the parsed JSON); throws KnowledgeDataError naming the bad entry. */
export function parseFindings(raw: unknown): FindingsDb {
  const c = new Checker(FILE, 'top level');
  const top = c.obj(raw, 'document', ['version', 'description', 'findings']);
  if (top.version !== 1) c.fail(`version must be 1, found ${JSON.stringify(top.version)}`);
  const findings = c.arr(top.findings, 'findings').map(parseFinding);
  const seen = new Set<string>();
  for (const f of findings) {
    if (seen.has(f.id)) throw new KnowledgeDataError(`${FILE}: duplicate id "${f.id}"`);
    seen.add(f.id);
  }
  return { version: 1, findings };
}

export function loadFindings(url: URL = new URL('./findings.json', import.meta.url)): FindingsDb {
  return parseFindings(readJson(url, FILE, (u) => readFileSync(u, 'utf8')));
}

let cached: FindingsDb | null = null;

/** The bundled catalogue, loaded and validated on first use. */
export function findings(): FindingsDb {
  cached ??= loadFindings();
  return cached;
}
