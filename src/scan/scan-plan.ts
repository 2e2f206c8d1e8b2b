/**
 * A scan plan: everything that defines a scan's work and scope, as a JSON document stored with the
 * scan, so that `--resume` rebuilds exactly the same work in exactly the same order (same seed)
 * and carries on from the committed cursor. Files named by the plan (facility registry, discovery
 * import) are fingerprinted: a resume refuses a file that changed since the scan began.
 *
 * Scope, in order of authority:
 * - a facility registry (`--facilities`) is the scope; targets given besides it are cut to it;
 * - otherwise the targets themselves (addresses, ranges, and the addresses their hostnames resolve to);
 * - exclusions (`--exclude`, `--exclude-file`, the registry's own) always win.
 * A discovery import (`--import`) is never a scope: its entries outside the scope are reported, never contacted.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadRegistry, type FacilityRegistry } from '../facilities/registry.ts';
import { streamDiscovery, type DiscoveryFormat } from '../import/import.ts';
import { Scope } from '../scope/scope.ts';
import { TargetSet, type Resolver, type Skipped } from '../targets/target-set.ts';
import { parseTargetSpec, type SpecSource } from '../targets/spec.ts';
import { splitExcludeOption } from '../targets/load.ts';
import { workCount, workItems } from '../targets/work.ts';
import { normalisePorts } from '../targets/ports.ts';
import type { Timeouts } from '../probes/probe.ts';
import type { TlsMode } from './probe-port.ts';
import type { PoolItem } from './work-pool.ts';

export interface FileRef {
  readonly path: string;
  readonly sha256: string;
}

export interface ScanPlan {
  readonly planVersion: 1;
  /** Target specs as given (arguments and -iL lines), with where each came from. */
  readonly targets: readonly SpecSource[];
  readonly exclude: readonly SpecSource[];
  readonly facilities: FileRef | null;
  readonly discovery: (FileRef & { readonly format: DiscoveryFormat | null; readonly port: number | null }) | null;
  readonly ports: readonly number[];
  readonly order: 'random' | 'sequential';
  /** Seed of the random order (kept so a resume walks the same order). */
  readonly seed: string;
  readonly tls: TlsMode;
  readonly calledAe: string;
  readonly callingAe: string;
  readonly timeouts: Timeouts;
  readonly maxQueryMatches: number;
  readonly phiSampleSize: number;
  /** Parallel work items. */
  readonly concurrency: number;
  /** Parallel work items per host address (1: one connection per host at a time). */
  readonly perHost: number;
  /** Connection attempts per second, all probes together; 0 = unlimited. */
  readonly rate: number;
  /** Extra attempts of a connect that timed out (only timeouts are retried). */
  readonly retries: number;
  /** AE-title discovery after a reject for an unknown AE title (absent in older plans: defaults). */
  readonly aeDiscovery?: {
    readonly enabled: boolean;
    readonly maxAttempts: number;
    readonly paceMs: number;
    /** Guess calling titles too (presents another device's title): opt-in. */
    readonly guessCalling: boolean;
  };
  /** `retrieve` pulls one instance into memory and tries a C-MOVE to an unknown AE (opt-in, intrusive). */
  readonly depth?: 'negotiate' | 'retrieve';
  readonly maxInstanceBytes?: number;
  /** Run the web probes (DICOMweb, Orthanc REST, viewers) on HTTP answers (default true). */
  readonly web?: boolean;
  /** Try products' documented default logins where a web face demands one (opt-in). */
  readonly tryDefaultCredentials?: boolean;
}

/** One unit of work: a port of an address, at a position of the scan's order. */
export interface WorkUnit extends PoolItem {
  readonly address: string;
  readonly port: number;
  readonly hostname: string | null;
  /** Known open from a discovery import: the connect sweep is skipped. */
  readonly discovered: boolean;
}

export interface PreparedScan {
  readonly scope: Scope;
  readonly registry: FacilityRegistry | null;
  /** Number of work units (host × port pairs, or imported open ports in scope). */
  readonly total: bigint;
  /** Human description of the scope, for the store and messages. */
  readonly describe: string;
  /**
   * Units at positions in [start, end) (end defaults to the end of the work): a resume starts at
   * the committed cursor; a distributed scan's shard is one such range.
   */
  units(start: bigint, onSkip?: (s: Skipped) => void, end?: bigint): AsyncIterable<WorkUnit>;
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

export async function fileRef(path: string): Promise<FileRef> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new PlanError(`cannot read ${path}: ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
  return { path, sha256: createHash('sha256').update(data).digest('hex') };
}

async function checkUnchanged(ref: FileRef, what: string): Promise<void> {
  const now = await fileRef(ref.path);
  if (now.sha256 !== ref.sha256)
    throw new PlanError(`${what} ${ref.path} changed since the scan began; start a new scan instead of resuming`);
}

/** `--exclude` values (each possibly a comma list) as spec sources. */
export function excludeSources(values: readonly string[]): SpecSource[] {
  return values.flatMap((v) => splitExcludeOption(v));
}

/**
 * Builds the scope and the work of a plan. `resuming` checks that named files are unchanged.
 */
export async function prepareScan(
  plan: ScanPlan,
  options: { resolver?: Resolver; resuming?: boolean } = {},
): Promise<PreparedScan> {
  if (options.resuming) {
    if (plan.facilities) await checkUnchanged(plan.facilities, 'facility registry');
    if (plan.discovery) await checkUnchanged(plan.discovery, 'discovery file');
  }
  const registry = plan.facilities
    ? await loadRegistry(plan.facilities.path, options.resolver ? { resolver: options.resolver } : {})
    : null;
  const scope = registry ? registry.scope() : new Scope();
  if (!registry) {
    // The targets are the authorisation: their addresses (hostnames are added once resolved).
    for (const t of plan.targets) {
      const spec = parseTargetSpec(t.text, t.origin);
      if (spec.kind === 'addresses') scope.allow(spec.text, `target ${spec.text}${t.origin ? ` (${t.origin})` : ''}`);
    }
  }
  for (const x of plan.exclude) {
    const spec = parseTargetSpec(x.text, x.origin);
    if (spec.kind === 'addresses') scope.exclude(spec.text, `exclude ${spec.text}${x.origin ? ` (${x.origin})` : ''}`);
  }
  const describe = describeScope(plan, registry);

  if (plan.discovery) {
    const discovery = plan.discovery;
    const stream = (): AsyncIterable<string> =>
      createReadStream(discovery.path, { encoding: 'utf8', highWaterMark: 1 << 16 }) as AsyncIterable<string>;
    const importOptions = {
      ...(discovery.format ? { format: discovery.format } : {}),
      ...(discovery.port !== null ? { port: discovery.port } : {}),
    };
    // One counting pass: the file may hold millions of lines, so nothing is kept.
    let total = 0n;
    for await (const item of streamDiscovery(stream(), scope, importOptions)) if (item.kind === 'in-scope') total += 1n;
    return {
      scope,
      registry,
      total,
      describe,
      async *units(start, onSkip, end) {
        let position = 0n;
        for await (const item of streamDiscovery(stream(), scope, importOptions)) {
          if (item.kind === 'out-of-scope')
            onSkip?.({
              target: item.endpoint.address,
              address: item.endpoint.address,
              reason: 'out-of-scope',
              detail: `line ${item.endpoint.line} of ${discovery.path}`,
            });
          if (item.kind !== 'in-scope') continue;
          const p = position;
          position += 1n;
          if (p < start) continue;
          if (end !== undefined && p >= end) break;
          const { address, port } = item.endpoint;
          yield { position: p, key: address, address, port, hostname: null, discovered: true };
        }
      },
    };
  }

  const targets =
    plan.targets.length > 0
      ? await TargetSet.build({
          include: plan.targets,
          exclude: plan.exclude,
          ...(options.resolver ? { resolver: options.resolver } : {}),
        })
      : registry
        ? await registry.targets(options.resolver ? { resolver: options.resolver } : {})
        : null;
  if (!targets) throw new PlanError('nothing to scan: give targets, -iL FILE, --facilities FILE or --import FILE');
  // With a registry, targets outside it are cut away now (and named by the caller through onSkip).
  const ports = normalisePorts(plan.ports);
  return {
    scope,
    registry,
    total: workCount(targets, ports),
    describe,
    async *units(start, onSkip, end) {
      for await (const w of workItems(targets, ports, {
        order: plan.order,
        seed: plan.seed,
        start,
        ...(end !== undefined ? { end } : {}),
        ...(registry ? { scope } : {}),
        ...(onSkip ? { onSkip } : {}),
      })) {
        // A hostname target authorises the address it resolved to (unless excluded: exclusions win).
        if (!registry && w.hostname !== null && !scope.allows(w.address))
          scope.allow(w.address, `target ${w.hostname} resolved to ${w.address}`);
        if (!scope.allows(w.address)) {
          onSkip?.({ target: w.hostname ?? w.address, address: w.address, reason: 'out-of-scope', detail: 'excluded' });
          continue;
        }
        yield {
          position: w.position,
          key: w.address,
          address: w.address,
          port: w.port,
          hostname: w.hostname,
          discovered: false,
        };
      }
    },
  };
}

function describeScope(plan: ScanPlan, registry: FacilityRegistry | null): string {
  const parts: string[] = [];
  if (registry) parts.push(`facilities ${plan.facilities?.path} (${registry.facilities.length})`);
  if (plan.targets.length > 0) {
    const shown = plan.targets.slice(0, 5).map((t) => t.text);
    parts.push(`targets ${shown.join(' ')}${plan.targets.length > 5 ? ` … (${plan.targets.length})` : ''}`);
  }
  if (plan.discovery) parts.push(`import ${plan.discovery.path}`);
  if (plan.exclude.length > 0) parts.push(`excluding ${plan.exclude.length}`);
  if (!plan.discovery) parts.push(`ports ${plan.ports.join(',')}`);
  return parts.join('; ');
}
