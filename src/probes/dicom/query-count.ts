/**
 * Probe `dicom.query-count`: how many patients, studies and instances a stranger's C-FIND reaches.
 *
 * Privacy: the counting queries ask only for UIDs, the patient ID (hashed at once with the
 * per-scan salt, for a distinct count) and instance counts. No value leaves this module.
 * Instances come from NumberOfStudyRelatedInstances; where a peer does not return it, from
 * series-level counts (NumberOfSeriesRelatedInstances, else image-level matches) on at most
 * `maxFollowUpStudies` studies, extrapolated and marked as an estimate beyond that.
 */
import type { DimseChannel } from '../../protocol/dimse/channel.ts';
import { cFind, type FindSummary } from '../../protocol/dimse/find.ts';
import { SopClass, statusClass } from '../../protocol/dimse/constants.ts';
import { SaltedDistinctCounter } from '../../privacy/salted-distinct.ts';
import type { Observation, ProbeContext } from '../probe.ts';
import { acceptedContext, type ContextAnswer } from './proposal.ts';
import { observe } from './timing.ts';

export interface QueryFacts {
  /** A stranger's study-level C-FIND completed with success and returned what it matched. */
  readonly allowed: boolean;
  readonly model: 'study-root' | 'patient-root' | null;
  /** The final DIMSE status of the study-level query; null if none was sent or it never ended. */
  readonly dimseStatus: number | null;
  readonly patients: number | null;
  readonly studies: number | null;
  readonly instances: number | null;
  /** True when `instances` was extrapolated from a sample of studies. */
  readonly instancesEstimated: boolean;
  /** True when the study count hit our match cap (C-CANCEL sent): the real count is at least this. */
  readonly capped: boolean;
  /** Matches whose identifier could not be decoded (counted, not read). */
  readonly undecodable: number;
  readonly characterSets: readonly string[];
}

const MAX_FOLLOW_UP_STUDIES = 200;

interface StudyTally {
  studies: number;
  instancesKnown: number;
  /** Studies that came without NumberOfStudyRelatedInstances. */
  missingCount: number;
  /** UIDs of the first of those, to follow up (in memory only). */
  followUp: string[];
}

function intOf(v: unknown): number | null {
  const x = Array.isArray(v) ? v[0] : v;
  const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}

function firstString(v: unknown): string | null {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x.length > 0 ? x : null;
}

export function probeQueryCount(
  ctx: ProbeContext,
  channel: DimseChannel,
  answers: readonly ContextAnswer[],
): Promise<Observation<QueryFacts>> {
  return observe<QueryFacts>('dicom.query-count', async () => {
    const studyRoot = acceptedContext(answers, SopClass.StudyRootQueryRetrieveFind);
    const patientRoot = acceptedContext(answers, SopClass.PatientRootQueryRetrieveFind);
    const pc = studyRoot ?? patientRoot;
    const empty: QueryFacts = {
      allowed: false,
      model: null,
      dimseStatus: null,
      patients: null,
      studies: null,
      instances: null,
      instancesEstimated: false,
      capped: false,
      undecodable: 0,
      characterSets: [],
    };
    if (!pc) return { status: 'success', detail: 'no query model accepted', facts: empty };
    const model = studyRoot ? 'study-root' : 'patient-root';
    const sopClassUid = studyRoot ? SopClass.StudyRootQueryRetrieveFind : SopClass.PatientRootQueryRetrieveFind;

    const patients = new SaltedDistinctCounter(ctx.salt);
    const tally: StudyTally = { studies: 0, instancesKnown: 0, missingCount: 0, followUp: [] };
    // In patient root, STUDY level needs a patient; a stranger's universal query is asked at
    // STUDY level in study root, and in patient root it is tried the same way (many servers allow it).
    const summary: FindSummary = await cFind(
      channel,
      {
        contextId: pc.id,
        sopClassUid,
        transferSyntax: pc.transferSyntax,
        identifier: {
          QueryRetrieveLevel: 'STUDY',
          StudyInstanceUID: '',
          PatientID: '',
          NumberOfStudyRelatedInstances: '',
        },
        maxMatches: ctx.maxQueryMatches,
        timeoutMs: ctx.timeouts.dimseMs,
      },
      (ds) => {
        tally.studies += 1;
        const pid = firstString(ds['PatientID']);
        if (pid !== null) patients.add(pid);
        const n = intOf(ds['NumberOfStudyRelatedInstances']);
        if (n !== null) tally.instancesKnown += n;
        else {
          tally.missingCount += 1;
          const uid = firstString(ds['StudyInstanceUID']);
          if (uid !== null && tally.followUp.length < MAX_FOLLOW_UP_STUDIES) tally.followUp.push(uid);
        }
      },
    );
    const success = summary.finalStatus !== null && statusClass(summary.finalStatus) === 'success';
    // Capped: we cancelled at our match cap, or the server ended the query with Cancel on its own
    // (a server-side result limit such as Orthanc's LimitFindResults): the counts are lower bounds.
    const capped = summary.cancelled || (summary.finalStatus !== null && statusClass(summary.finalStatus) === 'cancel');
    const allowed = summary.matches > 0 || success;
    const studiesMissingCount = tally.missingCount;
    let instances: number | null = tally.instancesKnown;
    let estimated = false;
    if (studiesMissingCount > 0) {
      const followUp = await countInstancesBySeries(
        ctx,
        channel,
        pc.id,
        pc.transferSyntax,
        sopClassUid,
        tally.followUp,
      );
      if (followUp === null) instances = null;
      else {
        instances = tally.instancesKnown + followUp.instances;
        if (followUp.studies < studiesMissingCount) {
          const perStudy = followUp.studies > 0 ? followUp.instances / followUp.studies : 0;
          instances += Math.round(perStudy * (studiesMissingCount - followUp.studies));
          estimated = true;
        }
      }
    }
    return {
      status: 'success',
      detail: summary.finalStatus === null ? 'query cancelled and never closed by the peer' : null,
      facts: {
        allowed,
        model,
        dimseStatus: summary.finalStatus,
        patients: allowed ? patients.size : null,
        studies: allowed ? tally.studies : null,
        instances: allowed ? instances : null,
        instancesEstimated: estimated || capped,
        capped,
        undecodable: summary.undecodable,
        characterSets: summary.characterSets,
      },
    };
  });
}

/**
 * Instances of the given studies from series-level queries. Returns null if the peer refuses
 * series-level queries. Study UIDs are used as query keys in memory only, never kept.
 */
async function countInstancesBySeries(
  ctx: ProbeContext,
  channel: DimseChannel,
  contextId: number,
  transferSyntax: string,
  sopClassUid: string,
  studyUids: readonly string[],
): Promise<{ studies: number; instances: number } | null> {
  let instances = 0;
  let studies = 0;
  for (const studyUid of studyUids) {
    const seriesWithoutCount: string[] = [];
    const r = await cFind(
      channel,
      {
        contextId,
        sopClassUid,
        transferSyntax,
        identifier: {
          QueryRetrieveLevel: 'SERIES',
          StudyInstanceUID: studyUid,
          SeriesInstanceUID: '',
          NumberOfSeriesRelatedInstances: '',
        },
        maxMatches: ctx.maxQueryMatches,
        timeoutMs: ctx.timeouts.dimseMs,
      },
      (ds) => {
        const n = intOf(ds['NumberOfSeriesRelatedInstances']);
        if (n !== null) instances += n;
        else {
          const uid = firstString(ds['SeriesInstanceUID']);
          if (uid !== null) seriesWithoutCount.push(uid);
        }
      },
    );
    if (r.finalStatus === null || statusClass(r.finalStatus) !== 'success') return null;
    for (const seriesUid of seriesWithoutCount) {
      const img = await cFind(
        channel,
        {
          contextId,
          sopClassUid,
          transferSyntax,
          identifier: {
            QueryRetrieveLevel: 'IMAGE',
            StudyInstanceUID: studyUid,
            SeriesInstanceUID: seriesUid,
            SOPInstanceUID: '',
          },
          maxMatches: ctx.maxQueryMatches,
          timeoutMs: ctx.timeouts.dimseMs,
        },
        () => {},
      );
      if (img.finalStatus === null || statusClass(img.finalStatus) !== 'success') return null;
      instances += img.matches;
    }
    studies += 1;
  }
  return { studies, instances };
}
