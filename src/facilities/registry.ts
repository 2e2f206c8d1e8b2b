/**
 * Facility registry (`--facilities FILE`, CSV or YAML): who owns which addresses, and thereby
 * what may be contacted at all. The registry is both the target list and the authorised scope.
 *
 * Fields (CSV columns or YAML keys, case-insensitive, `_`/`-`/spaces ignored):
 *   id                       required, unique; letters, digits and . _ : -
 *   name                     required
 *   region | state | province
 *   country                  required, ISO 3166-1 alpha-2 (XK accepted)
 *   contact | email | contact_email | security_contact   (a warning when missing)
 *   ranges | hosts | targets | addresses                 one or more, separated by ; | or spaces:
 *                            addresses, CIDRs, ranges, octet patterns, hostnames
 *   exclude                  same forms, never contacted (applies to the whole scan)
 *   lat, lon | lng           optional, both or neither
 *
 * Errors (all of them, with line numbers) throw a RegistryError; overlaps between facilities,
 * duplicate ranges and doubtful hostnames are warnings. Hostnames are resolved once, at load:
 * each resolved address enters the scope as an exact address labelled with the facility and the
 * name that brought it, wins `facilityFor` for that address (most specific), and is what gets
 * scanned, so a later DNS answer can never widen the scope.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { Scope } from '../scope/scope.ts';
import { type Family, formatAddress, parseAddress } from '../targets/address.ts';
import { type Interval, intervalToCidrs } from '../targets/intervals.ts';
import { TargetSpecError, parseTargetSpec } from '../targets/spec.ts';
import { TargetSet, systemResolver, type PinnedHost, type Resolver } from '../targets/target-set.ts';
import { CsvError, parseCsv } from './csv.ts';

export interface FacilityRange {
  readonly spec: string;
  readonly line: number | null;
  readonly v4: readonly Interval[];
  readonly v6: readonly Interval[];
}

export interface FacilityHost {
  readonly name: string;
  readonly line: number | null;
  /** Canonical addresses from the resolution at load; empty until resolved or when it failed. */
  readonly addresses: readonly string[];
  /** Why resolution failed; null when resolved or not yet tried. */
  readonly error: string | null;
  readonly resolved: boolean;
}

export interface Facility {
  readonly id: string;
  readonly name: string;
  readonly region: string | null;
  readonly country: string;
  readonly contact: string | null;
  readonly ranges: readonly FacilityRange[];
  readonly hosts: readonly FacilityHost[];
  readonly exclude: readonly FacilityRange[];
  readonly lat: number | null;
  readonly lon: number | null;
  /** Line where the facility is defined. */
  readonly line: number | null;
}

export interface RegistryIssue {
  readonly level: 'error' | 'warning';
  readonly source: string;
  readonly line: number | null;
  readonly facility: string | null;
  readonly message: string;
}

export function formatIssue(i: RegistryIssue): string {
  return `${i.source}${i.line !== null ? `:${i.line}` : ''}: ${i.level}: ${i.facility ? `facility ${i.facility}: ` : ''}${i.message}`;
}

export class RegistryError extends Error {
  readonly issues: readonly RegistryIssue[];
  constructor(issues: readonly RegistryIssue[]) {
    const errors = issues.filter((i) => i.level === 'error');
    super(
      `facility registry has ${errors.length} error${errors.length === 1 ? '' : 's'}:\n  ${errors.map(formatIssue).join('\n  ')}`,
    );
    this.name = 'RegistryError';
    this.issues = issues;
  }
}

export type RegistryFormat = 'csv' | 'yaml';

const COUNTRIES: ReadonlySet<string> = new Set(
  Object.keys(
    (
      JSON.parse(readFileSync(new URL('./iso3166-alpha2.json', import.meta.url), 'utf8')) as {
        codes: Record<string, string>;
      }
    ).codes,
  ),
);
/** User-assigned, but what the EU and most registries use for Kosovo. */
const EXTRA_COUNTRIES: ReadonlySet<string> = new Set(['XK']);
const COUNTRY_HINTS: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR' };

const FIELD_ALIASES: Readonly<Record<string, string>> = {
  id: 'id',
  facilityid: 'id',
  name: 'name',
  facilityname: 'name',
  region: 'region',
  state: 'state',
  province: 'region',
  country: 'country',
  countrycode: 'country',
  contact: 'contact',
  email: 'contact',
  contactemail: 'contact',
  securitycontact: 'contact',
  ranges: 'ranges',
  range: 'ranges',
  hosts: 'ranges',
  host: 'ranges',
  targets: 'ranges',
  addresses: 'ranges',
  networks: 'ranges',
  exclude: 'exclude',
  excludes: 'exclude',
  exclusions: 'exclude',
  lat: 'lat',
  latitude: 'lat',
  lon: 'lon',
  lng: 'lon',
  long: 'lon',
  longitude: 'lon',
};

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const EMAIL_RE = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;

/** One field of one facility as found in the file, before validation. */
interface RawField {
  readonly value: unknown;
  readonly line: number | null;
  /** The text as written, when the format keeps it (YAML scalars). */
  readonly raw?: string;
}

interface RawFacility {
  readonly line: number | null;
  readonly fields: Map<string, RawField[]>;
}

export function normaliseFieldName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

export class FacilityRegistry {
  readonly source: string;
  readonly facilities: readonly Facility[];
  readonly warnings: readonly RegistryIssue[];
  private readonly byId: ReadonlyMap<string, Facility>;
  private index: { v4: SegmentIndex; v6: SegmentIndex } | null = null;

  constructor(source: string, facilities: readonly Facility[], warnings: readonly RegistryIssue[]) {
    this.source = source;
    this.facilities = facilities;
    this.warnings = warnings;
    this.byId = new Map(facilities.map((f) => [f.id, f]));
  }

  get(id: string): Facility | undefined {
    return this.byId.get(id);
  }

  /** Hostnames not resolved yet (resolution has not run). */
  unresolvedHosts(): Array<{ facility: string; host: string }> {
    return this.facilities.flatMap((f) =>
      f.hosts.filter((h) => !h.resolved).map((h) => ({ facility: f.id, host: h.name })),
    );
  }

  /**
   * What may be contacted: the union of every facility's ranges and resolved host addresses,
   * minus every exclusion. Entries are labelled `facility ID (source:line): spec`.
   */
  scope(): Scope {
    const scope = new Scope();
    for (const f of this.facilities) {
      for (const r of f.ranges) scope.allow(r.spec, `facility ${f.id} (${this.where(r.line)}): ${r.spec}`);
      for (const h of f.hosts)
        for (const a of h.addresses) scope.allow(a, `facility ${f.id} (${this.where(h.line)}): host ${h.name}`);
    }
    for (const f of this.facilities)
      for (const r of f.exclude) scope.exclude(r.spec, `facility ${f.id} (${this.where(r.line)}): exclude ${r.spec}`);
    return scope;
  }

  /** The facility owning an address: the one with the most specific (smallest) range holding it; on a tie, the first listed. */
  facilityFor(address: string): string | null {
    return this.facilityOf(address)?.id ?? null;
  }

  facilityOf(address: string): Facility | null {
    const p = parseAddress(address);
    if (!p) return null;
    if (!this.index) this.index = { v4: this.buildIndex(4), v6: this.buildIndex(6) };
    const i = (p.family === 4 ? this.index.v4 : this.index.v6).lookup(p.value);
    return i < 0 ? null : this.facilities[i]!;
  }

  /** Targets: every range, every resolved host address (labelled with its name), minus exclusions. */
  async targets(options: { resolver?: Resolver } = {}): Promise<TargetSet> {
    const include = this.facilities.flatMap((f) =>
      f.ranges.map((r) => ({ text: r.spec, origin: `${this.where(r.line)} (${f.id})` })),
    );
    const exclude = this.facilities.flatMap((f) =>
      f.exclude.map((r) => ({ text: r.spec, origin: `${this.where(r.line)} (${f.id})` })),
    );
    const pinned: PinnedHost[] = this.facilities.flatMap((f) =>
      f.hosts.flatMap((h) => h.addresses.map((address) => ({ hostname: h.name, address }))),
    );
    return TargetSet.build({ include, exclude, pinned, resolver: options.resolver ?? noResolver });
  }

  /**
   * Resolves every hostname once (all its addresses), returning a registry with the answers pinned.
   * A name that does not resolve adds nothing to the scope (warning); a name resolving into another
   * facility's ranges, onto another facility's name, or to loopback/link-local/multicast is a warning.
   */
  async resolveHosts(resolver: Resolver = systemResolver): Promise<FacilityRegistry> {
    const warnings: RegistryIssue[] = [...this.warnings];
    const owner = new Map<string, { facility: string; host: string }>();
    const facilities: Facility[] = [];
    for (const f of this.facilities) {
      const hosts: FacilityHost[] = [];
      for (const h of f.hosts) {
        let addresses: string[] = [];
        let error: string | null = null;
        try {
          const seen = new Set<string>();
          for (const a of await resolver(h.name)) {
            const p = parseAddress(a);
            if (p) seen.add(formatAddress(p.family, p.value));
          }
          addresses = [...seen];
          if (addresses.length === 0) error = 'no address';
        } catch (err) {
          error = errorText(err);
        }
        if (error) {
          warnings.push(
            this.issue('warning', h.line, f.id, `cannot resolve host ${h.name} (${error}): not in scope, not scanned`),
          );
        }
        for (const a of addresses) {
          const other = owner.get(a);
          if (other && other.facility !== f.id) {
            warnings.push(
              this.issue(
                'warning',
                h.line,
                f.id,
                `host ${h.name} resolves to ${a}, as does host ${other.host} of facility ${other.facility}; ${a} is attributed to ${other.facility}`,
              ),
            );
          } else if (!other) owner.set(a, { facility: f.id, host: h.name });
          const inRange = this.facilityOfRanges(a);
          if (inRange && inRange.id !== f.id) {
            warnings.push(
              this.issue(
                'warning',
                h.line,
                f.id,
                `host ${h.name} resolves to ${a}, inside a range of facility ${inRange.id}; the host's facility (${f.id}) is credited with it`,
              ),
            );
          }
          const special = specialUse(a);
          if (special)
            warnings.push(this.issue('warning', h.line, f.id, `host ${h.name} resolves to ${a}, a ${special} address`));
        }
        hosts.push({ ...h, addresses, error, resolved: true });
      }
      facilities.push({ ...f, hosts });
    }
    return new FacilityRegistry(this.source, facilities, warnings);
  }

  private facilityOfRanges(address: string): Facility | null {
    const p = parseAddress(address)!;
    let best: { f: Facility; size: bigint } | null = null;
    for (const f of this.facilities) {
      for (const r of f.ranges) {
        for (const [lo, hi] of p.family === 4 ? r.v4 : r.v6) {
          if (lo <= p.value && p.value <= hi && (!best || hi - lo + 1n < best.size)) best = { f, size: hi - lo + 1n };
        }
      }
    }
    return best?.f ?? null;
  }

  private buildIndex(family: Family): SegmentIndex {
    const items: IndexedInterval[] = [];
    let order = 0;
    this.facilities.forEach((f, fi) => {
      for (const r of f.ranges)
        for (const [lo, hi] of family === 4 ? r.v4 : r.v6) items.push({ lo, hi, owner: fi, order: order++ });
      for (const h of f.hosts) {
        for (const a of h.addresses) {
          const p = parseAddress(a)!;
          if (p.family === family) items.push({ lo: p.value, hi: p.value, owner: fi, order: order++ });
        }
      }
    });
    return SegmentIndex.build(items);
  }

  private where(line: number | null): string {
    return line === null ? this.source : `${this.source}:${line}`;
  }

  private issue(
    level: RegistryIssue['level'],
    line: number | null,
    facility: string | null,
    message: string,
  ): RegistryIssue {
    return { level, source: this.source, line, facility, message };
  }
}

/** Parses and validates a registry. Hostnames are not resolved here (see loadRegistry / resolveHosts). */
export function parseRegistry(text: string, options: { format: RegistryFormat; source?: string }): FacilityRegistry {
  const source = options.source ?? `<${options.format}>`;
  const issues: RegistryIssue[] = [];
  const raws = options.format === 'csv' ? rawFromCsv(text, source, issues) : rawFromYaml(text, source, issues);
  const facilities: Facility[] = [];
  const firstLine = new Map<string, number | null>();
  for (const raw of raws) {
    const idValue = raw.fields.get('id')?.[0]?.value;
    const key = typeof idValue === 'string' || typeof idValue === 'number' ? String(idValue).trim().toLowerCase() : '';
    const duplicate = key !== '' && firstLine.has(key);
    if (duplicate) {
      const prev = firstLine.get(key);
      issues.push({
        level: 'error',
        source,
        line: raw.line,
        facility: String(idValue).trim(),
        message: `duplicate id (first defined${prev !== null ? ` on line ${prev}` : ''}; ids are compared without case)`,
      });
    } else if (key !== '') firstLine.set(key, raw.line);
    const f = validate(raw, source, issues);
    if (f && !duplicate) facilities.push(f);
  }
  if (facilities.length === 0 && !issues.some((i) => i.level === 'error')) {
    issues.push({ level: 'error', source, line: null, facility: null, message: 'no facilities defined' });
  }
  overlapWarnings(facilities, source, issues);
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (issues.some((i) => i.level === 'error')) throw new RegistryError(issues);
  return new FacilityRegistry(source, facilities, issues);
}

/** Reads a registry file (format from the extension: .csv/.tsv, else YAML, which also reads JSON) and resolves its hostnames. */
export async function loadRegistry(
  path: string,
  options: { format?: RegistryFormat; resolver?: Resolver; resolve?: boolean } = {},
): Promise<FacilityRegistry> {
  const text = await readFile(path, 'utf8');
  const ext = extname(path).toLowerCase();
  const format = options.format ?? (ext === '.csv' || ext === '.tsv' ? 'csv' : 'yaml');
  const registry = parseRegistry(text, { format, source: path });
  if (options.resolve === false || registry.unresolvedHosts().length === 0) return registry;
  return registry.resolveHosts(options.resolver ?? systemResolver);
}

/** The authorised scope of a registry (union of facility ranges and resolved hosts, minus exclusions). */
export function scopeOf(registry: FacilityRegistry): Scope {
  return registry.scope();
}

/** The facility id owning an address (most specific range wins), or null. */
export function facilityFor(registry: FacilityRegistry, address: string): string | null {
  return registry.facilityFor(address);
}

/** The registry as targets. */
export function targetsOf(registry: FacilityRegistry): Promise<TargetSet> {
  return registry.targets();
}

// ---------------------------------------------------------------------------------------------
// reading

function rawFromCsv(text: string, source: string, issues: RegistryIssue[]): RawFacility[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    issues.push({
      level: 'error',
      source,
      line: err.line,
      facility: null,
      message: err.message.replace(/^line \d+: /, ''),
    });
    return [];
  }
  const header = records.shift();
  if (!header) {
    issues.push({
      level: 'error',
      source,
      line: null,
      facility: null,
      message: 'empty file: expected a header line (id,name,region,country,contact,ranges,...)',
    });
    return [];
  }
  const columns = header.fields.map((h) => FIELD_ALIASES[normaliseFieldName(h)] ?? null);
  header.fields.forEach((h, i) => {
    if (columns[i] === null && h.trim() !== '') {
      issues.push({
        level: 'warning',
        source,
        line: header.line,
        facility: null,
        message: `unknown column ${JSON.stringify(h)} ignored`,
      });
    }
  });
  for (const needed of ['id', 'name', 'country', 'ranges']) {
    if (!columns.includes(needed)) {
      issues.push({
        level: 'error',
        source,
        line: header.line,
        facility: null,
        message: `missing column ${JSON.stringify(needed)}${needed === 'ranges' ? ' (or hosts)' : ''}`,
      });
    }
  }
  if (issues.some((i) => i.level === 'error')) return [];
  const out: RawFacility[] = [];
  for (const rec of records) {
    if (rec.fields.every((f) => f.trim() === '')) continue;
    if (rec.fields.length !== header.fields.length) {
      issues.push({
        level: 'error',
        source,
        line: rec.line,
        facility: null,
        message: `${rec.fields.length} fields, the header has ${header.fields.length} (quote fields that contain the delimiter)`,
      });
      continue;
    }
    const fields = new Map<string, RawField[]>();
    rec.fields.forEach((v, i) => {
      const key = columns[i];
      if (!key) return;
      const list = fields.get(key) ?? [];
      list.push({ value: v, line: rec.line });
      fields.set(key, list);
    });
    out.push({ line: rec.line, fields });
  }
  return out;
}

function rawFromYaml(text: string, source: string, issues: RegistryIssue[]): RawFacility[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const lineOf = (node: unknown): number | null => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : null;
  };
  const rawOf = (node: unknown): string | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? text.slice(range[0], range[1]) : undefined;
  };
  for (const e of doc.errors) {
    issues.push({
      level: 'error',
      source,
      line: e.linePos?.[0]?.line ?? null,
      facility: null,
      message: `YAML: ${e.message.split('\n')[0]}`,
    });
  }
  if (doc.errors.length > 0) return [];
  let list: unknown = doc.contents;
  if (isMap(list)) {
    const key = list.items.find((p) => isScalar(p.key) && normaliseFieldName(String(p.key.value)) === 'facilities');
    list = key?.value ?? null;
  }
  if (!isSeq(list)) {
    issues.push({
      level: 'error',
      source,
      line: lineOf(doc.contents),
      facility: null,
      message: 'expected a list of facilities (or a "facilities:" key holding one)',
    });
    return [];
  }
  const out: RawFacility[] = [];
  for (const item of list.items) {
    const line = lineOf(item);
    if (!isMap(item)) {
      issues.push({
        level: 'error',
        source,
        line,
        facility: null,
        message: 'each facility must be a mapping (id: ..., name: ...)',
      });
      continue;
    }
    const fields = new Map<string, RawField[]>();
    for (const pair of item.items) {
      const keyText = isScalar(pair.key) ? String(pair.key.value) : '';
      const key = FIELD_ALIASES[normaliseFieldName(keyText)];
      if (!key) {
        issues.push({
          level: 'warning',
          source,
          line: lineOf(pair.key),
          facility: null,
          message: `unknown field ${JSON.stringify(keyText)} ignored`,
        });
        continue;
      }
      const valueNode = pair.value as YamlNode | null;
      const entries: RawField[] = [];
      if (isSeq(valueNode)) {
        for (const v of valueNode.items)
          entries.push({
            value: isScalar(v) ? v.value : v && (v as YamlNode).toJSON(),
            line: lineOf(v),
            raw: rawOf(v),
          });
      } else {
        entries.push({
          value: isScalar(valueNode) ? valueNode.value : (valueNode?.toJSON() ?? null),
          line: lineOf(valueNode) ?? lineOf(pair.key),
          raw: rawOf(valueNode),
        });
      }
      const existing = fields.get(key) ?? [];
      existing.push(...entries);
      fields.set(key, existing);
    }
    out.push({ line, fields });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// validation

function validate(raw: RawFacility, source: string, issues: RegistryIssue[]): Facility | null {
  let ok = true;
  const problem = (level: RegistryIssue['level'], line: number | null, facility: string | null, message: string) => {
    if (level === 'error') ok = false;
    issues.push({ level, source, line: line ?? raw.line, facility, message });
  };
  const single = (key: string): RawField | null => {
    const list = raw.fields.get(key) ?? [];
    const present = list.filter(
      (f) => !(f.value === null || f.value === undefined || (typeof f.value === 'string' && f.value.trim() === '')),
    );
    if (present.length > 1) problem('error', present[1]!.line, null, `field ${key} given more than once`);
    return present[0] ?? null;
  };
  const text = (key: string, f: RawField | null, facility: string | null): string | null => {
    if (!f) return null;
    if (typeof f.value === 'string') return f.value.trim();
    if (typeof f.value === 'number' && (key === 'id' || key === 'name' || key === 'region' || key === 'state'))
      return String(f.value);
    if (typeof f.value === 'boolean') {
      const written = f.raw?.trim() ?? String(f.value);
      problem(
        'error',
        f.line,
        facility,
        `${key} ${written} was read as the boolean ${f.value} (YAML 1.1): quote it ("${written}")`,
      );
      return null;
    }
    problem('error', f.line, facility, `${key} must be text`);
    return null;
  };

  const idField = single('id');
  const id = text('id', idField, null);
  if (id === null) {
    if (!idField) problem('error', raw.line, null, 'missing id');
    return null;
  }
  if (!ID_RE.test(id)) {
    problem(
      'error',
      idField!.line,
      null,
      `bad id ${JSON.stringify(id)}: 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
    );
    return null;
  }
  const nameField = single('name');
  const name = text('name', nameField, id);
  if (!nameField) problem('error', raw.line, id, 'missing name');

  const regionField = single('region');
  const stateField = single('state');
  const region = text('region', regionField, id);
  const state = text('state', stateField, id);
  if (region && state && region !== state)
    problem('warning', stateField!.line, id, `both region (${region}) and state (${state}) given; using region`);

  const countryField = single('country');
  let country = text('country', countryField, id);
  if (!countryField) problem('error', raw.line, id, 'missing country (ISO 3166-1 alpha-2, e.g. FR)');
  else if (country !== null) {
    country = country.toUpperCase();
    if (!COUNTRIES.has(country) && !EXTRA_COUNTRIES.has(country)) {
      const hint = COUNTRY_HINTS[country];
      problem(
        'error',
        countryField.line,
        id,
        `country ${JSON.stringify(country)} is not an ISO 3166-1 alpha-2 code${hint ? ` (did you mean ${hint}?)` : ''}`,
      );
    }
  }

  const contactField = single('contact');
  const contact = text('contact', contactField, id);
  if (!contactField) problem('warning', raw.line, id, 'no contact email: findings cannot be reported to anyone');
  else if (contact !== null && !EMAIL_RE.test(contact.replace(/^mailto:/i, ''))) {
    problem('error', contactField.line, id, `contact ${JSON.stringify(contact)} is not an email address`);
  }

  const ranges: FacilityRange[] = [];
  const hosts: FacilityHost[] = [];
  const exclude: FacilityRange[] = [];
  let listedTargets = false;
  for (const [key, target] of [
    ['ranges', 'include'],
    ['exclude', 'exclude'],
  ] as const) {
    for (const f of raw.fields.get(key) ?? []) {
      if (f.value === null || f.value === undefined) continue;
      if (typeof f.value !== 'string') {
        problem('error', f.line, id, `${key}: ${JSON.stringify(f.value)} must be text (quote it)`);
        continue;
      }
      for (const item of f.value.split(/[;|\s]+/).filter((s) => s !== '')) {
        if (target === 'include') listedTargets = true;
        try {
          const spec = parseTargetSpec(item);
          if (spec.kind === 'hostname') {
            if (target === 'exclude')
              problem('error', f.line, id, `exclude ${JSON.stringify(item)}: exclusions must be addresses, not names`);
            else if (!hosts.some((h) => h.name === spec.name))
              hosts.push({ name: spec.name, line: f.line, addresses: [], error: null, resolved: false });
          } else
            (target === 'include' ? ranges : exclude).push({ spec: spec.text, line: f.line, v4: spec.v4, v6: spec.v6 });
        } catch (err) {
          if (!(err instanceof TargetSpecError)) throw err;
          problem(
            'error',
            f.line,
            id,
            `${key === 'ranges' ? 'range' : 'exclude'} ${JSON.stringify(item)}: ${err.problems[0]!.message}`,
          );
        }
      }
    }
  }
  if (!listedTargets) problem('error', raw.line, id, 'no ranges or hosts: nothing would be authorised');

  const num = (key: 'lat' | 'lon', f: RawField | null, limit: number): number | null => {
    if (!f) return null;
    const v =
      typeof f.value === 'number'
        ? f.value
        : typeof f.value === 'string' && /^-?\d+(\.\d+)?$/.test(f.value.trim())
          ? Number(f.value)
          : NaN;
    if (!Number.isFinite(v) || Math.abs(v) > limit) {
      problem('error', f.line, id, `${key} must be a number from -${limit} to ${limit}`);
      return null;
    }
    return v;
  };
  const latField = single('lat');
  const lonField = single('lon');
  const lat = num('lat', latField, 90);
  const lon = num('lon', lonField, 180);
  if ((latField === null) !== (lonField === null))
    problem('error', (latField ?? lonField)!.line, id, 'give both lat and lon, or neither');

  if (!ok) return null;
  return {
    id,
    name: name!,
    region: region ?? state ?? null,
    country: country!,
    contact: contact?.replace(/^mailto:/i, '') ?? null,
    ranges,
    hosts,
    exclude,
    lat,
    lon,
    line: raw.line,
  };
}

const MAX_OVERLAP_WARNINGS = 200;

function overlapWarnings(facilities: readonly Facility[], source: string, issues: RegistryIssue[]): void {
  for (const family of [4, 6] as const) {
    const items: Array<{ lo: bigint; hi: bigint; f: Facility; spec: string; line: number | null; order: number }> = [];
    for (const f of facilities) {
      for (const r of f.ranges)
        for (const [lo, hi] of family === 4 ? r.v4 : r.v6)
          items.push({ lo, hi, f, spec: r.spec, line: r.line, order: items.length });
    }
    items.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : a.hi > b.hi ? -1 : a.hi < b.hi ? 1 : 0));
    let active: typeof items = [];
    let count = 0;
    const reported = new Set<string>();
    for (const it of items) {
      active = active.filter((a) => a.hi >= it.lo);
      for (const other of active) {
        // reported on the range listed later, against the one listed first
        const [a, b] = other.order < it.order ? [other, it] : [it, other];
        const key = `${a.f.id}\u0000${a.spec}\u0000${b.f.id}\u0000${b.spec}`;
        if (reported.has(key)) continue;
        reported.add(key);
        count++;
        if (count > MAX_OVERLAP_WARNINGS) continue;
        const lo = it.lo;
        const hi = other.hi < it.hi ? other.hi : it.hi;
        const n = hi - lo + 1n;
        const what = `${n} address${n === 1n ? '' : 'es'}${n <= 1n << 20n ? ` (${cidrText(lo, hi, family)})` : ''}`;
        const message =
          a.f.id === b.f.id
            ? `range ${b.spec} overlaps its own range ${a.spec} (line ${a.line ?? '?'}) on ${what}`
            : `range ${b.spec} overlaps range ${a.spec} of facility ${a.f.id} (line ${a.line ?? '?'}) on ${what}; the most specific range owns each address`;
        issues.push({ level: 'warning', source, line: b.line, facility: b.f.id, message });
      }
      active.push(it);
    }
    if (count > MAX_OVERLAP_WARNINGS) {
      issues.push({
        level: 'warning',
        source,
        line: null,
        facility: null,
        message: `${count - MAX_OVERLAP_WARNINGS} more IPv${family} overlaps not listed`,
      });
    }
  }
}

function cidrText(lo: bigint, hi: bigint, family: Family): string {
  const cidrs = intervalToCidrs(lo, hi, family === 4 ? 32 : 128);
  const shown = cidrs.slice(0, 4).map(([base, len]) => `${formatAddress(family, base)}/${len}`);
  return cidrs.length > 4 ? `${shown.join(', ')}, ...` : shown.join(', ');
}

// ---------------------------------------------------------------------------------------------
// most-specific-range index

interface IndexedInterval {
  readonly lo: bigint;
  readonly hi: bigint;
  readonly owner: number;
  readonly order: number;
}

/**
 * Disjoint segments, each labelled with the owner of the smallest interval covering it (first
 * listed on a tie): built by a sweep over interval boundaries with a heap, O(n log n); looked
 * up by binary search.
 */
export class SegmentIndex {
  private readonly starts: bigint[];
  private readonly ends: bigint[];
  private readonly owners: number[];

  private constructor(starts: bigint[], ends: bigint[], owners: number[]) {
    this.starts = starts;
    this.ends = ends;
    this.owners = owners;
  }

  static build(items: readonly IndexedInterval[]): SegmentIndex {
    const bounds = new Set<bigint>();
    for (const it of items) {
      bounds.add(it.lo);
      bounds.add(it.hi + 1n);
    }
    const points = [...bounds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const byStart = [...items].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
    const better = (a: IndexedInterval, b: IndexedInterval) => {
      const sa = a.hi - a.lo;
      const sb = b.hi - b.lo;
      return sa < sb || (sa === sb && a.order < b.order);
    };
    const heap = new Heap<IndexedInterval>(better);
    const starts: bigint[] = [];
    const ends: bigint[] = [];
    const owners: number[] = [];
    let next = 0;
    for (let p = 0; p < points.length - 1; p++) {
      const segLo = points[p]!;
      const segHi = points[p + 1]! - 1n;
      while (next < byStart.length && byStart[next]!.lo <= segLo) heap.push(byStart[next++]!);
      while (heap.size > 0 && heap.peek()!.hi < segLo) heap.pop();
      const top = heap.peek();
      if (!top) continue;
      const last = owners.length - 1;
      if (last >= 0 && owners[last] === top.owner && ends[last]! + 1n === segLo) ends[last] = segHi;
      else {
        starts.push(segLo);
        ends.push(segHi);
        owners.push(top.owner);
      }
    }
    return new SegmentIndex(starts, ends, owners);
  }

  lookup(x: bigint): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (x < this.starts[mid]!) hi = mid - 1;
      else if (x > this.ends[mid]!) lo = mid + 1;
      else return this.owners[mid]!;
    }
    return -1;
  }
}

class Heap<T> {
  private readonly items: T[] = [];
  private readonly before: (a: T, b: T) => boolean;
  constructor(before: (a: T, b: T) => boolean) {
    this.before = before;
  }
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------------

const noResolver: Resolver = async (name) => {
  throw new Error(`hostname ${name} reached the registry's target set unresolved`);
};

function specialUse(address: string): string | null {
  const p = parseAddress(address)!;
  if (p.family === 4) {
    const v = Number(p.value);
    if (v >>> 24 === 127) return 'loopback';
    if (v >>> 16 === 0xa9fe) return 'link-local';
    if (v >>> 28 === 0xe) return 'multicast';
    if (v === 0) return 'unspecified';
    return null;
  }
  if (p.value === 1n) return 'loopback';
  if (p.value >> 118n === 0x3fan) return 'link-local';
  if (p.value >> 120n === 0xffn) return 'multicast';
  return null;
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return err instanceof Error ? err.message : String(err);
}
