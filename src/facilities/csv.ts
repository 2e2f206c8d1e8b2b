/**
 * A small RFC 4180 CSV reader that keeps line numbers: quoted fields (with "" for a quote, and
 * new lines inside quotes), CRLF or LF, a UTF-8 BOM, blank lines and `#` comment lines skipped.
 * The delimiter is found from the header line: comma, else semicolon (spreadsheets in locales
 * with a decimal comma write those), else tab.
 */

export interface CsvRecord {
  /** 1-based line where the record starts. */
  readonly line: number;
  readonly fields: readonly string[];
}

export class CsvError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvError';
    this.line = line;
  }
}

export function detectDelimiter(text: string): ',' | ';' | '\t' {
  const first =
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((l) => l.trim() !== '' && !l.startsWith('#')) ?? '';
  const unquoted = first.replace(/"[^"]*"/g, '');
  if (unquoted.includes(',')) return ',';
  if (unquoted.includes(';')) return ';';
  if (unquoted.includes('\t')) return '\t';
  return ',';
}

export function parseCsv(text: string, delimiter: string = detectDelimiter(text)): CsvRecord[] {
  const src = text.replace(/^\uFEFF/, '');
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  const n = src.length;
  while (i < n) {
    // skip blank and comment lines at a record boundary
    if (src[i] === '\n' || src[i] === '\r') {
      if (src[i] === '\r' && src[i + 1] === '\n') i++;
      i++;
      line++;
      continue;
    }
    if (src[i] === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let atFieldStart = true;
    let ended = false;
    while (i < n && !ended) {
      const c = src[i]!;
      if (quoted) {
        if (c === '"') {
          if (src[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
            const next = src[i];
            if (next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') {
              throw new CsvError(line, 'text after a closing quote (a quote inside a quoted field is written "")');
            }
          }
        } else {
          if (c === '\n') line++;
          field += c;
          i++;
        }
        continue;
      }
      if (c === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
        i++;
      } else if (c === delimiter) {
        fields.push(field);
        field = '';
        atFieldStart = true;
        i++;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r' && src[i + 1] === '\n') i++;
        i++;
        line++;
        ended = true;
      } else {
        if (c === '"') throw new CsvError(line, 'a quote inside an unquoted field (quote the whole field)');
        field += c;
        atFieldStart = false;
        i++;
      }
    }
    if (quoted) throw new CsvError(start, 'unterminated quoted field');
    fields.push(field);
    records.push({ line: start, fields });
  }
  return records;
}
