/**
 * Probe `dicom.query-count`: how many patients, studies and instances a stranger's C-FIND reaches.
 *
 * Privacy: the counting queries ask only for UIDs, the patient ID (hashed at once with the
 * per-scan salt, for a distinct count) and instance counts. No value leaves this module.
 * Studies are enumerated by `walkStudies`, in Study Root or (strictly hierarchical) Patient Root.
 * Instances come from NumberOfStudyRelatedInstances; where a peer does not return it, from
 * series-level counts (NumberOfSeriesRelatedInstances, else image-level matches) on at most
 * `maxFollowUpStudies` studies, extrapolated and marked as an estimate beyond that.
 */
import type { DimseChannel } from '../../protocol/dimse/channel.ts';
import { cFind } from '../../protocol/dimse/find.ts';
import { statusClass } from '../../protocol/dimse/constants.ts';
import { SaltedDistinctCounter } from '../../privacy/salted-distinct.ts';
import type { Observation, ProbeContext } from '../probe.ts';
import type { ContextAnswer } from './proposal.ts';
import { firstString, queryModel, walkStudies, withPatientKey, type QueryModel } from './study-walk.ts';
import { observe } from './observe.ts';

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
  /** The counts are lower bounds: our match cap was reached (C-CANCEL sent) or the server ended a query with Cancel. */
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
  /** UIDs (and, for Patient Root, patient IDs) of the first of those, to follow up (in memory only). */
  followUp: Array<{ studyUid: string; patientId: string | null }>;
}

function intOf(v: unknown): number | null {
  const x = Array.isArray(v) ? v[0] : v;
  const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export function probeQueryCount(
  ctx: ProbeContext,
  channel: DimseChannel,
  answers: readonly ContextAnswer[],
): Promise<Observation<QueryFacts>> {
  return observe<QueryFacts>('dicom.query-count', async () => {
    const model = queryModel(answers);
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
    if (!model) return { status: 'success', detail: 'no query model accepted', facts: empty };

    const patients = new SaltedDistinctCounter(ctx.salt);
    const tally: StudyTally = { studies: 0, instancesKnown: 0, missingCount: 0, followUp: [] };
    const walk = await walkStudies(
      ctx,
      channel,
      model,
      { NumberOfStudyRelatedInstances: '' },
      ctx.maxQueryMatches,
      (ds) => {
        tally.studies += 1;
        const pid = firstString(ds['PatientID']);
        if (pid !== null) patients.add(pid);
        const n = intOf(ds['NumberOfStudyRelatedInstances']);
        if (n !== null) tally.instancesKnown += n;
        else {
          tally.missingCount += 1;
          const uid = firstString(ds['StudyInstanceUID']);
          if (uid !== null && tally.followUp.length < MAX_FOLLOW_UP_STUDIES)
            tally.followUp.push({ studyUid: uid, patientId: pid });
        }
      },
    );
    const { allowed, capped } = walk;
    const studiesMissingCount = tally.missingCount;
    let instances: number | null = tally.instancesKnown;
    let estimated = false;
    if (studiesMissingCount > 0) {
      const followUp = await countInstancesBySeries(ctx, channel, model, tally.followUp);
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
      detail: walk.finalStatus === null ? 'query cancelled and never closed by the peer' : null,
      facts: {
        allowed,
        model: model.name,
        dimseStatus: walk.finalStatus,
        patients: allowed ? patients.size : null,
        studies: allowed ? tally.studies : null,
        instances: allowed ? instances : null,
        instancesEstimated: estimated || capped,
        capped,
        undecodable: walk.undecodable,
        characterSets: walk.characterSets,
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
  model: QueryModel,
  followUp: ReadonlyArray<{ studyUid: string; patientId: string | null }>,
): Promise<{ studies: number; instances: number } | null> {
  const { contextId, sopClassUid, transferSyntax } = model;
  let instances = 0;
  let studies = 0;
  for (const { studyUid, patientId } of followUp) {
    const seriesWithoutCount: string[] = [];
    const r = await cFind(
      channel,
      {
        contextId,
        sopClassUid,
        transferSyntax,
        identifier: withPatientKey(model, patientId, {
          QueryRetrieveLevel: 'SERIES',
          StudyInstanceUID: studyUid,
          SeriesInstanceUID: '',
          NumberOfSeriesRelatedInstances: '',
        }),
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
          identifier: withPatientKey(model, patientId, {
            QueryRetrieveLevel: 'IMAGE',
            StudyInstanceUID: studyUid,
            SeriesInstanceUID: seriesUid,
            SOPInstanceUID: '',
          }),
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
