/**
 * Probe `dicom.phi-categories`: which categories of personal data a stranger's C-FIND reveals.
 * Asks a bounded sample of studies for the attributes behind each category, notes whether each
 * is present, and drops the values at once. Only the category ids leave this module.
 */
import type { DimseChannel } from '../../protocol/dimse/channel.ts';
import { cFind } from '../../protocol/dimse/find.ts';
import { SopClass } from '../../protocol/dimse/constants.ts';
import { PHI_KEYWORDS, notePhiCategories, orderedCategories } from '../../privacy/phi-categories.ts';
import type { Observation, ProbeContext } from '../probe.ts';
import { acceptedContext, type ContextAnswer } from './proposal.ts';
import { observe } from './timing.ts';

export interface PhiFacts {
  /** Category ids present in at least one sampled match, in catalogue order. */
  readonly categories: readonly string[];
  /** How many matches were looked at. */
  readonly sampled: number;
  readonly dimseStatus: number | null;
}

export function probePhiCategories(
  ctx: ProbeContext,
  channel: DimseChannel,
  answers: readonly ContextAnswer[],
): Promise<Observation<PhiFacts>> {
  return observe<PhiFacts>('dicom.phi-categories', async () => {
    const pc =
      acceptedContext(answers, SopClass.StudyRootQueryRetrieveFind) ??
      acceptedContext(answers, SopClass.PatientRootQueryRetrieveFind);
    if (!pc)
      return {
        status: 'success',
        detail: 'no query model accepted',
        facts: { categories: [], sampled: 0, dimseStatus: null },
      };
    const sopClassUid = acceptedContext(answers, SopClass.StudyRootQueryRetrieveFind)
      ? SopClass.StudyRootQueryRetrieveFind
      : SopClass.PatientRootQueryRetrieveFind;
    const identifier: Record<string, string> = { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '' };
    for (const k of PHI_KEYWORDS) identifier[k] = '';
    const present = new Set<string>();
    const summary = await cFind(
      channel,
      {
        contextId: pc.id,
        sopClassUid,
        transferSyntax: pc.transferSyntax,
        identifier,
        maxMatches: ctx.phiSampleSize,
        timeoutMs: ctx.timeouts.dimseMs,
      },
      (ds) => notePhiCategories(ds, present),
    );
    return {
      status: 'success',
      facts: { categories: orderedCategories(present), sampled: summary.matches, dimseStatus: summary.finalStatus },
    };
  });
}
