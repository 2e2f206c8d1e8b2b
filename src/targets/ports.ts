/**
 * Ports: the default DICOM/PACS list (data in default-ports.json, each with its reason) and
 * validation of a port list.
 */
import { readFileSync } from 'node:fs';

export type PortTransport = 'dicom' | 'dicom-tls' | 'http' | 'https';

export interface DefaultPort {
  readonly port: number;
  readonly service: string;
  /** What a probe should try first on it. */
  readonly transport: PortTransport;
  readonly reason: string;
  readonly source: string;
}

const TRANSPORTS: ReadonlySet<string> = new Set(['dicom', 'dicom-tls', 'http', 'https']);

/** Validates the data file's shape, naming the bad entry. */
export function loadDefaultPorts(json: unknown): readonly DefaultPort[] {
  const doc = json as { ports?: unknown };
  if (!doc || !Array.isArray(doc.ports)) throw new Error('default-ports.json: "ports" must be an array');
  const seen = new Set<number>();
  return doc.ports.map((raw: unknown, i: number) => {
    const e = raw as Record<string, unknown>;
    const where = `default-ports.json ports[${i}]`;
    if (typeof e.port !== 'number' || !isPort(e.port)) throw new Error(`${where}: port must be 1..65535`);
    if (seen.has(e.port)) throw new Error(`${where}: port ${e.port} listed twice`);
    seen.add(e.port);
    for (const k of ['service', 'reason', 'source'] as const) {
      if (typeof e[k] !== 'string' || (e[k] as string).trim() === '')
        throw new Error(`${where}: ${k} must be a non-empty string`);
    }
    if (typeof e.transport !== 'string' || !TRANSPORTS.has(e.transport)) throw new Error(`${where}: bad transport`);
    return Object.freeze({
      port: e.port,
      service: e.service as string,
      transport: e.transport as PortTransport,
      reason: e.reason as string,
      source: e.source as string,
    });
  });
}

export const DEFAULT_PORT_INFO: readonly DefaultPort[] = Object.freeze(
  loadDefaultPorts(JSON.parse(readFileSync(new URL('./default-ports.json', import.meta.url), 'utf8'))),
);

/** 104, 11112, 4242, 2761, 2762, 2345, 5678, 8042, 8080, 80, 443. */
export const DEFAULT_PORTS: readonly number[] = Object.freeze(DEFAULT_PORT_INFO.map((p) => p.port));

export function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Checks a port list and drops repeats (first occurrence kept). */
export function normalisePorts(ports: readonly number[]): number[] {
  if (ports.length === 0) throw new RangeError('empty port list');
  for (const p of ports) if (!isPort(p)) throw new RangeError(`not a TCP port: ${p}`);
  return [...new Set(ports)];
}
