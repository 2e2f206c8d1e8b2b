/** A ProbeContext for tests: loopback scope, short deadlines, captured audit and log lines. */
import { newScanSalt } from '../../src/privacy/salted-distinct.ts';
import { Scope } from '../../src/scope/scope.ts';
import type { ProbeContext, Timeouts } from '../../src/probes/probe.ts';
import type { AuditRecord, LogFields } from '../../src/log/logger.ts';

export interface TestContext extends ProbeContext {
  readonly auditLines: AuditRecord[];
  readonly logLines: string[];
}

export function testContext(
  overrides: { timeouts?: Partial<Timeouts>; scope?: Scope; maxQueryMatches?: number; phiSampleSize?: number } = {},
): TestContext {
  const auditLines: AuditRecord[] = [];
  const logLines: string[] = [];
  return {
    scanId: 'test-scan',
    scope: overrides.scope ?? new Scope().allow('127.0.0.0/8').allow('::1'),
    salt: newScanSalt(),
    timeouts: { connectMs: 2_000, acseMs: 2_000, dimseMs: 2_000, associationMs: 10_000, ...overrides.timeouts },
    log: { log: (level, event, fields?: LogFields) => void logLines.push(JSON.stringify({ level, event, ...fields })) },
    audit: { record: (e) => void auditLines.push(e) },
    maxQueryMatches: overrides.maxQueryMatches ?? 100_000,
    phiSampleSize: overrides.phiSampleSize ?? 20,
    auditLines,
    logLines,
  };
}
