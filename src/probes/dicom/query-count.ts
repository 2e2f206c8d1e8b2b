/**
 * Probe `dicom.query-count`: how many patients, studies and instances a stranger's C-FIND reaches.
 *
 * Privacy: the counting queries ask only for UIDs, the patient ID (hashed at once with the
 * per-scan salt, for a distinct count), instance counts, and StudyDate/StudyTime, which are range
 * keys only (read in memory to check a match belongs to its partition, never kept).
 * Past a server-side cap, the count is partitioned by StudyDate then StudyTime ranges
 * (partition.ts) until every answer is complete; strictly hierarchical Patient Root servers are
 * walked patient by patient instead (study-walk.ts).
 * Instances come from NumberOfStudyRelatedInstances; where a peer does not return it, from
 * series-level counts (NumberOfSeriesRelatedInstances, else image-level matches) on at most
 * `maxFollowUpStudies` studies, extrapolated and marked as an estimate beyond that.
 */
import { performance } from 'node:perf_hooks';
import type { DimseChannel } from '../../protocol/dimse/channel.ts';
import { cFind } from '../../protocol/dimse/find.ts';
import { statusClass } from '../../protocol/dimse/constants.ts';
import { SaltedDistinctCounter } from '../../privacy/salted-distinct.ts';
import { findCaps } from '../../knowledge/find-caps.ts';
import type { Observation, ProbeContext } from '../probe.ts';
import type { ContextAnswer } from './proposal.ts';
import {
  firstString,
  queryModel,
  refusedAsHierarchical,
  studyIdentifier,
  walkPerPatient,
  withPatientKey,
  type QueryModel,
} from './study-walk.ts';
import {
  dayNumber,
  partitionedCount,
  placeMatch,
  studyDateMatch,
  studyTimeMatch,
  type CapReason,
  type LowerBoundReason,
  type PartitionKey,
  type PartitionTally,
} from './partition.ts';
import { observe } from './observe.ts';

export interface QueryFacts {
  /** A stranger's study-level C-FIND completed with success and returned what it matched. */
  readonly allowed: boolean;
  readonly model: 'study-root' | 'patient-root' | null;
  /** The final DIMSE status of the first (universal) study-level query; null if none was sent or it never ended. */
  readonly dimseStatus: number | null;
  readonly patients: number | null;
  readonly studies: number | null;
  readonly instances: number | null;
  /** True when `instances` was extrapolated from a sample of studies (or the counts are lower bounds). */
  readonly instancesEstimated: boolean;
  /** The counts are lower bounds (see `lowerBoundReasons`); false when partitioning got past a server cap. */
  readonly capped: boolean;
  /** Why the first answer was judged cut short by the server; null if it was complete. */
  readonly capDetected: CapReason | null;
  /** Study-level C-FINDs sent to count (instance follow-ups not included). */
  readonly queries: number;
  /** Partitions whose counts were added up: 1 without a server cap. */
  readonly partitions: number;
  readonly lowerBoundReasons: readonly LowerBoundReason[];
  /** Matches whose identifier could not be decoded (counted, not read). */
  readonly undecodable: number;
  readonly characterSets: readonly string[];
}

export interface CountOptions {
  /** Most study-level C-FINDs one count may send (default 2000). */
  readonly maxQueries?: number;
  /** Time the count may spend partitioning, ms (default 60% of the association deadline). */
  readonly timeBudgetMs?: number;
  /** Today, for the upper end of the date ranges (default: now). */
  readonly today?: Date;
}

export const DEFAULT_MAX_COUNT_QUERIES = 2_000;
const MAX_FOLLOW_UP_STUDIES = 200;

interface FollowUp {
  readonly studyUid: string;
  readonly patientId: string | null;
}

/** Counts of a set of studies; `followUp` holds in memory only a bounded list of query keys. */
class Tally {
  studies = 0;
  instancesKnown = 0;
  /** Studies that came without NumberOfStudyRelatedInstances. */
  missingCount = 0;
  readonly followUp: FollowUp[] = [];

  add(ds: Readonly<Record<string, unknown>>, pid: string | null, room: number): void {
    this.studies += 1;
    const n = intOf(ds['NumberOfStudyRelatedInstances']);
    if (n !== null) this.instancesKnown += n;
    else {
      this.missingCount += 1;
      const uid = firstString(ds['StudyInstanceUID']);
      if (uid !== null && this.followUp.length < room) this.followUp.push({ studyUid: uid, patientId: pid });
    }
  }

  merge(o: Tally): void {
    this.studies += o.studies;
    this.instancesKnown += o.instancesKnown;
    this.missingCount += o.missingCount;
    for (const f of o.followUp) if (this.followUp.length < MAX_FOLLOW_UP_STUDIES) this.followUp.push(f);
  }
}

/** One partition's answer: its count, and apart, its matches the next split would lose. */
class PartTally implements PartitionTally {
  readonly all = new Tally();
  readonly withoutKey = new Tally();
  outside = 0;
  get counted(): number {
    return this.all.studies;
  }
  get withoutNextKey(): number {
    return this.withoutKey.studies;
  }
}

function intOf(v: unknown): number | null {
  const x = Array.isArray(v) ? v[0] : v;
  const n = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : null;
}

const COUNT_KEYS = { NumberOfStudyRelatedInstances: '' } as const;

export function probeQueryCount(
  ctx: ProbeContext,
  channel: DimseChannel,
  answers: readonly ContextAnswer[],
  opts: CountOptions = {},
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
      capDetected: null,
      queries: 0,
      partitions: 0,
      lowerBoundReasons: [],
      undecodable: 0,
      characterSets: [],
    };
    if (!model) return { status: 'success', detail: 'no query model accepted', facts: empty };

    const patients = new SaltedDistinctCounter(ctx.salt);
    const total = new Tally();
    const charsets = new Set<string>();
    let undecodable = 0;
    let firstTally: PartTally | null = null;
    const room = (t: Tally): number => MAX_FOLLOW_UP_STUDIES - total.followUp.length - t.followUp.length;
    const now = opts.today ?? new Date();
    const report = await partitionedCount<PartTally>(
      {
        query: async (key: PartitionKey) => {
          if (!channel.association.isOpen) return null;
          const tally = new PartTally();
          const identifier = {
            ...studyIdentifier(COUNT_KEYS),
            StudyDate: studyDateMatch(key.days),
            StudyTime: studyTimeMatch(key.seconds),
          };
          let s;
          try {
            s = await cFind(
              channel,
              {
                contextId: model.contextId,
                sopClassUid: model.sopClassUid,
                transferSyntax: model.transferSyntax,
                identifier,
                maxMatches: Math.max(1, ctx.maxQueryMatches - total.studies),
                timeoutMs: ctx.timeouts.dimseMs,
              },
              (ds) => {
                const pid = firstString(ds['PatientID']);
                if (pid !== null) patients.add(pid); // every match is a patient reached, wherever it is counted
                const place = placeMatch(key, firstString(ds['StudyDate']), firstString(ds['StudyTime']));
                if (place === 'outside') tally.outside += 1;
                else if (place !== 'ignored') {
                  tally.all.add(ds, pid, room(tally.all));
                  if (place === 'without-next-key') tally.withoutKey.add(ds, pid, room(tally.withoutKey));
                }
              },
            );
          } catch (err) {
            if (firstTally === null) throw err; // nothing counted yet: the probe fails as a whole
            return null; // keep what was counted; the association is gone
          }
          undecodable += s.undecodable;
          for (const c of s.characterSets) charsets.add(c);
          firstTally ??= tally;
          return { outcome: s, tally };
        },
        commit: (tally, part) => total.merge(part === 'all' ? tally.all : tally.withoutKey),
      },
      {
        caps: findCaps(),
        maxQueries: opts.maxQueries ?? DEFAULT_MAX_COUNT_QUERIES,
        deadlineAt: performance.now() + (opts.timeBudgetMs ?? 0.6 * ctx.timeouts.associationMs),
        today: dayNumber(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate()),
      },
    );

    let allowed = report.answered;
    let exact = report.exact;
    let reasons: readonly LowerBoundReason[] = report.lowerBoundReasons;
    let partitions = report.partitions;
    let queries = report.queries;
    let tally = total;
    const first = report.first;
    // Cut short before the partitions covered what the first answer saw: the first answer is the better lower bound.
    const firstAll = (firstTally as PartTally | null)?.all;
    if (!exact && firstAll && firstAll.studies > total.studies) tally = firstAll;

    if (model.name === 'patient-root' && first && refusedAsHierarchical(first) && channel.association.isOpen) {
      // Strict Patient Root: the universal study query is refused; walk patient by patient.
      const perPatient = new Tally();
      const walk = await walkPerPatient(ctx, channel, model, COUNT_KEYS, ctx.maxQueryMatches, (ds) => {
        const pid = firstString(ds['PatientID']);
        if (pid !== null) patients.add(pid);
        perPatient.add(ds, pid, MAX_FOLLOW_UP_STUDIES - perPatient.followUp.length);
      });
      tally = perPatient;
      allowed = walk.allowed;
      exact = !walk.capped;
      reasons = walk.capped ? ['per-patient-capped'] : [];
      partitions = 1;
      queries += walk.queries;
      undecodable += walk.undecodable;
      for (const c of walk.characterSets) charsets.add(c);
    }

    const capped = allowed && !exact;
    let instances: number | null = tally.instancesKnown;
    let estimated = false;
    if (tally.missingCount > 0 && channel.association.isOpen) {
      const followUp = await countInstancesBySeries(ctx, channel, model, tally.followUp);
      if (followUp === null) instances = null;
      else {
        instances = tally.instancesKnown + followUp.instances;
        if (followUp.studies < tally.missingCount) {
          const perStudy = followUp.studies > 0 ? followUp.instances / followUp.studies : 0;
          instances += Math.round(perStudy * (tally.missingCount - followUp.studies));
          estimated = true;
        }
      }
    } else if (tally.missingCount > 0) instances = null;
    return {
      status: 'success',
      detail: first !== null && first.finalStatus === null ? 'query cancelled and never closed by the peer' : null,
      facts: {
        allowed,
        model: model.name,
        dimseStatus: first?.finalStatus ?? null,
        patients: allowed ? patients.size : null,
        studies: allowed ? tally.studies : null,
        instances: allowed ? instances : null,
        instancesEstimated: estimated || capped,
        capped,
        capDetected: report.capDetected,
        queries,
        partitions,
        lowerBoundReasons: allowed ? reasons : [],
        undecodable,
        characterSets: [...charsets],
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
