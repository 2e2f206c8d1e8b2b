/**
 * Scans one host: resolves it, puts exactly its address in scope, then scans each port in turn
 * (one association per host at a time). With TLS on `auto`, a port that answers a plaintext
 * association with something other than DICOM is tried once more over TLS; port 2762 (the
 * IANA DICOM-TLS port) is tried over TLS first.
 */
import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { newScanSalt } from '../privacy/salted-distinct.ts';
import { Scope } from '../scope/scope.ts';
import type { AuditLog, Logger } from '../log/logger.ts';
import type { DicomIdentity, ProbeContext, Timeouts } from '../probes/probe.ts';
import { probeDicomPort, type TlsMode } from './probe-port.ts';
import type { EndpointResult } from './endpoint-result.ts';

export type { TlsMode } from './probe-port.ts';
export { DICOM_TLS_PORT } from './probe-port.ts';

export interface HostScanSettings {
  readonly target: string;
  readonly ports: readonly number[];
  readonly tls: TlsMode;
  readonly identity: DicomIdentity;
  readonly timeouts: Timeouts;
  readonly maxQueryMatches: number;
  readonly phiSampleSize: number;
}

export interface ScanReport {
  readonly scan: {
    readonly id: string;
    readonly tool: { readonly name: 'pacsmap'; readonly version: string };
    readonly startedAt: string;
    readonly finishedAt: string;
    readonly target: string;
    readonly address: string | null;
    readonly settings: {
      readonly ports: readonly number[];
      readonly tls: TlsMode;
      readonly calledAe: string;
      readonly callingAe: string;
      readonly timeouts: Timeouts;
      readonly maxQueryMatches: number;
      readonly phiSampleSize: number;
    };
    /** Set when the target could not be resolved; no endpoint was contacted then. */
    readonly error: string | null;
  };
  readonly endpoints: readonly EndpointResult[];
}

export async function scanHost(
  settings: HostScanSettings,
  deps: { log: Logger; audit: AuditLog; version: string },
): Promise<ScanReport> {
  const scanId = randomUUID();
  const startedAt = new Date().toISOString();
  const header = (address: string | null, error: string | null): ScanReport['scan'] => ({
    id: scanId,
    tool: { name: 'pacsmap', version: deps.version },
    startedAt,
    finishedAt: new Date().toISOString(),
    target: settings.target,
    address,
    settings: {
      ports: settings.ports,
      tls: settings.tls,
      calledAe: settings.identity.calledAe,
      callingAe: settings.identity.callingAe,
      timeouts: settings.timeouts,
      maxQueryMatches: settings.maxQueryMatches,
      phiSampleSize: settings.phiSampleSize,
    },
    error,
  });
  let address: string;
  try {
    address = net.isIP(settings.target) ? settings.target : (await lookup(settings.target)).address;
  } catch {
    return { scan: header(null, `cannot resolve ${settings.target}`), endpoints: [] };
  }
  const ctx: ProbeContext = {
    scanId,
    scope: new Scope().allow(address),
    salt: newScanSalt(),
    timeouts: settings.timeouts,
    log: deps.log,
    audit: deps.audit,
    maxQueryMatches: settings.maxQueryMatches,
    phiSampleSize: settings.phiSampleSize,
  };
  const endpoints: EndpointResult[] = [];
  for (const port of settings.ports) {
    const scan = await probeDicomPort(ctx, address, port, { tls: settings.tls, identity: settings.identity });
    endpoints.push(scan.result);
  }
  return { scan: header(address, null), endpoints };
}
