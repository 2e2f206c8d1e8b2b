/**
 * Records every attempt to open a file for writing in this process while installed: the
 * retrieved instance must never touch a disk. Patches node:fs and node:fs/promises and syncs the
 * ESM named exports (module.syncBuiltinESMExports), so `import { writeFile } from 'node:fs'`
 * is caught too. Calls go through to the real functions.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

type AnyFn = (...args: unknown[]) => unknown;

const WRITE_FLAGS = /[wa+]/;

export function spyOnFileWrites(): { calls: string[]; restore(): void } {
  const calls: string[] = [];
  const saved: Array<[Record<string, unknown>, string, unknown]> = [];
  const wrap = (obj: Record<string, unknown>, name: string, isWrite: (args: unknown[]) => boolean): void => {
    const real = obj[name] as AnyFn;
    saved.push([obj, name, real]);
    obj[name] = function (this: unknown, ...args: unknown[]) {
      if (isWrite(args)) calls.push(`${name} ${String(args[0])}`);
      return real.apply(this, args);
    };
  };
  const always = (): boolean => true;
  const byFlags = (args: unknown[]): boolean => typeof args[1] === 'string' && WRITE_FLAGS.test(args[1]);
  const f = fs as unknown as Record<string, unknown>;
  const p = fsp as unknown as Record<string, unknown>;
  for (const n of [
    'writeFile',
    'writeFileSync',
    'appendFile',
    'appendFileSync',
    'createWriteStream',
    'copyFile',
    'copyFileSync',
  ])
    wrap(f, n, always);
  wrap(f, 'open', byFlags);
  wrap(f, 'openSync', byFlags);
  for (const n of ['writeFile', 'appendFile', 'copyFile']) wrap(p, n, always);
  wrap(p, 'open', byFlags);
  syncBuiltinESMExports();
  return {
    calls,
    restore() {
      for (const [obj, name, real] of saved.reverse()) obj[name] = real;
      syncBuiltinESMExports();
    },
  };
}
