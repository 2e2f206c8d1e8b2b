/**
 * masscan output.
 *
 * `-oL` (list): `#masscan` header, then `open tcp 104 192.0.2.7 1700000000` (status, protocol,
 * port, address, unix time) per line, `banner ...` lines with --banners, `# end` trailer.
 *
 * `-oJ` (JSON) and `-oD` (ndjson), every variant masscan has written over the years:
 * - a JSON array of `{"ip": ..., "timestamp": ..., "ports": [{"port", "proto", "status", "reason", "ttl"}]}`;
 * - older releases: a trailing comma after the last record (`},\n]`), or no enclosing `[ ]` at
 *   all and a final `{finished: 1}`, and keys without quotes (`{ ip: "...", ports: [ {port: 80, ...} ] }`);
 * - current releases: the comma at the start of the next record (`\n,\n{...}`);
 * - a missing closing `]` when masscan is interrupted (and a truncated last record);
 * - ndjson (`-oD`): one `{"ip", "port", "proto", "rec_type": "status", "data": {"status": "open"}}` per line;
 * - the same, pretty-printed by jq (records spanning lines).
 * So records are not read line by line nor as one document: a small scanner finds each top-level
 * `{...}` (minding strings), whatever separates them, and parses it alone (quoting bare keys when
 * strict JSON fails). Banner records (service/banner, no status) are ignored: an open status
 * record accompanies them.
 */
import { linesOf, type Chunks, type DiscoveryEvent } from './events.ts';

const LIST_RE = /^(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+\d+/;

export async function* parseMasscanList(chunks: Chunks): AsyncGenerator<DiscoveryEvent> {
  for await (const { text, line } of linesOf(chunks)) {
    const t = text.trim();
    if (t === '' || t.startsWith('#')) continue;
    const m = LIST_RE.exec(t);
    if (!m) {
      yield { kind: 'problem', line, message: 'not a masscan -oL line (status proto port address time)' };
      continue;
    }
    const [, status, proto, port, address] = m;
    if (status !== 'open' || proto !== 'tcp') {
      yield { kind: 'ignored', line, what: `${status} ${proto}` };
      continue;
    }
    yield { kind: 'open', address: address!, port: Number(port), line };
  }
}

export async function* parseMasscanJson(chunks: Chunks): AsyncGenerator<DiscoveryEvent> {
  for await (const rec of jsonObjects(chunks)) {
    if ('error' in rec) {
      yield { kind: 'problem', line: rec.line, message: rec.error };
      continue;
    }
    yield* masscanRecord(rec.value, rec.line);
  }
}

function* masscanRecord(value: unknown, line: number): Generator<DiscoveryEvent> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    yield { kind: 'problem', line, message: 'a record is not an object' };
    return;
  }
  const r = value as Record<string, unknown>;
  if (!('ip' in r)) {
    yield { kind: 'ignored', line, what: 'finished' in r ? 'end marker' : 'record without ip' };
    return;
  }
  if (typeof r.ip !== 'string') {
    yield { kind: 'problem', line, message: 'ip is not a string' };
    return;
  }
  // ndjson (-oD): one port per record, status under data
  if ('rec_type' in r || ('port' in r && !('ports' in r))) {
    const data = (r.data ?? {}) as Record<string, unknown>;
    const status = data.status ?? r.status;
    yield* portEvent(r.ip, r.port, r.proto, status, r.rec_type === 'banner' ? 'banner' : null, line);
    return;
  }
  if (!Array.isArray(r.ports)) {
    yield { kind: 'problem', line, message: 'record without ports' };
    return;
  }
  for (const p of r.ports as unknown[]) {
    const port = (p ?? {}) as Record<string, unknown>;
    yield* portEvent(r.ip, port.port, port.proto, port.status, 'service' in port ? 'banner' : null, line);
  }
}

function* portEvent(
  ip: string,
  port: unknown,
  proto: unknown,
  status: unknown,
  banner: 'banner' | null,
  line: number,
): Generator<DiscoveryEvent> {
  if (banner) {
    yield { kind: 'ignored', line, what: 'banner' };
    return;
  }
  if (typeof port !== 'number' || !Number.isInteger(port)) {
    yield { kind: 'problem', line, message: 'port is not a number' };
    return;
  }
  if (proto !== 'tcp' || status !== 'open') {
    yield { kind: 'ignored', line, what: `${String(status)} ${String(proto)}` };
    return;
  }
  yield { kind: 'open', address: ip, port, line };
}

type JsonRecord =
  { readonly value: unknown; readonly line: number } | { readonly error: string; readonly line: number };

/** The top-level `{...}` objects of a stream, whatever lies between them (`[`, `]`, commas, new lines). */
export async function* jsonObjects(chunks: Chunks, maxRecord = 1 << 20): AsyncGenerator<JsonRecord> {
  let buf = '';
  let pos = 0; // scan position in buf
  let line = 1; // line of buf[pos]
  let start = -1; // start of the current object in buf
  let startLine = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let stray = -1;
  let first = true;
  for await (let chunk of chunks) {
    if (first) {
      chunk = chunk.replace(/^\uFEFF/, '');
      first = false;
    }
    buf += chunk;
    for (; pos < buf.length; pos++) {
      const c = buf[pos]!;
      if (c === '\n') line++;
      if (start < 0) {
        if (c === '{') {
          start = pos;
          startLine = line;
          depth = 1;
        } else if (!(c === '[' || c === ']' || c === ',' || c === ' ' || c === '\t' || c === '\r' || c === '\n')) {
          if (stray !== line) {
            stray = line;
            yield { error: `unexpected ${JSON.stringify(c)} between records`, line };
          }
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          yield parseRecord(buf.slice(start, pos + 1), startLine);
          start = -1;
        }
      }
    }
    // drop what is consumed; keep an unfinished object
    const keep = start >= 0 ? start : pos;
    if (start >= 0 && pos - start > maxRecord) {
      yield { error: `record longer than ${maxRecord} characters: skipped`, line: startLine };
      start = -1;
      depth = 0;
      inString = false;
    }
    buf = buf.slice(start >= 0 ? keep : pos);
    pos -= start >= 0 ? keep : pos;
    if (start >= 0) start = 0;
  }
  if (start >= 0) yield { error: 'truncated record at the end of the file (interrupted scan?)', line: startLine };
}

function parseRecord(text: string, line: number): JsonRecord {
  try {
    return { value: JSON.parse(text), line };
  } catch {
    // masscan's early output: bare keys ({ip: "...", ports: [ {port: 80} ]}) and trailing commas
    const relaxed = text.replace(/([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:/g, '$1"$2":').replace(/,(\s*[}\]])/g, '$1');
    try {
      return { value: JSON.parse(relaxed), line };
    } catch (err) {
      return { error: `not JSON: ${(err as Error).message}`, line };
    }
  }
}
