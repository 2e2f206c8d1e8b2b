import { performance } from 'node:perf_hooks';
import { describeError, statusOf, type Status } from '../../protocol/status.ts';
import type { Observation } from '../probe.ts';
import { OutOfScopeError } from '../probe.ts';

/**
 * Runs one probe body and wraps what it returns (or throws) into an observation with timings.
 * This is where "a probe never throws" is made true.
 */
export async function observe<F>(
  probe: string,
  body: () => Promise<{ status: Status; facts: F | null; detail?: string | null }>,
): Promise<Observation<F>> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  try {
    const r = await body();
    return {
      probe,
      status: r.status,
      startedAt,
      durationMs: round(performance.now() - t0),
      detail: r.detail ?? null,
      facts: r.facts,
    };
  } catch (err) {
    const detail = err instanceof OutOfScopeError ? err.message : describeError(err);
    return { probe, status: statusOf(err), startedAt, durationMs: round(performance.now() - t0), detail, facts: null };
  }
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
