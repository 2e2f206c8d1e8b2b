/**
 * Which categories of personal data a response exposes. Looks at whether a value is present
 * and non-empty; the value itself is never copied, returned or logged.
 */
import { readFileSync } from 'node:fs';

export interface PhiCategoryDef {
  readonly id: string;
  readonly label: string;
  readonly keywords: readonly string[];
}

function loadCategories(): readonly PhiCategoryDef[] {
  const raw = JSON.parse(readFileSync(new URL('../knowledge/phi-categories.json', import.meta.url), 'utf8')) as {
    version?: unknown;
    categories?: unknown;
  };
  if (raw.version !== 1 || !Array.isArray(raw.categories))
    throw new Error('phi-categories.json: expected version 1 with categories[]');
  return raw.categories.map((c: unknown, i: number) => {
    const d = c as Partial<PhiCategoryDef>;
    if (
      typeof d.id !== 'string' ||
      typeof d.label !== 'string' ||
      !Array.isArray(d.keywords) ||
      d.keywords.length === 0
    ) {
      throw new Error(`phi-categories.json: entry ${i} needs id, label and keywords`);
    }
    return { id: d.id, label: d.label, keywords: d.keywords.map(String) };
  });
}

export const PHI_CATEGORIES: readonly PhiCategoryDef[] = loadCategories();

/** Every attribute keyword a sampling query should ask for, to learn the categories. */
export const PHI_KEYWORDS: readonly string[] = [...new Set(PHI_CATEGORIES.flatMap((c) => c.keywords))];

/** True when a decoded (dcmjs naturalized) value carries any content. */
export function hasValue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v.replace(/[\s\0\\^=]/g, '').length > 0;
  if (typeof v === 'number') return true;
  if (Array.isArray(v)) return v.some(hasValue);
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).some(hasValue);
  return false;
}

/** Adds to `into` the ids of the categories present in one dataset. */
export function notePhiCategories(dataset: Readonly<Record<string, unknown>>, into: Set<string>): void {
  for (const c of PHI_CATEGORIES) {
    if (!into.has(c.id) && c.keywords.some((k) => hasValue(dataset[k]))) into.add(c.id);
  }
}

/** Category ids in catalogue order. */
export function orderedCategories(present: ReadonlySet<string>): string[] {
  return PHI_CATEGORIES.filter((c) => present.has(c.id)).map((c) => c.id);
}
