/**
 * CSV cells and rows: RFC 4180 quoting, and spreadsheet formula injection defused (OWASP "CSV
 * injection"): peers choose some of these strings (implementation version names, AE titles), and a
 * cell that starts like a formula would run when a CERT analyst opens the file in a spreadsheet.
 */

/** First characters that make Excel, LibreOffice or Sheets read a cell as a formula (and fullwidth look-alikes). */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** Prefixes a formula-like text with an apostrophe, which spreadsheets show as text. */
export function defuseFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** RFC 4180: quoted when it holds a comma, a quote, CR or LF; inner quotes doubled. */
export function quoteCsv(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export type CsvValue = string | number | bigint | boolean | null | undefined;

/**
 * One cell. Text is defused then quoted; numbers and booleans are our own and written as they are
 * (a negative number is not a formula); null and undefined are empty.
 */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return quoteCsv(defuseFormula(value));
}

/** One record, CRLF-terminated as RFC 4180 says. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
