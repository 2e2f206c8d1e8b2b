/**
 * Host × port work items, generated lazily. The index space is hosts × ports; in random order a
 * keyed permutation of it spreads both hosts and ports (masscan's approach: consecutive probes
 * rarely hit the same host, never the same network in bursts). In sequential order it is
 * host-major: every port of the first host, then the next host.
 */
import { Cursor, HostDecisions, type IterateOptions, type Target, type TargetSet } from './target-set.ts';
import { normalisePorts } from './ports.ts';

export interface WorkItem extends Target {
  readonly port: number;
}

export function workCount(targets: TargetSet, ports: readonly number[]): bigint {
  return targets.count() * BigInt(normalisePorts(ports).length);
}

/**
 * Every (target, port) pair once. `position` is the work position (resume from it with `start`).
 * A hostname is resolved once, when its first pair comes up; its other pairs reuse the outcome.
 */
export async function* workItems(
  targets: TargetSet,
  ports: readonly number[],
  options: IterateOptions = {},
): AsyncGenerator<WorkItem> {
  const list = normalisePorts(ports);
  const P = BigInt(list.length);
  const H = targets.count();
  const cursor = new Cursor(H * P, options);
  const random = (options.order ?? 'random') === 'random';
  const decisions = new HostDecisions(targets, options);
  // Out-of-scope addresses are reported once, not once per port.
  const reported = new Set<string>();
  const onSkip = options.onSkip;
  const quiet: IterateOptions = {
    ...options,
    onSkip: onSkip
      ? (s) => {
          if (reported.has(s.target)) return;
          reported.add(s.target);
          onSkip(s);
        }
      : undefined,
  };
  for (let pos = cursor.next(); pos !== null; pos = cursor.next()) {
    const x = cursor.index(pos);
    const host = random ? x % H : x / P;
    const port = list[Number(random ? x / H : x % P)]!;
    const slot = targets.slot(host);
    if (slot.kind === 'address') {
      const t = targets.addressTarget(slot.family, slot.value, pos, quiet);
      if (t) yield { ...t, port };
      continue;
    }
    const d = await decisions.decide(slot.entry);
    if ('skipped' in d) continue;
    yield { address: d.address, family: d.family, hostname: slot.entry.name, position: pos, port };
  }
}
