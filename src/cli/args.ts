/** Parsing helpers shared by the subcommands. Errors are UsageError, shown with the usage text. */
import net from 'node:net';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parsePort(text: string): number {
  const p = Number(text);
  if (!/^\d+$/.test(text) || p < 1 || p > 65535) throw new UsageError(`not a port: ${text}`);
  return p;
}

/** `104,11112`, `100-110`, or a mix. */
export function parsePortList(text: string): number[] {
  const out: number[] = [];
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (m) {
      const a = parsePort(m[1]!);
      const b = parsePort(m[2]!);
      if (b < a) throw new UsageError(`empty port range: ${part}`);
      if (b - a > 65535) throw new UsageError(`port range too large: ${part}`);
      for (let p = a; p <= b; p++) out.push(p);
    } else out.push(parsePort(part));
  }
  if (out.length === 0) throw new UsageError('empty port list');
  return [...new Set(out)];
}

/** `host`, `host:port`, `1.2.3.4:104`, `[::1]:104`, `::1`. */
export function parseHostPort(text: string): { host: string; port: number | null } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? parsePort(bracket[2]) : null };
  if (net.isIP(text) === 6) return { host: text, port: null };
  const colon = text.lastIndexOf(':');
  if (colon > 0 && text.indexOf(':') === colon)
    return { host: text.slice(0, colon), port: parsePort(text.slice(colon + 1)) };
  if (!text || /\s/.test(text)) throw new UsageError(`not a host: ${JSON.stringify(text)}`);
  return { host: text, port: null };
}

/** `10s`, `500ms`, `2m`, or a bare number of seconds; returns milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`not a duration: ${text} (use e.g. 10s or 500ms)`);
  const v = Number(m[1]);
  const ms = m[2] === 'ms' ? v : m[2] === 'm' ? v * 60_000 : v * 1000;
  if (ms < 1) throw new UsageError(`duration too short: ${text}`);
  return Math.round(ms);
}

/** AE titles: 1 to 16 characters of the default repertoire, no backslash or control characters (PS3.5 AE VR). */
export function parseAeTitle(text: string, what: string): string {
  const t = text.trim();
  if (t.length < 1 || t.length > 16 || !/^[\x20-\x7e]+$/.test(t) || t.includes('\\')) {
    throw new UsageError(`${what} must be 1-16 printable ASCII characters without backslash: ${JSON.stringify(text)}`);
  }
  return t;
}

export function parsePositiveInt(text: string, what: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < 1) throw new UsageError(`${what} must be a positive whole number: ${text}`);
  return v;
}
