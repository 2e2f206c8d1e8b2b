/**
 * Probe `dicom.phi-categories`: which categories of personal data a stranger's C-FIND reveals.
 * Asks a bounded sample of studies for the attributes behind each category, notes whether each
 * is present, and drops the values at once. Only the category ids leave this module.
 */
import type { DimseChannel } from '../../protocol/dimse/channel.ts';
import { PHI_KEYWORDS, notePhiCategories, orderedCategories } from '../../privacy/phi-categories.ts';
import type { Observation, ProbeContext } from '../probe.ts';
import type { ContextAnswer } from './proposal.ts';
import { queryModel, walkStudies } from './study-walk.ts';
import { observe } from './observe.ts';

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
    const model = queryModel(answers);
    if (!model)
      return {
        status: 'success',
        detail: 'no query model accepted',
        facts: { categories: [], sampled: 0, dimseStatus: null },
      };
    const keys: Record<string, string> = {};
    for (const k of PHI_KEYWORDS) keys[k] = '';
    const present = new Set<string>();
    const walk = await walkStudies(ctx, channel, model, keys, ctx.phiSampleSize, (ds) =>
      notePhiCategories(ds, present),
    );
    return {
      status: 'success',
      facts: { categories: orderedCategories(present), sampled: walk.matches, dimseStatus: walk.finalStatus },
    };
  });
}
