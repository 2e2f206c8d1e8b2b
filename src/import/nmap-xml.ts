/**
 * nmap XML (`-oX`, and masscan's `-oX`, which imitates it), read as a stream: a small pull
 * tokenizer (tags, attributes, entities; comments, processing instructions, DOCTYPE and CDATA
 * skipped) feeds a state machine that keeps one `<host>` at a time, so a national sweep's file
 * never sits in memory whole. No XML library is needed for this subset: nmap's DTD uses
 * attributes for everything read here.
 *
 * Read (nmap.dtd): `<host>` › `<status state="up">`, `<address addr="..." addrtype="ipv4|ipv6|mac">`
 * (ipv4 is the DTD default), `<ports>` › `<port protocol="tcp" portid="104">` › `<state state="open">`.
 * A host counts when its status is up; masscan writes no `<status>`, so a host without one
 * counts too. Ports count when TCP and exactly "open" (not "open|filtered", "filtered", "closed").
 * Ignored on purpose: `<hosthint>` (nmap 7.80+ writes a status and address there before the
 * host is scanned), `<extraports>`, `<portused>` under `<os>`, `<hop ipaddr>` under `<trace>`
 * (routers on the path are not targets), MAC addresses. A file cut short (nmap interrupted)
 * keeps every host, and every complete `<port>` of the host it was writing, before the cut.
 */
import type { Chunks, DiscoveryEvent } from './events.ts';

export interface XmlToken {
  readonly type: 'open' | 'close';
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly selfClosing: boolean;
  readonly line: number;
}

export class XmlSyntaxError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'XmlSyntaxError';
    this.line = line;
  }
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return safeFromCodePoint(parseInt(body.slice(2), 16)) ?? whole;
    if (body.startsWith('#')) return safeFromCodePoint(parseInt(body.slice(1), 10)) ?? whole;
    return ENTITIES[body] ?? whole;
  });
}

function safeFromCodePoint(n: number): string | null {
  return Number.isInteger(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : null;
}

const ATTR_RE = /([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/g;
const NAME_RE = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

/** Start and end tags of a stream of XML text, with line numbers. Text content is skipped. */
export async function* xmlTokens(chunks: Chunks, maxTag = 1 << 20): AsyncGenerator<XmlToken> {
  let buf = '';
  let off = 0; // everything before off is consumed
  let line = 1;
  let first = true;
  let ended = false;
  const consume = (upTo: number) => {
    for (let i = buf.indexOf('\n', off); i >= 0 && i < upTo; i = buf.indexOf('\n', i + 1)) line++;
    off = upTo;
  };
  const iterator = (async function* () {
    for await (const c of chunks) yield c;
  })();
  for (;;) {
    const lt = buf.indexOf('<', off);
    if (lt < 0) consume(buf.length);
    else {
      consume(lt);
      let end = -1;
      let skip = true;
      if (buf.startsWith('<!--', off)) end = after(buf.indexOf('-->', off + 4), 3);
      else if (buf.startsWith('<![CDATA[', off)) end = after(buf.indexOf(']]>', off + 9), 3);
      else if (buf.startsWith('<?', off)) end = after(buf.indexOf('?>', off + 2), 2);
      else if (buf.startsWith('<!', off)) end = declarationEnd(buf, off);
      else {
        skip = false;
        end = tagEnd(buf, off);
      }
      // "<!" prefixes can be cut between chunks: only trust a decision made with 9+ characters or at the end
      if (end >= 0 && (buf.length - off >= 9 || ended)) {
        const text = buf.slice(off, end);
        const tagLine = line;
        consume(end);
        if (!skip) yield parseTag(text, tagLine);
        continue;
      }
      if (buf.length - off > maxTag) throw new XmlSyntaxError(line, `markup longer than ${maxTag} characters`);
      if (ended) throw new XmlSyntaxError(line, 'the file ends inside markup (cut short?)');
    }
    if (ended) return;
    const next = await iterator.next();
    if (next.done) ended = true;
    else {
      let chunk = next.value;
      if (first) {
        chunk = chunk.replace(/^\uFEFF/, '');
        first = false;
      }
      buf = buf.slice(off) + chunk;
      off = 0;
    }
  }
}

function after(index: number, length: number): number {
  return index < 0 ? -1 : index + length;
}

/** End of `<...>` minding quoted attribute values (which may hold '>'), or -1 if not in buf yet. */
function tagEnd(buf: string, from: number): number {
  let quote = '';
  for (let i = from + 1; i < buf.length; i++) {
    const c = buf[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i + 1;
  }
  return -1;
}

/** End of `<!DOCTYPE ...>`, allowing an internal subset in [ ]. */
function declarationEnd(buf: string, from: number): number {
  let bracket = 0;
  let quote = '';
  for (let i = from + 2; i < buf.length; i++) {
    const c = buf[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') bracket++;
    else if (c === ']') bracket--;
    else if (c === '>' && bracket <= 0) return i + 1;
  }
  return -1;
}

function parseTag(text: string, line: number): XmlToken {
  const close = text.startsWith('</');
  const body = text.slice(close ? 2 : 1, text.length - 1);
  const selfClosing = !close && body.endsWith('/');
  const inner = selfClosing ? body.slice(0, -1) : body;
  const m = NAME_RE.exec(inner);
  if (!m) throw new XmlSyntaxError(line, `bad tag ${JSON.stringify(text.slice(0, 40))}`);
  const name = m[0];
  const attrs: Record<string, string> = {};
  if (!close) {
    const rest = inner.slice(name.length);
    ATTR_RE.lastIndex = 0;
    for (let a = ATTR_RE.exec(rest); a; a = ATTR_RE.exec(rest)) attrs[a[1]!] = decodeEntities(a[3] ?? a[4] ?? '');
  }
  return { type: close ? 'close' : 'open', name, attrs, selfClosing, line };
}

interface HostState {
  readonly line: number;
  status: string | null;
  address: string | null;
  ports: Array<{ port: number; line: number }>;
  port: { id: number; protocol: string; line: number; state: string | null } | null;
  ignored: number;
}

export async function* parseNmapXml(chunks: Chunks): AsyncGenerator<DiscoveryEvent> {
  let host: HostState | null = null;
  // element names from <host> down to the current element (host excluded)
  const stack: string[] = [];
  try {
    for await (const t of xmlTokens(chunks)) {
      if (!host) {
        if (t.type === 'open' && t.name === 'host' && !t.selfClosing) {
          host = { line: t.line, status: null, address: null, ports: [], port: null, ignored: 0 };
          stack.length = 0;
        }
        continue;
      }
      if (t.type === 'close') {
        if (stack.length === 0) {
          if (t.name === 'host') yield* finishHost(host);
          host = null;
          continue;
        }
        const top = stack.pop();
        if (top !== t.name) throw new XmlSyntaxError(t.line, `</${t.name}> closes <${top}>`);
        if (t.name === 'port' && stack.length === 1 && host.port) {
          const p = host.port;
          if (p.protocol === 'tcp' && p.state === 'open') host.ports.push({ port: p.id, line: p.line });
          else host.ignored++;
          host.port = null;
        }
        continue;
      }
      const parent = stack[stack.length - 1] ?? 'host';
      if (parent === 'host' && t.name === 'status') host.status = t.attrs.state ?? null;
      else if (parent === 'host' && t.name === 'address') {
        const type = t.attrs.addrtype ?? 'ipv4';
        if ((type === 'ipv4' || type === 'ipv6') && host.address === null && t.attrs.addr) host.address = t.attrs.addr;
      } else if (parent === 'ports' && t.name === 'port') {
        const id = Number(t.attrs.portid);
        host.port = { id: Number.isInteger(id) ? id : -1, protocol: t.attrs.protocol ?? '', line: t.line, state: null };
        if (t.selfClosing) host.port = null;
      } else if (parent === 'port' && t.name === 'state' && host.port) host.port.state = t.attrs.state ?? null;
      if (!t.selfClosing) stack.push(t.name);
    }
    if (host) {
      yield {
        kind: 'problem',
        line: host.line,
        message: 'the file ends inside this <host> (scan interrupted?): only its complete <port> elements are read',
      };
      yield* finishHost(host);
    }
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    yield {
      kind: 'problem',
      line: err.line,
      message: `${err.message.replace(/^line \d+: /, '')}; reading stopped here`,
    };
  }
}

function* finishHost(h: HostState): Generator<DiscoveryEvent> {
  if (h.status !== null && h.status !== 'up') {
    yield { kind: 'ignored', line: h.line, what: `host ${h.status}` };
    return;
  }
  if (h.address === null) {
    if (h.ports.length > 0) yield { kind: 'problem', line: h.line, message: 'host without an IP address' };
    return;
  }
  for (let i = 0; i < h.ignored; i++) yield { kind: 'ignored', line: h.line, what: 'port not open/tcp' };
  for (const p of h.ports) {
    if (p.port < 1 || p.port > 65535) yield { kind: 'problem', line: p.line, message: 'bad portid' };
    else yield { kind: 'open', address: h.address, port: p.port, line: p.line };
  }
}
