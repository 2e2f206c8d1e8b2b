/**
 * Plain-text tables for the terminal. Cells may hold peer-chosen text (implementation version
 * names), so control and format characters are escaped before printing: a peer must not be able
 * to move the cursor, recolour or hide text on an analyst's terminal.
 */

/** Escapes C0/C1 controls, DEL and Unicode format characters (bidi overrides…) as \xNN / \uNNNN. */
export function terminalSafe(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Cuts to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return max <= 1 ? chars.slice(0, max).join('') : `${chars.slice(0, max - 1).join('')}…`;
}

export interface Column {
  readonly title: string;
  readonly align?: 'left' | 'right';
  /** Longest cell shown; longer ones are truncated. */
  readonly max?: number;
}

/**
 * A table printed row by row after its widths are known: `measure` every row first (a first pass
 * over the data), then `header()` and `line(row)`. Holds only the widths, never the rows.
 */
export class TextTable {
  readonly #columns: readonly Column[];
  readonly #widths: number[];
  readonly #hidden = new Set<number>();

  constructor(columns: readonly Column[]) {
    this.#columns = columns;
    this.#widths = columns.map((c) => [...c.title].length);
  }

  #cell(i: number, value: string): string {
    const max = this.#columns[i]?.max;
    const safe = terminalSafe(value);
    return max === undefined ? safe : truncate(safe, max);
  }

  measure(row: readonly string[]): void {
    row.forEach((v, i) => {
      this.#widths[i] = Math.max(this.#widths[i] ?? 0, [...this.#cell(i, v)].length);
    });
  }

  /** Leaves a column out of the output (e.g. one that turned out to be empty). */
  hide(index: number): void {
    this.#hidden.add(index);
  }

  #format(cells: readonly string[]): string {
    return cells
      .map((v, i) => {
        if (this.#hidden.has(i)) return null;
        const pad = Math.max(0, (this.#widths[i] ?? 0) - [...v].length);
        return this.#columns[i]?.align === 'right' ? ' '.repeat(pad) + v : v + ' '.repeat(pad);
      })
      .filter((v) => v !== null)
      .join('  ')
      .trimEnd();
  }

  header(): string {
    return this.#format(this.#columns.map((c) => c.title));
  }

  line(row: readonly string[]): string {
    return this.#format(row.map((v, i) => this.#cell(i, v)));
  }
}

/** 1234 → "1,234"; null → "?"; estimates get "~", lower bounds "≥". */
export function figure(v: number | null, mark: { estimated?: boolean; lowerBound?: boolean } = {}): string {
  if (v === null) return '?';
  return `${mark.lowerBound ? '≥' : ''}${mark.estimated ? '~' : ''}${v.toLocaleString('en-US')}`;
}

/** host:port, with brackets around an IPv6 address. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
