/**
 * Structured logging and the audit trail. Fields are numbers, booleans, null or SafeText:
 * never a plain string, so nothing read from a peer's datasets can be logged without an explicit,
 * reviewable `safe()`.
 */
import { appendFileSync } from 'node:fs';
import type { SafeText } from './safe-text.ts';

export type LogField = number | boolean | null | SafeText;
export type LogFields = Readonly<Record<string, LogField>>;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, event: SafeText, fields?: LogFields): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** JSON lines to a writer (stderr by default), at or above a level. */
export function jsonLogger(minLevel: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  return {
    log(level, event, fields = {}) {
      if (ORDER[level] < ORDER[minLevel]) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })}\n`);
    },
  };
}

export const silentLogger: Logger = { log() {} };

/** One line per contact with a target: who was probed, with what, when, and how it ended. */
export interface AuditRecord {
  readonly time: string;
  readonly scanId: SafeText;
  readonly host: SafeText;
  readonly port: number;
  readonly probe: SafeText;
  readonly status: SafeText;
  readonly durationMs: number;
  readonly callingAe: SafeText | null;
  readonly calledAe: SafeText | null;
}

export interface AuditLog {
  record(entry: AuditRecord): void;
}

/** Appends JSON lines synchronously, so a killed scan still leaves a complete trail. */
export function fileAuditLog(path: string): AuditLog {
  return {
    record(entry) {
      appendFileSync(path, `${JSON.stringify(entry)}\n`, { mode: 0o640 });
    },
  };
}

export const noAuditLog: AuditLog = { record() {} };
