/** ISO 3166 alpha-2 → numeric (the ids of world-atlas' geometries) and English names. */
import { readFileSync } from 'node:fs';

interface NumericFile {
  readonly source: string;
  readonly codes: Readonly<Record<string, string>>;
}

let numeric: ReadonlyMap<string, string> | undefined;
let names: ReadonlyMap<string, string> | undefined;

function load(): void {
  const raw = JSON.parse(readFileSync(new URL('./iso3166-numeric.json', import.meta.url), 'utf8')) as NumericFile;
  if (typeof raw.source !== 'string' || typeof raw.codes !== 'object' || raw.codes === null)
    throw new Error('iso3166-numeric.json: expected source and codes');
  const seen = new Set<string>();
  for (const [a2, n] of Object.entries(raw.codes)) {
    if (!/^[A-Z]{2}$/.test(a2) || !/^\d{3}$/.test(n) || seen.has(n))
      throw new Error(`iso3166-numeric.json: bad or duplicate entry ${a2}: ${n}`);
    seen.add(n);
  }
  numeric = new Map(Object.entries(raw.codes));
  const iso = JSON.parse(readFileSync(new URL('../../facilities/iso3166-alpha2.json', import.meta.url), 'utf8')) as {
    codes: Record<string, string>;
  };
  names = new Map(Object.entries(iso.codes));
}

export function numericCode(alpha2: string): string | null {
  if (!numeric) load();
  return numeric?.get(alpha2.toUpperCase()) ?? null;
}

export function countryName(alpha2: string | null): string {
  if (alpha2 === null) return 'unknown';
  if (!names) load();
  return names?.get(alpha2.toUpperCase()) ?? alpha2;
}

/** Every alpha-2 code with a numeric code (for tests). */
export function numericCodes(): ReadonlyMap<string, string> {
  if (!numeric) load();
  return numeric ?? new Map();
}
