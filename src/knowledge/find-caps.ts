/**
 * Signs that a C-FIND answer was cut short by the server (find-caps.json): round result counts
 * and final statuses. Validated once at load; a bad entry is named.
 */
import { readFileSync } from 'node:fs';

export interface FindCaps {
  /** Match counts that look like a configured limit. */
  readonly roundCounts: ReadonlySet<number>;
  /** Final statuses by which a server says it stopped early. */
  readonly truncatingStatuses: ReadonlySet<number>;
}

function entries(raw: unknown, key: string): Array<{ value: number }> {
  const list = (raw as Record<string, unknown>)[key];
  if (!Array.isArray(list) || list.length === 0) throw new Error(`find-caps.json: '${key}' must be a non-empty array`);
  return list.map((e: unknown, i) => {
    const o = e as { value?: unknown; source?: unknown };
    if (typeof o !== 'object' || o === null) throw new Error(`find-caps.json: ${key}[${i}] is not an object`);
    if (!Number.isInteger(o.value) || (o.value as number) < 1 || (o.value as number) > 0xffffff)
      throw new Error(`find-caps.json: ${key}[${i}].value must be a positive integer`);
    if (!Array.isArray(o.source) || o.source.length === 0)
      throw new Error(`find-caps.json: ${key}[${i}] (${String(o.value)}) needs a source`);
    return { value: o.value as number };
  });
}

export function parseFindCaps(raw: unknown): FindCaps {
  if (typeof raw !== 'object' || raw === null || (raw as { version?: unknown }).version !== 1)
    throw new Error('find-caps.json: expected version 1');
  return {
    roundCounts: new Set(entries(raw, 'caps').map((e) => e.value)),
    truncatingStatuses: new Set(entries(raw, 'statuses').map((e) => e.value)),
  };
}

let loaded: FindCaps | undefined;

export function findCaps(): FindCaps {
  loaded ??= parseFindCaps(JSON.parse(readFileSync(new URL('./find-caps.json', import.meta.url), 'utf8')));
  return loaded;
}
