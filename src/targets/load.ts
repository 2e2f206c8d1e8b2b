/**
 * The command line's view: `TARGET…`, `-iL FILE`, `--exclude a,b`, `--exclude-file FILE`.
 */
import { readSpecFile, parseTargetSpec, type SpecSource } from './spec.ts';
import { TargetSet, type PinnedHost, type Resolver } from './target-set.ts';

export interface TargetOptions {
  /** Targets given as arguments. */
  readonly targets?: readonly string[];
  /** `-iL` files. */
  readonly inputLists?: readonly string[];
  /** `--exclude` values; each may be a comma-separated list, as in nmap. */
  readonly exclude?: readonly string[];
  /** `--exclude-file` files. */
  readonly excludeFiles?: readonly string[];
  readonly pinned?: readonly PinnedHost[];
  readonly resolver?: Resolver;
}

export async function loadTargets(options: TargetOptions): Promise<TargetSet> {
  const include: SpecSource[] = (options.targets ?? []).map((t, i) => ({ text: t, origin: `argument ${i + 1}` }));
  for (const file of options.inputLists ?? []) include.push(...(await readSpecFile(file)));
  const exclude: SpecSource[] = [];
  for (const value of options.exclude ?? []) exclude.push(...splitExcludeOption(value));
  for (const file of options.excludeFiles ?? []) exclude.push(...(await readSpecFile(file)));
  return TargetSet.build({ include, exclude, pinned: options.pinned, resolver: options.resolver });
}

/** `--exclude 192.0.2.1,pacs.example` is two specs; `10.0.0,2.1` (an octet pattern) is one. */
export function splitExcludeOption(value: string): SpecSource[] {
  const origin = '--exclude';
  try {
    parseTargetSpec(value);
    return [{ text: value, origin }];
  } catch {
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((text) => ({ text, origin }));
  }
}
