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
  /** Counts are lower bounds: we cancelled at our cap, or the server ended a query with Cancel. */
  readonly capped: boolean;
  readonly undecodable: number;
  readonly characterSets: readonly string[];
  /** True when the walk had to go patient by patient. */
  readonly perPatient: boolean;
}

const isClass = (s: number | null, c: ReturnType<typeof statusClass>): boolean => s !== null && statusClass(s) === c;

/**
 * Calls `onStudy` for each study-level match (at most `maxStudies`), with the decoded identifier,
 * which answers `keys` (plus PatientID and StudyInstanceUID, always asked for).
 */
export async function walkStudies(
  ctx: ProbeContext,
  channel: DimseChannel,
  model: QueryModel,
  keys: Readonly<Record<string, string>>,
  maxStudies: number,
  onStudy: (dataset: Readonly<Record<string, unknown>>) => void,
): Promise<StudyWalk> {
  const identifier = { ...keys, QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '', PatientID: '' };
  const base = { contextId: model.contextId, sopClassUid: model.sopClassUid, transferSyntax: model.transferSyntax };
  const charsets = new Set<string>();
  const queries: FindSummary[] = [];
  const find = async (
    id: Readonly<Record<string, unknown>>,
    maxMatches: number,
    onMatch: (ds: Readonly<Record<string, unknown>>) => void,
  ): Promise<FindSummary> => {
    const s = await cFind(channel, { ...base, identifier: id, maxMatches, timeoutMs: ctx.timeouts.dimseMs }, onMatch);
    for (const c of s.characterSets) charsets.add(c);
    queries.push(s);
    return s;
  };
  const done = (studyQueries: readonly FindSummary[], perPatient: boolean, stoppedAtCap = false): StudyWalk => {
    const matches = studyQueries.reduce((n, q) => n + q.matches, 0);
    const last = studyQueries.at(-1);
    return {
      matches,
      finalStatus: last?.finalStatus ?? null,
      allowed: matches > 0 || studyQueries.some((q) => isClass(q.finalStatus, 'success')),
      capped: stoppedAtCap || queries.some((q) => q.cancelled || isClass(q.finalStatus, 'cancel')),
      undecodable: queries.reduce((n, q) => n + q.undecodable, 0),
      characterSets: [...charsets],
      perPatient,
    };
  };

  const universal = await find(identifier, maxStudies, onStudy);
  const refused = universal.matches === 0 && isClass(universal.finalStatus, 'failure');
  if (model.name === 'study-root' || !refused || !channel.association.isOpen) return done([universal], false);

  // Strict Patient Root: list the patients, then ask each one's studies.
  const patientIds: string[] = [];
  const patients = await find({ QueryRetrieveLevel: 'PATIENT', PatientID: '' }, maxStudies, (ds) => {
    const pid = firstString(ds['PatientID']);
    if (pid !== null) patientIds.push(pid);
  });
  if (!isClass(patients.finalStatus, 'success') && patientIds.length === 0) return done([universal], false);
  const studyQueries: FindSummary[] = [];
  let seen = 0;
  let stoppedAtCap = false;
  for (const pid of patientIds) {
    if (!channel.association.isOpen) break;
    if (seen >= maxStudies) {
      stoppedAtCap = true; // patients left unasked: the study count is a lower bound
      break;
    }
    const q = await find({ ...identifier, PatientID: pid }, maxStudies - seen, onStudy);
    studyQueries.push(q);
    seen += q.matches;
  }
  patientIds.length = 0;
  return done(studyQueries.length > 0 ? studyQueries : [universal], true, stoppedAtCap);
}

export function firstString(v: unknown): string | null {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x.length > 0 ? x : null;
}
