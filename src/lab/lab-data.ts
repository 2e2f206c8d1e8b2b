/**
 * Loader of the lab's data files: products.json (what the lab impersonates) and archetypes.json
 * (how endpoints are found). Validated once at load, strictly (unknown keys fail, so typos fail
 * loudly); every message names the file and the entry. Cross-checks: a product's fingerprint
 * example exists in src/knowledge/fingerprints.json, an archetype's products exist, omitted
 * keywords are PHI keywords, a refusal status is a failure status the DIMSE layer knows.
 *
 * The data is declarative; src/lab/profiles.ts interprets it (and owns the order in which the
 * seeded random source is drawn).
 */
import { readFileSync } from 'node:fs';
import { Checker, isObj, readJson } from '../knowledge/schema.ts';
import { aeTitleProblem } from '../knowledge/ae-titles.ts';
import { fingerprints, type FingerprintDb } from '../knowledge/fingerprints.ts';
import { PHI_KEYWORDS } from '../privacy/phi-categories.ts';
import { Status, TransferSyntax } from '../protocol/dimse/constants.ts';
import type { CountPolicy } from './archive.ts';

export { KnowledgeDataError as LabDataError } from '../knowledge/schema.ts';

/** Where a lab value comes from: a knowledge file, a documented/observed default, or a lab choice. */
export interface LabSource {
  readonly kind: 'knowledge' | 'documentation' | 'observed' | 'source-code' | 'simulation';
  readonly ref: string;
  readonly note?: string;
}
const SOURCE_KINDS: readonly LabSource['kind'][] = [
  'knowledge',
  'documentation',
  'observed',
  'source-code',
  'simulation',
];

export interface ProductDef {
  /** Lab id, e.g. 'orthanc'. */
  readonly id: string;
  /** What is simulated, in words (for people reading the ground truth). */
  readonly simulates: string;
  /** The fingerprints.json entry and example whose values this product announces. */
  readonly fingerprintId: string;
  readonly example: number;
  /** The product's usual AE title. */
  readonly defaultAe: string;
  /** Maximum PDU length announced in the AC (0 = unlimited). */
  readonly maxPduLength: number;
  /** Transfer syntax UIDs it accepts for query contexts, in its order of preference. */
  readonly transferSyntaxes: readonly string[];
  /** Adds (0008,0005) to every C-FIND response, asked for or not (Orthanc does). */
  readonly alwaysCharset: boolean;
}

/** A products.json entry: the product and where its values come from. */
export interface ProductEntry extends ProductDef {
  readonly source: readonly LabSource[];
}

/** Who may associate, as data (interpreted by profiles.ts `aePolicy`). */
export type AeSpec =
  | { readonly kind: 'any' }
  /** RJ 1/1/7 unless the called AE is `title` (default: the product's AE title). */
  | { readonly kind: 'called'; readonly title?: string }
  /** RJ 1/1/3 unless the calling AE is listed; the called AE is checked first when checkCalled. */
  | { readonly kind: 'calling-list'; readonly list: readonly string[]; readonly checkCalled: boolean };

export interface FindSpec {
  readonly studyRoot: boolean;
  readonly patientRoot: boolean;
  readonly hierarchical: boolean;
  /** Every C-FIND answered with this failure status, or null. */
  readonly refuseStatus: number | null;
  /** With probability `chance`, a result limit drawn from `choices`; null = never a limit. */
  readonly limit: { readonly chance: number; readonly choices: readonly number[] } | null;
}

export interface Archetype {
  readonly id: string;
  /** What it stands for, in words (goes into the ground truth). */
  readonly description: string;
  /** Copies in the deck (how common it is). */
  readonly weight: number;
  readonly products: readonly string[];
  /** Ports it prefers, most likely first. */
  readonly ports: readonly number[];
  readonly ae: AeSpec;
  readonly echo: boolean;
  readonly find: FindSpec | null;
  readonly move: boolean;
  readonly get: boolean;
  readonly store: boolean;
  readonly counts: CountPolicy;
  /** Study count range of the archive (when it answers C-FIND). */
  readonly studies: readonly [number, number];
  readonly omitKeywords?: readonly string[];
  readonly maxAssociations: number;
}

const PRODUCTS_FILE = 'products.json';
const ARCHETYPES_FILE = 'archetypes.json';
const COUNT_POLICIES: readonly CountPolicy[] = ['always', 'never', 'sometimes'];
const AE_KINDS: readonly AeSpec['kind'][] = ['any', 'called', 'calling-list'];
/** Failure statuses (PS3.7 C.4, PS3.4 C.4.1.1.4): refusals, not pending, warning or cancel. */
const FAILURE_STATUSES: ReadonlySet<number> = new Set(
  Object.values(Status).filter(
    (s) =>
      (s >= 0xa000 && s <= 0xafff) ||
      (s >= 0xc000 && s <= 0xcfff) ||
      (s >= 0x0105 && s <= 0x0213 && s !== 0x0107 && s !== 0x0116),
  ),
);

/** Names an entry by index and, when it has one, id: `archetypes[3] ("find-refused")`. */
function entryName(list: string, i: number, e: unknown): string {
  return isObj(e) && typeof e.id === 'string' ? `${list}[${i}] ("${e.id}")` : `${list}[${i}]`;
}

function top(c: Checker, raw: unknown, listKey: string): unknown[] {
  const o = c.obj(raw, 'top level', ['version', 'description', listKey]);
  if (o.version !== 1) c.fail(`version must be 1, found ${JSON.stringify(o.version)}`);
  c.str(o.description, 'description');
  return c.arr(o[listKey], listKey);
}

function int(c: Checker, v: unknown, what: string, min: number, max: number): number {
  const n = c.num(v, what, min, max);
  if (!Number.isInteger(n)) c.fail(`${what} must be a whole number`);
  return n;
}

function aeTitle(c: Checker, v: unknown, what: string): string {
  const s = c.str(v, what);
  const problem = aeTitleProblem(s);
  if (problem) c.fail(`${what} ${problem}`);
  return s;
}

function sources(c: Checker, v: unknown): LabSource[] {
  return c.arr(v, 'source').map((x, i) => {
    const o = c.obj(x, `source[${i}]`, ['kind', 'ref', 'note']);
    if (!SOURCE_KINDS.includes(o.kind as LabSource['kind']))
      c.fail(`source[${i}].kind must be one of ${SOURCE_KINDS.join(', ')}`);
    const note = c.optStr(o.note, `source[${i}].note`);
    return {
      kind: o.kind as LabSource['kind'],
      ref: c.str(o.ref, `source[${i}].ref`),
      ...(note !== undefined ? { note } : {}),
    };
  });
}

function unique(c: Checker, seen: Set<string>, id: string): void {
  if (seen.has(id)) c.fail(`duplicate id "${id}"`);
  seen.add(id);
}

/** Validates products.json (parsed); throws LabDataError naming the bad entry. */
export function parseProducts(raw: unknown, db: FingerprintDb = fingerprints()): ProductEntry[] {
  const list = top(new Checker(PRODUCTS_FILE, 'top level'), raw, 'products');
  const seen = new Set<string>();
  return list.map((e, i) => {
    const c: Checker = new Checker(PRODUCTS_FILE, entryName('products', i, e));
    const o = c.obj(e, 'entry', [
      'id',
      'simulates',
      'fingerprintId',
      'example',
      'defaultAe',
      'maxPduLength',
      'transferSyntaxes',
      'alwaysCharset',
      'source',
    ]);
    const id = c.str(o.id, 'id');
    unique(c, seen, id);
    const fingerprintId = c.str(o.fingerprintId, 'fingerprintId');
    const example = int(c, o.example, 'example', 0, 999);
    const f = db.fingerprints.find((x) => x.id === fingerprintId);
    if (!f) c.fail(`fingerprintId "${fingerprintId}" is not in src/knowledge/fingerprints.json`);
    if (!f.examples[example]) c.fail(`fingerprint "${fingerprintId}" has no example ${example}`);
    const syntaxes = c.strs(o.transferSyntaxes, 'transferSyntaxes').map((name) => {
      if (!Object.hasOwn(TransferSyntax, name))
        c.fail(`transferSyntaxes: "${name}" is not one of ${Object.keys(TransferSyntax).join(', ')}`);
      return TransferSyntax[name as keyof typeof TransferSyntax];
    });
    return {
      id,
      simulates: c.str(o.simulates, 'simulates'),
      fingerprintId,
      example,
      defaultAe: aeTitle(c, o.defaultAe, 'defaultAe'),
      maxPduLength: int(c, o.maxPduLength, 'maxPduLength', 0, 0xffffffff),
      transferSyntaxes: syntaxes,
      alwaysCharset: c.bool(o.alwaysCharset, 'alwaysCharset'),
      source: sources(c, o.source),
    };
  });
}

function parseAe(c: Checker, v: unknown): AeSpec {
  if (!isObj(v) || !AE_KINDS.includes(v.kind as AeSpec['kind']))
    c.fail(`ae.kind must be one of ${AE_KINDS.join(', ')}, found ${JSON.stringify(isObj(v) ? v.kind : v)}`);
  switch (v.kind as AeSpec['kind']) {
    case 'any':
      c.obj(v, 'ae', ['kind']);
      return { kind: 'any' };
    case 'called': {
      const o = c.obj(v, 'ae', ['kind', 'title']);
      return o.title === undefined ? { kind: 'called' } : { kind: 'called', title: aeTitle(c, o.title, 'ae.title') };
    }
    case 'calling-list': {
      const o = c.obj(v, 'ae', ['kind', 'list', 'checkCalled']);
      const list = c.arr(o.list, 'ae.list').map((x, i) => aeTitle(c, x, `ae.list[${i}]`));
      return { kind: 'calling-list', list, checkCalled: c.bool(o.checkCalled, 'ae.checkCalled') };
    }
  }
}

/** "0xC000" → 0xc000, when it is a failure status. */
function refuseStatus(c: Checker, v: unknown): number | null {
  if (v === null) return null;
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{4}$/.test(v))
    c.fail(`find.refuseStatus must be null or a status written 0xNNNN, found ${JSON.stringify(v)}`);
  const s = Number.parseInt(v.slice(2), 16);
  if (!FAILURE_STATUSES.has(s)) c.fail(`find.refuseStatus ${v} is not a failure status of Status (constants.ts)`);
  return s;
}

function parseFind(c: Checker, v: unknown): FindSpec | null {
  if (v === null) return null;
  const o = c.obj(v, 'find', ['studyRoot', 'patientRoot', 'hierarchical', 'refuseStatus', 'limit']);
  const studyRoot = c.bool(o.studyRoot, 'find.studyRoot');
  const patientRoot = c.bool(o.patientRoot, 'find.patientRoot');
  if (!studyRoot && !patientRoot) c.fail('find needs studyRoot or patientRoot (or find: null)');
  let limit: FindSpec['limit'] = null;
  if (o.limit !== null) {
    const l = c.obj(o.limit, 'find.limit', ['chance', 'choices']);
    const chance = c.num(l.chance, 'find.limit.chance', 0, 1);
    if (chance === 0) c.fail('find.limit.chance must be above 0 (or limit: null)');
    const choices = c.arr(l.choices, 'find.limit.choices').map((x, i) => int(c, x, `find.limit.choices[${i}]`, 1, 1e6));
    limit = { chance, choices };
  }
  return {
    studyRoot,
    patientRoot,
    hierarchical: c.bool(o.hierarchical, 'find.hierarchical'),
    refuseStatus: refuseStatus(c, o.refuseStatus),
    limit,
  };
}

/** Validates archetypes.json (parsed) against the products; throws LabDataError naming the bad entry. */
export function parseArchetypes(raw: unknown, products: readonly ProductDef[]): Archetype[] {
  const list = top(new Checker(ARCHETYPES_FILE, 'top level'), raw, 'archetypes');
  const productIds = new Set(products.map((p) => p.id));
  const seen = new Set<string>();
  return list.map((e, i) => {
    const c: Checker = new Checker(ARCHETYPES_FILE, entryName('archetypes', i, e));
    const o = c.obj(e, 'entry', [
      'id',
      'description',
      'weight',
      'products',
      'ports',
      'ae',
      'echo',
      'find',
      'move',
      'get',
      'store',
      'counts',
      'studies',
      'omitKeywords',
      'maxAssociations',
    ]);
    const id = c.str(o.id, 'id');
    unique(c, seen, id);
    const ps = c.strs(o.products, 'products');
    for (const p of ps) if (!productIds.has(p)) c.fail(`unknown product id "${p}" (not in ${PRODUCTS_FILE})`);
    const ports = c.arr(o.ports, 'ports').map((x, j) => int(c, x, `ports[${j}]`, 1, 65535));
    if (new Set(ports).size !== ports.length) c.fail('ports has a duplicate');
    const counts = o.counts as CountPolicy;
    if (!COUNT_POLICIES.includes(counts)) c.fail(`counts must be one of ${COUNT_POLICIES.join(', ')}`);
    const range = c.arr(o.studies, 'studies');
    if (range.length !== 2) c.fail('studies must be [min, max]');
    const lo = int(c, range[0], 'studies[0]', 0, 999_999);
    const hi = int(c, range[1], 'studies[1]', lo, 999_999);
    let omitKeywords: string[] | undefined;
    if (o.omitKeywords !== undefined) {
      omitKeywords = c.strs(o.omitKeywords, 'omitKeywords');
      for (const k of omitKeywords) if (!PHI_KEYWORDS.includes(k)) c.fail(`omitKeywords: "${k}" is not a PHI keyword`);
    }
    if (!('find' in o)) c.fail('find is required (null for no query service)');
    return {
      id,
      description: c.str(o.description, 'description'),
      weight: int(c, o.weight, 'weight', 1, 1000),
      products: ps,
      ports,
      ae: parseAe(c, o.ae),
      echo: c.bool(o.echo, 'echo'),
      find: parseFind(c, o.find),
      move: c.bool(o.move, 'move'),
      get: c.bool(o.get, 'get'),
      store: c.bool(o.store, 'store'),
      counts,
      studies: [lo, hi] as const,
      ...(omitKeywords !== undefined ? { omitKeywords } : {}),
      maxAssociations: int(c, o.maxAssociations, 'maxAssociations', 1, 10_000),
    };
  });
}

const read = (u: URL): string => readFileSync(u, 'utf8');

export function loadProducts(url: URL = new URL(`./${PRODUCTS_FILE}`, import.meta.url)): ProductEntry[] {
  return parseProducts(readJson(url, PRODUCTS_FILE, read));
}

export function loadArchetypes(
  products: readonly ProductDef[],
  url: URL = new URL(`./${ARCHETYPES_FILE}`, import.meta.url),
): Archetype[] {
  return parseArchetypes(readJson(url, ARCHETYPES_FILE, read), products);
}
