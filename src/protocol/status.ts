/**
 * One status vocabulary for every probe and protocol step (after ZGrab2's module statuses).
 * A status says how far a conversation got, never what the peer's data was.
 */
export const STATUSES = [
  'success',
  'connection-refused',
  'connection-timeout',
  'connection-closed',
  'handshake-error',
  'io-timeout',
  'protocol-error',
  'application-error',
  'unknown-error',
] as const;

export type Status = (typeof STATUSES)[number];

/** An error that already knows which status it maps to. `detail` is ours, never peer content. */
export class ProtocolError extends Error {
  readonly status: Status;
  constructor(status: Status, detail: string) {
    super(detail);
    this.name = 'ProtocolError';
    this.status = status;
  }
}

/** Maps any thrown value to a status; errors we did not anticipate become `unknown-error`. */
export function statusOf(err: unknown): Status {
  if (err instanceof ProtocolError) return err.status;
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection-refused';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'connection-timeout';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection-closed';
    default:
      return 'unknown-error';
  }
}

/** A short message for logs: for ProtocolError our own detail, otherwise the error code only. */
export function describeError(err: unknown): string {
  if (err instanceof ProtocolError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'non-error thrown';
}
