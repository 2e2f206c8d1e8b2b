/** Searches text and files for planted canary values: any hit is a privacy failure. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { CANARY_MARKER, type SyntheticArchive } from '../fixtures/studies/synthetic.ts';

export function canaryHits(text: string, archive: SyntheticArchive): string[] {
  const hits = new Set<string>();
  if (text.includes(CANARY_MARKER)) hits.add(CANARY_MARKER);
  for (const c of [...archive.canaries, ...archive.canaryTokens]) if (c.length >= 6 && text.includes(c)) hits.add(c);
  return [...hits];
}

/** Every file below `dir` (recursively), as latin1 so any byte sequence is searchable. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesBelow(p));
    else out.push(p);
  }
  return out;
}

export function assertNoCanaries(where: string, text: string, archive: SyntheticArchive): void {
  const hits = canaryHits(text, archive);
  assert.deepEqual(hits, [], `${where} contains planted patient values`);
}

export function assertNoCanariesInFiles(dir: string, archive: SyntheticArchive): number {
  const files = filesBelow(dir);
  for (const f of files) {
    const bytes = readFileSync(f);
    assertNoCanaries(f, bytes.toString('latin1'), archive);
    assertNoCanaries(f, bytes.toString('utf8'), archive);
  }
  return files.length;
}
