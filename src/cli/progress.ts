/**
 * Progress of a running scan on the console: pure renderers of a snapshot, and a reporter that
 * redraws one TTY line (or prints a plain line now and then for logs and pipes).
 *
 * A snapshot holds counts only (never a host, an AE title or any peer text), so a progress line
 * can go to any terminal or log.
 */

export interface ProgressSnapshot {
  /** Work items (host × port) of the scan; 0 when not known yet. */
  readonly workTotal: bigint;
  /** Work items fully done. */
  readonly workDone: bigint;
  readonly openPorts: number;
  readonly dicomEndpoints: number;
  /** Endpoints with an exposure worse than `none` as the engine counts it. */
  readonly exposed: number;
  readonly elapsedMs: number;
  /**
   * Work already done when this run began (a resumed scan): left out of the rate, so the ETA of
   * a resume is not flattered by work done before it. Default 0.
   */
  readonly workDoneAtStart?: bigint;
}

const CLEAR_TO_EOL = '\x1b[K';
const MAX_BAR = 30;
const MIN_BAR = 5;

/** 1234 → "1,234"; bigints keep every digit. */
function grouped(v: bigint | number): string {
  return v.toLocaleString('en-US');
}

/** Three significant digits with a k/M/G/T/P/E suffix from 10,000 up: 12.3k, 456M. */
export function compactCount(v: bigint | number): string {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (!Number.isFinite(n)) return '?';
  if (Math.abs(n) < 10_000) return grouped(typeof v === 'bigint' ? v : Math.round(n));
  const units = ['k', 'M', 'G', 'T', 'P', 'E'];
  let x = n;
  let u = -1;
  while (Math.abs(x) >= 999.5 && u < units.length - 1) {
    x /= 1000;
    u++;
  }
  const digits = Math.abs(x) < 9.995 ? 2 : Math.abs(x) < 99.95 ? 1 : 0;
  return `${x.toFixed(digits)}${units[u]}`;
}

/** 42s, 12m03s, 2h03m, 3d04h; ">99d" beyond. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const pad = (v: number): string => String(v).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  const d = Math.floor(s / 86_400);
  if (d > 99) return '>99d';
  return `${d}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

interface Derived {
  readonly known: boolean;
  readonly done: bigint;
  /** Per mille done, floored (1000 only when everything is done); null when the total is unknown. */
  readonly perMille: bigint | null;
  /** Items per second; null before any time has passed. */
  readonly rate: number | null;
  /** Remaining milliseconds; null when it cannot be estimated. */
  readonly etaMs: number | null;
}

function derive(s: ProgressSnapshot): Derived {
  const known = s.workTotal > 0n;
  const done = s.workDone < 0n ? 0n : known && s.workDone > s.workTotal ? s.workTotal : s.workDone;
  const perMille = known ? (done * 1000n) / s.workTotal : null;
  const atStart = s.workDoneAtStart ?? 0n;
  const doneHere = done > atStart ? done - atStart : 0n;
  const rate = s.elapsedMs > 0 ? Number(doneHere) / (s.elapsedMs / 1000) : null;
  let etaMs: number | null = null;
  if (known && done >= s.workTotal) etaMs = 0;
  else if (known && rate !== null && rate > 0) etaMs = (Number(s.workTotal - done) / rate) * 1000;
  return { known, done, perMille, rate, etaMs };
}

function percent(perMille: bigint): string {
  return `${perMille / 10n}.${perMille % 10n}%`;
}

function rateText(rate: number | null, compact: boolean): string {
  if (rate === null) return '-/s';
  if (rate < 10) return `${rate.toFixed(1)}/s`;
  return `${compact ? compactCount(Math.round(rate)) : grouped(Math.round(rate))}/s`;
}

function bar(perMille: bigint | null, width: number): string {
  if (perMille === null) return `[${'?'.repeat(width)}]`;
  const filled = Number((perMille * BigInt(width)) / 1000n);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * One line for a terminal of `columns` columns: bar, done/total, %, open, DICOM, exposed, rate,
 * ETA. The line stays below `columns` (the last column is left free: writing there makes some
 * terminals wrap); when it is narrow, the bar goes first, then the least useful fields.
 */
export function formatProgressBar(s: ProgressSnapshot, columns: number): string {
  const d = derive(s);
  const width = Math.max(0, Math.floor(Number.isFinite(columns) ? columns : 80) - 1);
  // Most useful first; dropped from the end of `optional` when space runs out.
  const head = d.known ? `${compactCount(d.done)}/${compactCount(s.workTotal)}` : `${compactCount(d.done)} done`;
  const fields: { text: string; rank: number }[] = [
    { text: head, rank: 0 },
    ...(d.perMille !== null ? [{ text: percent(d.perMille), rank: 1 }] : []),
    { text: `open ${compactCount(s.openPorts)}`, rank: 5 },
    { text: `DICOM ${compactCount(s.dicomEndpoints)}`, rank: 4 },
    { text: `exposed ${compactCount(s.exposed)}`, rank: 2 },
    { text: rateText(d.rate, true), rank: 6 },
    { text: `ETA ${d.etaMs === null ? '?' : formatDuration(d.etaMs)}`, rank: 3 },
  ];
  let kept = fields;
  for (;;) {
    const text = kept.map((f) => f.text).join(' ');
    const room = width - text.length - 1;
    if (room >= MIN_BAR + 2) return `${bar(d.perMille, Math.min(MAX_BAR, room - 2))} ${text}`;
    if (text.length <= width) return text;
    if (kept.length === 1) return text.slice(0, width);
    const worst = Math.max(...kept.map((f) => f.rank));
    kept = kept.filter((f) => f.rank !== worst);
  }
}

/** A plain line for logs and pipes, with every digit. */
export function formatProgressLine(s: ProgressSnapshot): string {
  const d = derive(s);
  const work = d.known
    ? `${grouped(d.done)}/${grouped(s.workTotal)} (${percent(d.perMille ?? 0n)})`
    : `${grouped(d.done)}/? (total not known yet)`;
  return [
    `progress ${work}`,
    `${grouped(s.openPorts)} open`,
    `${grouped(s.dicomEndpoints)} DICOM`,
    `${grouped(s.exposed)} exposed`,
    rateText(d.rate, false),
    `elapsed ${formatDuration(s.elapsedMs)}`,
    `ETA ${d.etaMs === null ? '?' : formatDuration(d.etaMs)}`,
  ].join(', ');
}

export interface ProgressReporterOptions {
  readonly write: (text: string) => void;
  /** Redraw one line in place (a terminal), or print whole lines (a log, a pipe). */
  readonly tty: boolean;
  /** Terminal width; a function is asked at each redraw (follows resizes). Default 80. */
  readonly columns?: number | (() => number | undefined);
  /** Default 100 ms on a TTY (at most one redraw per interval), 10 s otherwise. */
  readonly intervalMs?: number;
  /** Clock for throttling `update()` (tests pass a fake one). Default performance.now. */
  readonly now?: () => number;
  readonly snapshot: () => ProgressSnapshot;
}

export class ProgressReporter {
  readonly #o: ProgressReporterOptions;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | null = null;
  #running = false;
  #lastDraw = -Infinity;
  #lastLine: string | null = null;

  constructor(o: ProgressReporterOptions) {
    const interval = o.intervalMs ?? (o.tty ? 100 : 10_000);
    if (!Number.isFinite(interval) || interval <= 0)
      throw new RangeError(`progress interval must be positive, got ${interval}`);
    this.#o = o;
    this.#intervalMs = interval;
    this.#now = o.now ?? (() => performance.now());
  }

  /** Draws at once (TTY), then every interval. Calling it twice is harmless. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#o.tty) this.#draw();
    const timer = setInterval(() => this.#draw(), this.#intervalMs);
    // A progress display must never keep the process alive.
    timer.unref();
    this.#timer = timer;
  }

  /**
   * Asks for a redraw now (e.g. a new exposed endpoint); on a TTY it happens if the last one is at
   * least one interval old, otherwise the next tick shows it. Ignored for plain output.
   */
  update(): void {
    if (!this.#running || !this.#o.tty) return;
    if (this.#now() - this.#lastDraw >= this.#intervalMs) this.#draw();
  }

  /** Stops the timer and leaves the final state: the TTY line is ended, a plain line is printed. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#lastLine = null;
    this.#draw();
    if (this.#o.tty) this.#o.write('\n');
  }

  #columns(): number {
    const c = typeof this.#o.columns === 'function' ? this.#o.columns() : this.#o.columns;
    return c !== undefined && Number.isFinite(c) && c > 0 ? c : 80;
  }

  #draw(): void {
    this.#lastDraw = this.#now();
    const s = this.#o.snapshot();
    if (!this.#o.tty) {
      this.#o.write(`${formatProgressLine(s)}\n`);
      return;
    }
    const line = formatProgressBar(s, this.#columns());
    if (line === this.#lastLine) return;
    this.#lastLine = line;
    this.#o.write(`\r${line}${CLEAR_TO_EOL}`);
  }
}
