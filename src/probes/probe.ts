/**
 * The shape every probe shares: one check against one endpoint, returning an observation.
 * A probe never throws and never returns a patient value: only statuses, counts, booleans
 * and protocol facts leave it.
 */
import type { Status } from '../protocol/status.ts';
import type { AuditLog, Logger } from '../log/logger.ts';
import { safe } from '../log/safe-text.ts';
import type { Scope } from '../scope/scope.ts';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export interface Observation<Facts> {
  readonly probe: string;
  readonly status: Status;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Our own words on why the status is not success; never peer data. */
  readonly detail: string | null;
  readonly facts: Facts | null;
}

export interface DicomIdentity {
  readonly calledAe: string;
  readonly callingAe: string;
}

export interface Timeouts {
  readonly connectMs: number;
  readonly acseMs: number;
  readonly dimseMs: number;
  readonly associationMs: number;
}

export interface ProbeContext {
  readonly scanId: string;
  readonly scope: Scope;
  /** Per-scan random salt for hashing identifiers; in memory only. */
  readonly salt: Buffer;
  readonly timeouts: Timeouts;
  readonly log: Logger;
  readonly audit: AuditLog;
  /** Upper bound on matches a counting query reads before C-CANCEL. */
  readonly maxQueryMatches: number;
  /** How many matches the personal-data category sample reads. */
  readonly phiSampleSize: number;
}

/** Thrown only by the scope guard; probes turn it into an observation like any other failure. */
export class OutOfScopeError extends Error {
  constructor(address: string) {
    super(`address ${address} is outside the authorised scope`);
    this.name = 'OutOfScopeError';
  }
}

/** Every probe calls this before opening a connection. */
export function assertInScope(ctx: ProbeContext, host: string): void {
  if (!ctx.scope.allows(host)) throw new OutOfScopeError(host);
}

/**
 * The audit line of one contact with an endpoint, written as it ends: our probe name, how it
 * ended, when and how long, and the AE titles used (null for contacts that are not DICOM).
 */
export function auditProbe(
  ctx: Pick<ProbeContext, 'scanId' | 'audit'>,
  ep: { readonly host: string; readonly port: number },
  o: { readonly probe: string; readonly status: string; readonly startedAt: string; readonly durationMs: number },
  identity: DicomIdentity | null,
): void {
  ctx.audit.record({
    time: o.startedAt,
    scanId: safe(ctx.scanId),
    host: safe(ep.host),
    port: ep.port,
    probe: safe(o.probe),
    status: safe(o.status),
    durationMs: o.durationMs,
    callingAe: identity ? safe(identity.callingAe) : null,
    calledAe: identity ? safe(identity.calledAe) : null,
  });
}
