/**
 * Honeypot tells (honeypots.json): the published defaults of DICOM honeypots, as conditions over
 * the assessed facts. Validated once at load; the decision rule (one strong tell, or N supporting
 * tells of the same honeypot, one of them about identity) is data too.
 */
import { readFileSync } from 'node:fs';
import {
  Checker,
  KnowledgeDataError,
  isObj,
  parseCondition,
  readJson,
  type Condition,
  type Obj,
  type SourceRef,
} from './schema.ts';

const FILE = 'honeypots.json';

export interface HoneypotTell {
  readonly id: string;
  readonly strength: 'strong' | 'supporting';
  /** What the endpoint announces (identity) or how it behaves (behaviour). */
  readonly aspect: 'identity' | 'behaviour';
  readonly description: string;
  readonly when: Condition;
  readonly examples: { readonly fires: Obj; readonly quiet: Obj };
}

export interface Honeypot {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly source: readonly SourceRef[];
  readonly tells: readonly HoneypotTell[];
}

export interface HoneypotDb {
  readonly version: 1;
  readonly decision: { readonly strong: number; readonly supporting: number; readonly identityRequired: boolean };
  readonly honeypots: readonly Honeypot[];
}

const ID_SYNTAX = /^[a-z0-9][a-z0-9-]*$/;

function parseTell(c: Checker, v: unknown, what: string): HoneypotTell {
  const o = c.obj(v, what, ['id', 'strength', 'aspect', 'description', 'when', 'examples']);
  if (!ID_SYNTAX.test(c.str(o.id, `${what}.id`))) c.fail(`${what}.id must match ${ID_SYNTAX}`);
  if (o.strength !== 'strong' && o.strength !== 'supporting') c.fail(`${what}.strength must be strong or supporting`);
  if (o.aspect !== 'identity' && o.aspect !== 'behaviour') c.fail(`${what}.aspect must be identity or behaviour`);
  const ex = c.obj(o.examples, `${what}.examples`, ['fires', 'quiet']);
  if (!isObj(ex.fires) || !isObj(ex.quiet)) c.fail(`${what}.examples.fires and .quiet must be objects`);
  return {
    id: o.id as string,
    strength: o.strength,
    aspect: o.aspect,
    description: c.str(o.description, `${what}.description`),
    when: parseCondition(c, o.when, `${what}.when`),
    examples: { fires: ex.fires, quiet: ex.quiet },
  };
}

function parseHoneypot(v: unknown, i: number): Honeypot {
  const id = isObj(v) && typeof v.id === 'string' ? v.id : undefined;
  const c = new Checker(FILE, `honeypots[${i}]${id !== undefined ? ` (${id})` : ''}`);
  const o = c.obj(v, 'entry', ['id', 'name', 'url', 'source', 'tells']);
  if (!ID_SYNTAX.test(c.str(o.id, 'id'))) c.fail(`id must match ${ID_SYNTAX}`);
  return {
    id: o.id as string,
    name: c.str(o.name, 'name'),
    url: c.url(o.url, 'url'),
    source: c.sources(o.source),
    tells: c.arr(o.tells, 'tells').map((t, j) => parseTell(c, t, `tells[${j}]`)),
  };
}

/** Validates honeypot data (the parsed JSON); throws KnowledgeDataError naming the bad entry. */
export function parseHoneypots(raw: unknown): HoneypotDb {
  const c = new Checker(FILE, 'top level');
  const top = c.obj(raw, 'document', ['version', 'description', 'decision', 'honeypots']);
  if (top.version !== 1) c.fail(`version must be 1, found ${JSON.stringify(top.version)}`);
  const d = c.obj(top.decision, 'decision', ['strong', 'supporting', 'identityRequired']);
  const decision = {
    strong: c.num(d.strong, 'decision.strong', 1, 10),
    supporting: c.num(d.supporting, 'decision.supporting', 1, 10),
    identityRequired: c.bool(d.identityRequired, 'decision.identityRequired'),
  };
  const honeypots = c.arr(top.honeypots, 'honeypots').map(parseHoneypot);
  const seen = new Set<string>();
  for (const id of [...honeypots.map((h) => h.id), ...honeypots.flatMap((h) => h.tells.map((t) => t.id))]) {
    if (seen.has(id)) throw new KnowledgeDataError(`${FILE}: duplicate id "${id}"`);
    seen.add(id);
  }
  return { version: 1, decision, honeypots };
}

export function loadHoneypots(url: URL = new URL('./honeypots.json', import.meta.url)): HoneypotDb {
  return parseHoneypots(readJson(url, FILE, (u) => readFileSync(u, 'utf8')));
}

let cached: HoneypotDb | null = null;

/** The bundled tells, loaded and validated on first use. */
export function honeypots(): HoneypotDb {
  cached ??= loadHoneypots();
  return cached;
}
