/**
 * A lab endpoint's synthetic archive: patients → studies → series → instances, held as a few
 * typed arrays (a thousand endpoints with hundreds of studies each fit in a few MB), with every
 * attribute value derived on demand from the indices. Nothing here is a real person: names are
 * `LAB^PATIENT<endpoint>-<n>`, IDs `LABPID<endpoint>-<n>`, and every UID is under 2.25 with a
 * lab-only prefix, so a test can grep any pacsmap output for them (they must never appear).
 *
 * Query matching follows PS3.4 C.2.2.2 where the lab needs it: single value, wildcard (* ?),
 * UID list and date range matching on the keys below; other keys are returned but not matched
 * (universal), as many real archives do for keys they do not index.
 */
import { Rng, hash32 } from './random.ts';
import { StorageSopClass } from '../protocol/dimse/constants.ts';

export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** Which counts the archive returns when a query asks for them. */
export type CountPolicy = 'always' | 'never' | 'sometimes';

/** Markers of the fake personal values, for canary greps. */
export const LAB_CANARIES = ['LAB^PATIENT', 'LABPID', 'LABACC', 'LAB^REFERRER', 'LAB INSTITUTE'] as const;

const MODALITIES = ['CT', 'MR', 'CR', 'DX', 'US', 'MG', 'NM', 'PT', 'XA'] as const;
const SOP_OF: Readonly<Record<string, string>> = {
  CT: StorageSopClass.CT,
  MR: StorageSopClass.MR,
  CR: StorageSopClass.CR,
  DX: StorageSopClass.DX,
  US: StorageSopClass.US,
  MG: StorageSopClass.MG,
  NM: StorageSopClass.NM,
  PT: StorageSopClass.PET,
  XA: StorageSopClass.XA,
  SR: StorageSopClass.BasicTextSR,
};

export interface ArchiveSpec {
  /** Endpoint index in the fleet (0..999999): part of every identifier. */
  readonly endpoint: number;
  /** Four digits identifying the fleet (from its seed), part of every UID. */
  readonly fleetTag: number;
  readonly studies: number;
  readonly counts: CountPolicy;
  readonly rng: Rng;
}

export interface ArchiveTotals {
  readonly patients: number;
  readonly studies: number;
  readonly series: number;
  readonly instances: number;
}

/** One entity at a level: indices of the patient, study, series (local) and instance it is. */
export interface Entity {
  readonly patient: number;
  readonly study: number;
  readonly series: number;
  readonly instance: number;
}

export type Keys = Readonly<Record<string, unknown>>;
export type Identifier = Record<string, string | string[]>;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

const DAY_MS = 86_400_000;
const EPOCH_2012 = Date.UTC(2012, 0, 1);
const EPOCH_1925 = Date.UTC(1925, 0, 1);

function dicomDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
}

export class Archive {
  readonly endpoint: number;
  readonly counts: CountPolicy;
  readonly patients: number;
  /** Patient index of each study, in the order the archive returns studies. */
  readonly studyPatient: Uint32Array;
  /** Series of study s are [seriesStart[s], seriesStart[s+1]). */
  readonly seriesStart: Uint32Array;
  readonly seriesInstances: Uint16Array;
  /** Index into MODALITIES (or 9 = SR). */
  readonly seriesModality: Uint8Array;
  /** Studies of patient p are patientStudyList[patientStudyStart[p] .. patientStudyStart[p+1]). */
  private readonly patientStudyStart: Uint32Array;
  private readonly patientStudyList: Uint32Array;
  private readonly studyInstanceTotals: Uint32Array;
  readonly totals: ArchiveTotals;
  private readonly uidPrefix: string;

  constructor(spec: ArchiveSpec) {
    if (!Number.isInteger(spec.endpoint) || spec.endpoint < 0 || spec.endpoint > 999_999) {
      throw new RangeError('endpoint index out of range');
    }
    if (spec.studies > 999_999) throw new RangeError('too many studies for one lab archive');
    this.endpoint = spec.endpoint;
    this.counts = spec.counts;
    this.uidPrefix = `2.25.31337${pad(spec.fleetTag % 10_000, 4)}`;
    const rng = spec.rng;

    // Patients with 1..6 studies each, until the study count is reached.
    const owner: number[] = [];
    let patients = 0;
    while (owner.length < spec.studies) {
      const n = Math.min(
        spec.studies - owner.length,
        rng.weighted<number>([
          [1, 60],
          [2, 25],
          [3, 10],
          [rng.int(4, 6), 5],
        ]),
      );
      for (let i = 0; i < n; i++) owner.push(patients);
      patients++;
    }
    this.patients = patients;
    // Archives return studies in insertion order, not grouped by patient.
    this.studyPatient = Uint32Array.from(rng.shuffle(owner));

    const seriesCounts: number[] = [];
    const modalities: number[] = [];
    const instances: number[] = [];
    for (let s = 0; s < spec.studies; s++) {
      const nSeries = rng.weighted<number>([
        [1, 35],
        [2, 30],
        [3, 20],
        [4, 10],
        [rng.int(5, 9), 5],
      ]);
      const primary = rng.int(0, MODALITIES.length - 1);
      seriesCounts.push(nSeries);
      for (let k = 0; k < nSeries; k++) {
        const sr = k === nSeries - 1 && nSeries > 2 && rng.chance(0.3);
        modalities.push(sr ? 9 : primary);
        instances.push(
          sr
            ? 1
            : rng.weighted<number>([
                [rng.int(1, 4), 40],
                [rng.int(5, 40), 45],
                [rng.int(41, 400), 15],
              ]),
        );
      }
    }
    this.seriesStart = new Uint32Array(spec.studies + 1);
    for (let s = 0; s < spec.studies; s++)
      this.seriesStart[s + 1] = (this.seriesStart[s] ?? 0) + (seriesCounts[s] ?? 0);
    this.seriesModality = Uint8Array.from(modalities);
    this.seriesInstances = Uint16Array.from(instances);
    this.studyInstanceTotals = new Uint32Array(spec.studies);
    let totalInstances = 0;
    for (let s = 0; s < spec.studies; s++) {
      let n = 0;
      for (let k = this.seriesStart[s] ?? 0; k < (this.seriesStart[s + 1] ?? 0); k++) n += this.seriesInstances[k] ?? 0;
      this.studyInstanceTotals[s] = n;
      totalInstances += n;
    }
    // Compressed rows: one array of study indices grouped by patient, and where each group starts.
    this.patientStudyStart = new Uint32Array(patients + 1);
    for (const p of this.studyPatient) this.patientStudyStart[p + 1] = (this.patientStudyStart[p + 1] ?? 0) + 1;
    for (let p = 0; p < patients; p++) {
      this.patientStudyStart[p + 1] = (this.patientStudyStart[p + 1] ?? 0) + (this.patientStudyStart[p] ?? 0);
    }
    this.patientStudyList = new Uint32Array(spec.studies);
    const fill = this.patientStudyStart.slice(0, patients);
    this.studyPatient.forEach((p, s) => {
      this.patientStudyList[fill[p] ?? 0] = s;
      fill[p] = (fill[p] ?? 0) + 1;
    });
    this.totals = { patients, studies: spec.studies, series: modalities.length, instances: totalInstances };
  }

  // ─── structure ──────────────────────────────────────────────────────────────

  get studyCount(): number {
    return this.studyPatient.length;
  }

  seriesCount(study: number): number {
    return (this.seriesStart[study + 1] ?? 0) - (this.seriesStart[study] ?? 0);
  }

  instancesOfSeries(study: number, series: number): number {
    return this.seriesInstances[(this.seriesStart[study] ?? 0) + series] ?? 0;
  }

  instancesOfStudy(study: number): number {
    return this.studyInstanceTotals[study] ?? 0;
  }

  studiesOfPatient(patient: number): Uint32Array {
    return this.patientStudyList.subarray(
      this.patientStudyStart[patient] ?? 0,
      this.patientStudyStart[patient + 1] ?? 0,
    );
  }

  modality(study: number, series: number): string {
    const m = this.seriesModality[(this.seriesStart[study] ?? 0) + series] ?? 0;
    return m === 9 ? 'SR' : (MODALITIES[m] ?? 'OT');
  }

  /** Whether NumberOfStudyRelatedInstances is returned for this study. */
  hasStudyCount(study: number): boolean {
    if (this.counts === 'always') return true;
    if (this.counts === 'never') return false;
    return hash32(`sc:${this.endpoint}:${study}`) % 3 !== 0;
  }

  /** Whether NumberOfSeriesRelatedInstances is returned for this series. */
  hasSeriesCount(study: number, series: number): boolean {
    if (this.counts === 'always') return true;
    if (this.counts === 'never') return false;
    return hash32(`ss:${this.endpoint}:${study}:${series}`) % 2 === 0;
  }

  /**
   * What one universal study-level query shows when the archive stops after `limit` matches
   * (null: no limit): distinct patients, studies and instances among the studies returned.
   */
  visible(limit: number | null): { patients: number; studies: number; instances: number; capped: boolean } {
    const n = limit === null ? this.studyCount : Math.min(limit, this.studyCount);
    const seen = new Set<number>();
    let instances = 0;
    for (let s = 0; s < n; s++) {
      seen.add(this.studyPatient[s] ?? 0);
      instances += this.instancesOfStudy(s);
    }
    return { patients: seen.size, studies: n, instances, capped: n < this.studyCount };
  }

  // ─── identifiers ────────────────────────────────────────────────────────────

  studyUid(study: number): string {
    return `${this.uidPrefix}1${pad(this.endpoint, 6)}${pad(study, 6)}`;
  }

  seriesUid(study: number, series: number): string {
    return `${this.uidPrefix}2${pad(this.endpoint, 6)}${pad(study, 6)}${pad(series, 3)}`;
  }

  instanceUid(study: number, series: number, instance: number): string {
    return `${this.uidPrefix}3${pad(this.endpoint, 6)}${pad(study, 6)}${pad(series, 3)}${pad(instance, 5)}`;
  }

  /** Parses one of this archive's UIDs back into indices, or null if it is not one of ours. */
  parseUid(uid: string): { level: 1 | 2 | 3; study: number; series: number; instance: number } | null {
    if (!uid.startsWith(this.uidPrefix)) return null;
    const rest = uid.slice(this.uidPrefix.length);
    const level = rest.charCodeAt(0) - 48;
    const want = level === 1 ? 13 : level === 2 ? 16 : level === 3 ? 21 : -1;
    if (rest.length !== want || !/^\d+$/.test(rest)) return null;
    if (Number(rest.slice(1, 7)) !== this.endpoint) return null;
    const study = Number(rest.slice(7, 13));
    const series = level >= 2 ? Number(rest.slice(13, 16)) : 0;
    const instance = level === 3 ? Number(rest.slice(16, 21)) : 0;
    if (study >= this.studyCount) return null;
    if (level >= 2 && series >= this.seriesCount(study)) return null;
    if (level === 3 && instance >= this.instancesOfSeries(study, series)) return null;
    return { level: level as 1 | 2 | 3, study, series, instance };
  }

  patientId(patient: number): string {
    return `LABPID${this.endpoint}-${patient}`;
  }

  patientName(patient: number): string {
    return `LAB^PATIENT${this.endpoint}-${patient}`;
  }

  private patientBirthDate(patient: number): string {
    return dicomDate(EPOCH_1925 + (hash32(`bd:${this.endpoint}:${patient}`) % (90 * 365)) * DAY_MS);
  }

  private patientSex(patient: number): string {
    return ['F', 'M', 'F', 'M', 'O'][hash32(`sx:${this.endpoint}:${patient}`) % 5] ?? 'O';
  }

  private studyDate(study: number): string {
    return dicomDate(EPOCH_2012 + (hash32(`sd:${this.endpoint}:${study}`) % (13 * 365)) * DAY_MS);
  }

  private studyTime(study: number): string {
    const h = hash32(`st:${this.endpoint}:${study}`);
    return `${pad(7 + (h % 12), 2)}${pad((h >>> 8) % 60, 2)}${pad((h >>> 16) % 60, 2)}`;
  }

  private studyModalities(study: number): string[] {
    const out = new Set<string>();
    for (let k = 0; k < this.seriesCount(study); k++) out.add(this.modality(study, k));
    return [...out];
  }

  /** The value of one attribute for an entity, or undefined when the lab has none (returned empty). */
  value(keyword: string, level: QueryLevel, e: Entity, aeTitle: string): string | string[] | undefined {
    const p = e.patient;
    switch (keyword) {
      case 'QueryRetrieveLevel':
        return level;
      case 'PatientID':
        return this.patientId(p);
      case 'PatientName':
        return this.patientName(p);
      case 'PatientBirthDate':
        return this.patientBirthDate(p);
      case 'PatientSex':
        return this.patientSex(p);
      case 'IssuerOfPatientID':
        return 'LAB';
      case 'RetrieveAETitle':
        return aeTitle;
      case 'InstanceAvailability':
        return 'ONLINE';
    }
    if (level === 'PATIENT') {
      const studies = this.studiesOfPatient(p);
      switch (keyword) {
        case 'NumberOfPatientRelatedStudies':
          return String(studies.length);
        case 'NumberOfPatientRelatedSeries':
          return String(studies.reduce((n, s) => n + this.seriesCount(s), 0));
        case 'NumberOfPatientRelatedInstances':
          return String(studies.reduce((n, s) => n + this.instancesOfStudy(s), 0));
      }
      return undefined;
    }
    const s = e.study;
    switch (keyword) {
      case 'StudyInstanceUID':
        return this.studyUid(s);
      case 'StudyDate':
        return this.studyDate(s);
      case 'StudyTime':
        return this.studyTime(s);
      case 'AccessionNumber':
        return `LABACC${this.endpoint}X${s}`;
      case 'StudyID':
        return `S${s + 1}`;
      case 'StudyDescription':
        return `LAB STUDY ${this.modality(s, 0)}`;
      case 'ReferringPhysicianName':
        return `LAB^REFERRER${hash32(`rp:${this.endpoint}:${s}`) % 40}`;
      case 'InstitutionName':
        return `LAB INSTITUTE ${this.endpoint}`;
      case 'ModalitiesInStudy':
        return this.studyModalities(s);
      case 'NumberOfStudyRelatedSeries':
        return String(this.seriesCount(s));
      case 'NumberOfStudyRelatedInstances':
        return this.hasStudyCount(s) ? String(this.instancesOfStudy(s)) : undefined;
    }
    if (level === 'STUDY') return undefined;
    const k = e.series;
    switch (keyword) {
      case 'SeriesInstanceUID':
        return this.seriesUid(s, k);
      case 'Modality':
        return this.modality(s, k);
      case 'SeriesNumber':
        return String(k + 1);
      case 'SeriesDescription':
        return `LAB SERIES ${k + 1}`;
      case 'NumberOfSeriesRelatedInstances':
        return this.hasSeriesCount(s, k) ? String(this.instancesOfSeries(s, k)) : undefined;
    }
    if (level === 'SERIES') return undefined;
    switch (keyword) {
      case 'SOPInstanceUID':
        return this.instanceUid(s, k, e.instance);
      case 'SOPClassUID':
        return SOP_OF[this.modality(s, k)] ?? StorageSopClass.SC;
      case 'InstanceNumber':
        return String(e.instance + 1);
    }
    return undefined;
  }

  // ─── matching ───────────────────────────────────────────────────────────────

  /**
   * Every entity at `level` that matches the identifier's keys, in archive order. A generator,
   * so that a huge archive streams and a C-CANCEL stops the walk.
   */
  *match(level: QueryLevel, keys: Keys): Generator<Entity> {
    const filter = buildFilter(this, keys);
    if (level === 'PATIENT') {
      for (let p = 0; p < this.patients; p++) {
        const e = { patient: p, study: -1, series: -1, instance: -1 };
        if (filter.patient(e)) yield e;
      }
      return;
    }
    for (const s of this.candidateStudies(keys)) {
      const study = { patient: this.studyPatient[s] ?? 0, study: s, series: -1, instance: -1 };
      if (!filter.patient(study) || !filter.study(study)) continue;
      if (level === 'STUDY') {
        yield study;
        continue;
      }
      for (const k of this.candidateSeries(s, keys)) {
        const series = { ...study, series: k };
        if (!filter.series(series)) continue;
        if (level === 'SERIES') {
          yield series;
          continue;
        }
        for (const i of this.candidateInstances(s, k, keys)) {
          const inst = { ...series, instance: i };
          if (filter.instance(inst)) yield inst;
        }
      }
    }
  }

  private *candidateStudies(keys: Keys): Generator<number> {
    const uids = uidList(keys['StudyInstanceUID']);
    if (uids === null) {
      for (let s = 0; s < this.studyCount; s++) yield s;
      return;
    }
    const seen = new Set<number>();
    for (const u of uids) {
      const r = this.parseUid(u);
      if (r && r.level === 1 && !seen.has(r.study)) {
        seen.add(r.study);
        yield r.study;
      }
    }
  }

  private *candidateSeries(study: number, keys: Keys): Generator<number> {
    const uids = uidList(keys['SeriesInstanceUID']);
    if (uids === null) {
      for (let k = 0; k < this.seriesCount(study); k++) yield k;
      return;
    }
    const seen = new Set<number>();
    for (const u of uids) {
      const r = this.parseUid(u);
      if (r && r.level === 2 && r.study === study && !seen.has(r.series)) {
        seen.add(r.series);
        yield r.series;
      }
    }
  }

  private *candidateInstances(study: number, series: number, keys: Keys): Generator<number> {
    const uids = uidList(keys['SOPInstanceUID']);
    if (uids === null) {
      for (let i = 0; i < this.instancesOfSeries(study, series); i++) yield i;
      return;
    }
    for (const u of uids) {
      const r = this.parseUid(u);
      if (r && r.level === 3 && r.study === study && r.series === series) yield r.instance;
    }
  }
}

// ─── matching helpers ─────────────────────────────────────────────────────────

/** Values of a key: null for universal matching (absent or empty). */
function values(v: unknown): string[] | null {
  if (v === undefined || v === null) return null;
  const list = (Array.isArray(v) ? v : [v]).map((x) =>
    typeof x === 'number' ? String(x) : typeof x === 'string' ? x : '',
  );
  const nonEmpty = list.filter((x) => x.length > 0);
  return nonEmpty.length === 0 ? null : nonEmpty;
}

function uidList(v: unknown): string[] | null {
  return values(v);
}

/** PS3.4 C.2.2.2.4 wildcard matching (* and ?), case-sensitive. */
function wildcard(pattern: string): (s: string) => boolean {
  if (!/[*?]/.test(pattern)) return (s) => s === pattern;
  if (/^\*+$/.test(pattern)) return () => true;
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    's',
  );
  return (s) => re.test(s);
}

/** PS3.4 C.2.2.2.5 range matching for DA: `A-B`, `A-`, `-B`, or a single date. */
function dateRange(pattern: string): (d: string) => boolean {
  const dash = pattern.indexOf('-');
  if (dash < 0) return (d) => d === pattern;
  const from = pattern.slice(0, dash);
  const to = pattern.slice(dash + 1);
  return (d) => (from === '' || d >= from) && (to === '' || d <= to);
}

function anyOf(list: string[] | null, make: (p: string) => (s: string) => boolean): ((s: string) => boolean) | null {
  if (list === null) return null;
  const fns = list.map(make);
  return (s) => fns.some((f) => f(s));
}

interface Filter {
  patient(e: Entity): boolean;
  study(e: Entity): boolean;
  series(e: Entity): boolean;
  instance(e: Entity): boolean;
}

function buildFilter(a: Archive, keys: Keys): Filter {
  const val = (k: string, e: Entity, level: QueryLevel): string => {
    const v = a.value(k, level, e, '');
    return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
  };
  const pid = anyOf(values(keys['PatientID']), wildcard);
  const pname = anyOf(values(keys['PatientName']), wildcard);
  const psex = anyOf(values(keys['PatientSex']), wildcard);
  const pbirth = anyOf(values(keys['PatientBirthDate']), dateRange);
  const sdate = anyOf(values(keys['StudyDate']), dateRange);
  const acc = anyOf(values(keys['AccessionNumber']), wildcard);
  const sid = anyOf(values(keys['StudyID']), wildcard);
  const mis = values(keys['ModalitiesInStudy']);
  const mod = anyOf(values(keys['Modality']), wildcard);
  return {
    patient: (e) =>
      (!pid || pid(a.patientId(e.patient))) &&
      (!pname || pname(a.patientName(e.patient))) &&
      (!psex || psex(val('PatientSex', e, 'PATIENT'))) &&
      (!pbirth || pbirth(val('PatientBirthDate', e, 'PATIENT'))),
    study: (e) =>
      (!sdate || sdate(val('StudyDate', e, 'STUDY'))) &&
      (!acc || acc(val('AccessionNumber', e, 'STUDY'))) &&
      (!sid || sid(val('StudyID', e, 'STUDY'))) &&
      (!mis || (a.value('ModalitiesInStudy', 'STUDY', e, '') as string[]).some((m) => mis.includes(m))),
    series: (e) => !mod || mod(a.modality(e.study, e.series)),
    instance: () => true,
  };
}

/**
 * The response identifier for one match: every key the request asked for, with the archive's
 * value or empty (zero length) when it has none, plus QueryRetrieveLevel. Keys that are not
 * dictionary keywords (private or unknown tags) and sequences are left out.
 */
export function responseIdentifier(
  a: Archive,
  level: QueryLevel,
  e: Entity,
  requested: readonly string[],
  opts: { aeTitle: string; charset: boolean },
): Identifier {
  const out: Identifier = {};
  if (opts.charset) out['SpecificCharacterSet'] = 'ISO_IR 100';
  for (const k of requested) {
    if (k === 'SpecificCharacterSet') {
      out[k] = 'ISO_IR 100';
      continue;
    }
    if (/^[0-9A-F]{8}$/.test(k)) continue;
    const v = a.value(k, level, e, opts.aeTitle);
    out[k] = v ?? '';
  }
  out['QueryRetrieveLevel'] = level;
  return out;
}
