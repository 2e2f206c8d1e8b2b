/** Targets: nmap-style specs, lazy target sets in random order, default ports, host × port work items. */
export { type Family, canonicalAddress, formatAddress, parseAddress, parseIPv4, parseIPv6 } from './address.ts';
export { IntervalSet, type Interval, intervalToCidrs } from './intervals.ts';
export { Permutation, type Seed } from './permutation.ts';
export {
  type AddressSpec,
  type HostnameSpec,
  MAX_PATTERN_BLOCKS,
  type SpecProblem,
  type SpecSource,
  type TargetSpec,
  TargetSpecError,
  parseTargetSpec,
  parseTargetSpecs,
  readSpecFile,
  splitSpecList,
} from './spec.ts';
export {
  type HostEntry,
  type IterateOptions,
  type PinnedHost,
  type Resolver,
  type SkipReason,
  type Skipped,
  type Target,
  TargetSet,
  type TargetSetInput,
  type TargetStats,
  systemResolver,
} from './target-set.ts';
export { type TargetOptions, loadTargets, splitExcludeOption } from './load.ts';
export {
  DEFAULT_PORTS,
  DEFAULT_PORT_INFO,
  type DefaultPort,
  type PortTransport,
  isPort,
  normalisePorts,
} from './ports.ts';
export { type WorkItem, workCount, workItems } from './work.ts';
