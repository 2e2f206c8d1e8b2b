/**
 * zmap output.
 *
 * CSV (`-O csv`, zmap's default output module): when more than one field is asked for (`-f
 * saddr,sport,...`), a header line of the field names, written with ", " between names while
 * the data rows use "," alone; a field holding a comma is quoted. `saddr` is the address that
 * answered (the target; `daddr` is the scanner's own), `sport` the port it answered from (the
 * scanned port). When present, `success` must be 1 (a SYN-ACK; 0 is a RST) and `classification`,
 * if present, "synack"; `repeat` rows are duplicates and merge.
 *
 * With the default single field (saddr), there is no header: one address per line, and the port
 * is the one given to zmap with -p, which the caller must supply.
 */
import { linesOf, type Chunks, type DiscoveryEvent } from './events.ts';

function splitCsvLine(text: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      out.push(field.trim());
      field = '';
    } else field += c;
  }
  out.push(field.trim());
  return out;
}

export async function* parseZmapCsv(chunks: Chunks, options: { port?: number } = {}): AsyncGenerator<DiscoveryEvent> {
  let columns: string[] | null = null;
  let saddr = -1;
  let sport = -1;
  let success = -1;
  let classification = -1;
  for await (const { text, line } of linesOf(chunks)) {
    if (text.trim() === '' || text.startsWith('#')) continue;
    const fields = splitCsvLine(text);
    if (!columns) {
      columns = fields.map((f) => f.toLowerCase());
      saddr = columns.indexOf('saddr');
      sport = columns.indexOf('sport');
      success = columns.indexOf('success');
      classification = columns.indexOf('classification');
      if (saddr < 0) {
        yield { kind: 'problem', line, message: 'zmap CSV header has no saddr column' };
        return;
      }
      if (sport < 0 && options.port === undefined) {
        yield { kind: 'problem', line, message: 'zmap CSV has no sport column: give the scanned port' };
        return;
      }
      continue;
    }
    if (fields.length !== columns.length) {
      yield { kind: 'problem', line, message: `${fields.length} fields, the header has ${columns.length}` };
      continue;
    }
    if (success >= 0 && !['1', 'true'].includes(fields[success]!.toLowerCase())) {
      yield { kind: 'ignored', line, what: `success=${fields[success]}` };
      continue;
    }
    if (classification >= 0 && !['synack', ''].includes(fields[classification]!.toLowerCase())) {
      yield { kind: 'ignored', line, what: `classification=${fields[classification]}` };
      continue;
    }
    const portText = sport >= 0 ? fields[sport]! : String(options.port);
    if (!/^\d+$/.test(portText)) {
      yield { kind: 'problem', line, message: `sport ${JSON.stringify(portText)} is not a port number` };
      continue;
    }
    yield { kind: 'open', address: fields[saddr]!, port: Number(portText), line };
  }
}

/** zmap's default output: one responding address per line; every one is open on `port`. */
export async function* parseZmapList(chunks: Chunks, options: { port: number }): AsyncGenerator<DiscoveryEvent> {
  for await (const { text, line } of linesOf(chunks)) {
    const t = text.trim();
    if (t === '' || t.startsWith('#')) continue;
    if (/[\s,]/.test(t)) {
      yield { kind: 'problem', line, message: 'expected one address per line' };
      continue;
    }
    yield { kind: 'open', address: t, port: options.port, line };
  }
}
