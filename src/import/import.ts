/**
 * Import of L4 discovery results (masscan, zmap, nmap) as (address, port) pairs for the DICOM
 * and web probes. Nothing imported is trusted: every address is canonicalised and must pass the
 * Scope; those outside come back separately (`outOfScope`) so the CLI can report them, and are
 * never handed to a prober. Repeats (masscan and zmap both emit them) are merged.
 *
 * Files are streamed (a national sweep's output need not fit in memory); `streamDiscovery`
 * yields classified pairs one at a time for a scan engine, `importDiscovery*` collect them.
 */
import { createReadStream } from 'node:fs';
import type { Scope } from '../scope/scope.ts';
import { type Family, formatAddress, parseAddress } from '../targets/address.ts';
import type { Chunks, DiscoveryEvent } from './events.ts';
import { parseMasscanJson, parseMasscanList } from './masscan.ts';
import { parseNmapXml } from './nmap-xml.ts';
import { NumberSet } from './number-set.ts';
import { parseZmapCsv, parseZmapList } from './zmap.ts';

export type DiscoveryFormat = 'masscan-json' | 'masscan-list' | 'zmap-csv' | 'zmap-list' | 'nmap-xml';

export const DISCOVERY_FORMATS: readonly DiscoveryFormat[] = [
  'masscan-json',
  'masscan-list',
  'zmap-csv',
  'zmap-list',
  'nmap-xml',
];

export interface ImportOptions {
  /** Detected from the content when absent. */
  readonly format?: DiscoveryFormat;
  /** The port scanned, for zmap outputs without a sport column (zmap's default output). */
  readonly port?: number;
}

export interface DiscoveredEndpoint {
  /** Canonical address (IPv4-mapped IPv6 as IPv4). */
  readonly address: string;
  readonly family: Family;
  readonly port: number;
  /** Line of the record in the file. */
  readonly line: number;
}

export interface ImportProblem {
  readonly line: number;
  readonly message: string;
}

export interface ImportResult {
  readonly format: DiscoveryFormat;
  /** Open ports inside the scope: what may be probed. */
  readonly inScope: readonly DiscoveredEndpoint[];
  /** Open ports outside the scope: to report, never to contact. */
  readonly outOfScope: readonly DiscoveredEndpoint[];
  /** Pairs seen again (merged). */
  readonly duplicates: number;
  /** Records that are not open TCP ports (closed, UDP, banners, hosts down, end markers). */
  readonly ignored: number;
  /** Records that could not be read (the import goes on past them). */
  readonly problems: readonly ImportProblem[];
}

export type StreamItem =
  | { readonly kind: 'in-scope'; readonly endpoint: DiscoveredEndpoint }
  | { readonly kind: 'out-of-scope'; readonly endpoint: DiscoveredEndpoint }
  | { readonly kind: 'duplicate'; readonly endpoint: DiscoveredEndpoint }
  | { readonly kind: 'ignored'; readonly line: number; readonly what: string }
  | { readonly kind: 'problem'; readonly line: number; readonly message: string };

export class ImportFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFormatError';
  }
}

/** Guesses the format from the first characters of the file. */
export function detectFormat(head: string, options: { port?: number } = {}): DiscoveryFormat {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('<')) return 'nmap-xml';
  if (text.startsWith('#masscan') || /^(open|closed|banner)\s+(tcp|udp|sctp|icmp|arp)\s+\d+\s/.test(text))
    return 'masscan-list';
  if (text.startsWith('[') || text.startsWith('{')) return 'masscan-json';
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (/(^|,)\s*saddr\s*(,|$)/i.test(firstLine)) return 'zmap-csv';
  if (parseAddress(firstLine.trim())) {
    if (options.port === undefined)
      throw new ImportFormatError(
        "this looks like zmap's default output (one address per line): give the port that was scanned",
      );
    return 'zmap-list';
  }
  throw new ImportFormatError('unknown discovery output: expected masscan -oJ/-oD/-oL, zmap CSV or list, or nmap -oX');
}

/** The raw records of a stream, in a known format. */
export function parseDiscovery(
  chunks: Chunks,
  format: DiscoveryFormat,
  options: { port?: number } = {},
): AsyncGenerator<DiscoveryEvent> {
  switch (format) {
    case 'masscan-json':
      return parseMasscanJson(chunks);
    case 'masscan-list':
      return parseMasscanList(chunks);
    case 'zmap-csv':
      return parseZmapCsv(chunks, options);
    case 'zmap-list':
      if (options.port === undefined) throw new ImportFormatError('zmap list output needs the port that was scanned');
      return parseZmapList(chunks, { port: options.port });
    case 'nmap-xml':
      return parseNmapXml(chunks);
  }
}

/**
 * Classifies every record of a stream against the scope, one at a time. `format` is called
 * once with the detected format before the first item.
 */
export async function* streamDiscovery(
  chunks: Chunks,
  scope: Scope,
  options: ImportOptions & { onFormat?: (f: DiscoveryFormat) => void } = {},
): AsyncGenerator<StreamItem> {
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 1 && options.port <= 65535)) {
    throw new RangeError(`not a TCP port: ${options.port}`);
  }
  const { head, rest } = await peek(chunks);
  const format = options.format ?? detectFormat(head, options);
  options.onFormat?.(format);
  // IPv4 pairs as one number (address * 65536 + port < 2^48) in a compact set
  const seen4 = new NumberSet();
  const seen6 = new Set<string>();
  for await (const ev of parseDiscovery(rest, format, options)) {
    if (ev.kind !== 'open') {
      yield ev;
      continue;
    }
    const p = parseAddress(ev.address.trim());
    if (!p) {
      yield { kind: 'problem', line: ev.line, message: `${JSON.stringify(ev.address)} is not an IP address` };
      continue;
    }
    if (!(ev.port >= 1 && ev.port <= 65535)) {
      yield { kind: 'problem', line: ev.line, message: `${ev.port} is not a TCP port` };
      continue;
    }
    const address = formatAddress(p.family, p.value);
    const endpoint: DiscoveredEndpoint = { address, family: p.family, port: ev.port, line: ev.line };
    const key4 = p.family === 4 ? Number(p.value) * 65536 + ev.port : 0;
    const key6 = p.family === 6 ? `${address} ${ev.port}` : '';
    if (p.family === 4 ? seen4.has(key4) : seen6.has(key6)) {
      yield { kind: 'duplicate', endpoint };
      continue;
    }
    if (p.family === 4) seen4.add(key4);
    else seen6.add(key6);
    yield { kind: scope.allows(address) ? 'in-scope' : 'out-of-scope', endpoint };
  }
}

export async function importDiscovery(
  chunks: Chunks,
  scope: Scope,
  options: ImportOptions = {},
): Promise<ImportResult> {
  let format: DiscoveryFormat | null = null;
  const inScope: DiscoveredEndpoint[] = [];
  const outOfScope: DiscoveredEndpoint[] = [];
  const problems: ImportProblem[] = [];
  let duplicates = 0;
  let ignored = 0;
  for await (const item of streamDiscovery(chunks, scope, { ...options, onFormat: (f) => (format = f) })) {
    switch (item.kind) {
      case 'in-scope':
        inScope.push(item.endpoint);
        break;
      case 'out-of-scope':
        outOfScope.push(item.endpoint);
        break;
      case 'duplicate':
        duplicates++;
        break;
      case 'ignored':
        ignored++;
        break;
      case 'problem':
        problems.push({ line: item.line, message: item.message });
        break;
    }
  }
  return { format: format!, inScope, outOfScope, duplicates, ignored, problems };
}

export function importDiscoveryText(text: string, scope: Scope, options: ImportOptions = {}): Promise<ImportResult> {
  return importDiscovery([text], scope, options);
}

export function importDiscoveryFile(path: string, scope: Scope, options: ImportOptions = {}): Promise<ImportResult> {
  return importDiscovery(
    createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 }) as AsyncIterable<string>,
    scope,
    options,
  );
}

/** Reads enough of a stream to detect its format, and gives back a stream that starts over. */
async function peek(chunks: Chunks): Promise<{ head: string; rest: Chunks }> {
  const it = (Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]()) as
    AsyncIterator<string> | Iterator<string>;
  const taken: string[] = [];
  let head = '';
  let done = false;
  while (head.trimStart().length < 256 || !/\n/.test(head.trimStart())) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    taken.push(r.value);
    head += r.value;
    if (head.length > 1 << 16) break;
  }
  async function* rest(): AsyncGenerator<string> {
    yield* taken;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, rest: rest() };
}
