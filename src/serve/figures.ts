/**
 * What pages need beyond src/report/aggregate.ts (figures) and src/report/diff.ts (diff, trend).
 */
import { exposureRank } from '../report/scans.ts';
import type { FigureRow } from '../store/repository.ts';

/** The worst exposure level with at least one endpoint in the group (`none` when empty). */
export function worstExposure(row: FigureRow): string {
  let worst = 'none';
  for (const [level, n] of Object.entries(row.byExposure))
    if (n > 0 && exposureRank(level) < exposureRank(worst)) worst = level;
  return worst;
}
