/**
 * Enumerates the studies a stranger's C-FIND reaches, in whichever information model the peer
 * accepted. Study Root: one universal STUDY-level query. Patient Root: the same query first (many
 * servers allow it); if a strictly hierarchical server refuses it, PATIENT level, then STUDY level
 * per patient, as PS3.4 C.4.1.2.1 requires. Patient IDs used as query keys stay in memory only,
 * for the length of the walk, and are never returned.
 */
import type { DimseChannel } from '../../protocol/dimse/channel.ts';
import { cFind, type FindSummary } from '../../protocol/dimse/find.ts';
import { SopClass, statusClass } from '../../protocol/dimse/constants.ts';
import type { ProbeContext } from '../probe.ts';
import { findCaps } from '../../knowledge/find-caps.ts';
import { capReason } from './partition.ts';
import { acceptedContext, type ContextAnswer } from './proposal.ts';

export interface QueryModel {
  readonly name: 'study-root' | 'patient-root';
  readonly sopClassUid: string;
  readonly contextId: number;
  readonly transferSyntax: string;
}

/** Study Root when accepted, else Patient Root, else null. */
export function queryModel(answers: readonly ContextAnswer[]): QueryModel | null {
  for (const [name, sopClassUid] of [
    ['study-root', SopClass.StudyRootQueryRetrieveFind],
    ['patient-root', SopClass.PatientRootQueryRetrieveFind],
  ] as const) {
    const pc = acceptedContext(answers, sopClassUid);
    if (pc) return { name, sopClassUid, contextId: pc.id, transferSyntax: pc.transferSyntax };
  }
  return null;
}

/**
 * An identifier below STUDY level for `model`: in Patient Root, the patient's unique key goes
 * along (a hierarchical query names every level above its own).
 */
export function withPatientKey(
  model: QueryModel,
  patientId: string | null,
  identifier: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return model.name === 'patient-root' && patientId !== null
    ? { ...identifier, PatientID: patientId }
    : { ...identifier };
}

export interface StudyWalk {
  /** Studies matched (pending responses), across every query of the walk. */
  readonly matches: number;
  /** The final status of the study-level query (the last one, when walking per patient); null if it never ended. */
  readonly finalStatus: number | null;
  /** The peer answered: a study-level query matched something or completed with success. */
  readonly allowed: boolean;
  /** Counts are lower bounds: we cancelled at our cap, or an answer looked capped (partition.ts `capReason`). */
  readonly capped: boolean;
  readonly undecodable: number;
  readonly characterSets: readonly string[];
  /** True when the walk had to go patient by patient. */
  readonly perPatient: boolean;
  /** C-FINDs sent. */
  readonly queries: number;
}

const isClass = (s: number | null, c: ReturnType<typeof statusClass>): boolean => s !== null && statusClass(s) === c;

/** The STUDY-level identifier that answers `keys` (plus PatientID and StudyInstanceUID, always asked for). */
export function studyIdentifier(keys: Readonly<Record<string, string>>): Record<string, string> {
  return { ...keys, QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientID: '' };
}

/**
 * A universal STUDY-level query refused the way a strictly hierarchical Patient Root server does:
 * nothing matched and a failure status that is not a sign of a cap (Out of Resources is one).
 */
export function refusedAsHierarchical(s: { matches: number; finalStatus: number | null }): boolean {
  return s.matches === 0 && isClass(s.finalStatus, 'failure') && !findCaps().truncatingStatuses.has(s.finalStatus!);
}

type Find = (
  id: Readonly<Record<string, unknown>>,
  maxMatches: number,
  onMatch: (ds: Readonly<Record<string, unknown>>) => void,
) => Promise<FindSummary>;

/** A C-FIND helper on `model` that records every summary and the character sets seen. */
function finder(ctx: ProbeContext, channel: DimseChannel, model: QueryModel) {
  const base = { contextId: model.contextId, sopClassUid: model.sopClassUid, transferSyntax: model.transferSyntax };
  const charsets = new Set<string>();
  const queries: FindSummary[] = [];
  const find: Find = async (id, maxMatches, onMatch) => {
    const s = await cFind(channel, { ...base, identifier: id, maxMatches, timeoutMs: ctx.timeouts.dimseMs }, onMatch);
    for (const c of s.characterSets) charsets.add(c);
    queries.push(s);
    return s;
  };
  const done = (studyQueries: readonly FindSummary[], perPatient: boolean, stoppedAtCap = false): StudyWalk => {
    const matches = studyQueries.reduce((n, q) => n + q.matches, 0);
    const last = studyQueries.at(-1);
    const caps = findCaps();
    return {
      matches,
      finalStatus: last?.finalStatus ?? null,
      allowed: matches > 0 || studyQueries.some((q) => isClass(q.finalStatus, 'success')),
      capped: stoppedAtCap || queries.some((q) => capReason(q, caps) !== null),
      undecodable: queries.reduce((n, q) => n + q.undecodable, 0),
      characterSets: [...charsets],
      perPatient,
      queries: queries.length,
    };
  };
  return { find, done, isOpen: () => channel.association.isOpen };
}

/**
 * Calls `onStudy` for each study-level match (at most `maxStudies`), with the decoded identifier,
 * which answers `keys` (plus PatientID and StudyInstanceUID, always asked for). No partitioning:
 * for a bounded walk (a sample); counting goes through partition.ts.
 */
export async function walkStudies(
  ctx: ProbeContext,
  channel: DimseChannel,
  model: QueryModel,
  keys: Readonly<Record<string, string>>,
  maxStudies: number,
  onStudy: (dataset: Readonly<Record<string, unknown>>) => void,
): Promise<StudyWalk> {
  const { find, done, isOpen } = finder(ctx, channel, model);
  const universal = await find(studyIdentifier(keys), maxStudies, onStudy);
  if (model.name === 'study-root' || !refusedAsHierarchical(universal) || !channel.association.isOpen)
    return done([universal], false);
  return perPatient(find, done, isOpen, keys, maxStudies, onStudy, universal);
}

/**
 * Strict Patient Root: list the patients, then ask each one's studies (PS3.4 C.4.1.2.1). For a
 * caller that already saw the universal query refused (`refusedAsHierarchical`).
 */
export async function walkPerPatient(
  ctx: ProbeContext,
  channel: DimseChannel,
  model: QueryModel,
  keys: Readonly<Record<string, string>>,
  maxStudies: number,
  onStudy: (dataset: Readonly<Record<string, unknown>>) => void,
): Promise<StudyWalk> {
  const { find, done, isOpen } = finder(ctx, channel, model);
  return perPatient(find, done, isOpen, keys, maxStudies, onStudy, null);
}

async function perPatient(
  find: Find,
  done: (q: readonly FindSummary[], perPatient: boolean, stoppedAtCap?: boolean) => StudyWalk,
  isOpen: () => boolean,
  keys: Readonly<Record<string, string>>,
  maxStudies: number,
  onStudy: (dataset: Readonly<Record<string, unknown>>) => void,
  universal: FindSummary | null,
): Promise<StudyWalk> {
  const identifier = studyIdentifier(keys);
  const patientIds: string[] = [];
  const patients = await find({ QueryRetrieveLevel: 'PATIENT', PatientID: '' }, maxStudies, (ds) => {
    const pid = firstString(ds['PatientID']);
    if (pid !== null) patientIds.push(pid);
  });
  if (!isClass(patients.finalStatus, 'success') && patientIds.length === 0)
    return done(universal ? [universal] : [patients], false);
  const studyQueries: FindSummary[] = [];
  let seen = 0;
  let stoppedAtCap = false;
  for (const pid of patientIds) {
    if (!isOpen()) break;
    if (seen >= maxStudies) {
      stoppedAtCap = true; // patients left unasked: the study count is a lower bound
      break;
    }
    const q = await find({ ...identifier, PatientID: pid }, maxStudies - seen, onStudy);
    studyQueries.push(q);
    seen += q.matches;
  }
  patientIds.length = 0;
  return done(studyQueries.length > 0 ? studyQueries : universal ? [universal] : [patients], true, stoppedAtCap);
}

export function firstString(v: unknown): string | null {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x.length > 0 ? x : null;
}
