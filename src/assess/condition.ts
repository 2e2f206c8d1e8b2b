/**
 * The interpreter of the knowledge files' condition language (parsed by src/knowledge/schema.ts).
 * A fact that is absent (an optional part not probed, a null count) makes every comparison false
 * except `exists: false` and `ne`: a rule never fires on a fact nobody observed.
 */
import type { Condition, Scalar } from '../knowledge/schema.ts';

export type Facts = Readonly<Record<string, unknown>>;

/** The value at a dotted path, or undefined when any step is missing or null. */
export function factAt(facts: unknown, path: string): unknown {
  let cur: unknown = facts;
  for (const key of path.split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur === null ? undefined : cur;
}

export function evaluate(cond: Condition, facts: unknown): boolean {
  if ('all' in cond) return cond.all.every((c) => evaluate(c, facts));
  if ('any' in cond) return cond.any.some((c) => evaluate(c, facts));
  if ('not' in cond) return !evaluate(cond.not, facts);
  const v = factAt(facts, cond.path);
  const want = cond.value;
  switch (cond.op) {
    case 'exists':
      return (v !== undefined) === want;
    case 'nonEmpty':
      return Array.isArray(v) && v.length > 0 === want;
    case 'eq':
      return want === null ? v === undefined : v === want;
    case 'ne':
      return want === null ? v !== undefined : v !== want;
    case 'gt':
      return typeof v === 'number' && v > (want as number);
    case 'gte':
      return typeof v === 'number' && v >= (want as number);
    case 'lt':
      return typeof v === 'number' && v < (want as number);
    case 'lte':
      return typeof v === 'number' && v <= (want as number);
    case 'in':
      return v !== undefined && (want as readonly Scalar[]).includes(v as Scalar);
    case 'includes':
      return Array.isArray(v) && v.includes(want);
  }
}
