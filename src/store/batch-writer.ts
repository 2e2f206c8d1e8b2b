/**
 * Buffers result writes and applies them as few large transactions: a flush happens when
 * `maxRows` rows are buffered, `maxDelayMs` after the first buffered row, on `flush()` and on
 * `close()`. Works over any Repository (only `writeBatch` is used).
 *
 * Crash safety: the whole buffer goes into ONE transaction, and rows are flushed in the order they
 * were added. A caller that adds a target's results before `targetDone(…)` therefore never has a
 * target committed as done without its results: after a kill, a target is either done with all its
 * results, or pending (and re-probed on resume; the upserts make the repeat harmless).
 *
 * Errors: a failed flush is sticky. The next add, `flush()` or `close()` throws it, so results are
 * never silently dropped. Adds are synchronous (no promise to forget); for back-pressure on a slow
 * backend, `await ready()` before producing more.
 */
import type {
  EndpointRecord,
  FindingRecord,
  ObservationRecord,
  Repository,
  ScanCursor,
  TargetRef,
  WriteBatch,
} from './repository.ts';

export interface BatchWriterOptions {
  /** Flush when this many rows are buffered (default 1000). */
  readonly maxRows?: number;
  /** Flush at the latest this long after the first buffered row (default 250 ms). */
  readonly maxDelayMs?: number;
  /** `ready()` waits while more than this many rows are buffered or in flight (default 4 × maxRows). */
  readonly highWaterRows?: number;
  /** Called after each committed flush (progress, tests). */
  readonly onFlush?: (rows: number) => void;
}

interface Buffer {
  targets: TargetRef[];
  endpoints: EndpointRecord[];
  observations: ObservationRecord[];
  findings: FindingRecord[];
  targetsDone: TargetRef[];
  cursors: ScanCursor[];
}

function emptyBuffer(): Buffer {
  return { targets: [], endpoints: [], observations: [], findings: [], targetsDone: [], cursors: [] };
}

export class BatchWriter {
  readonly #sink: Pick<Repository, 'writeBatch'>;
  readonly #maxRows: number;
  readonly #maxDelayMs: number;
  readonly #highWater: number;
  readonly #onFlush: ((rows: number) => void) | undefined;
  #buf: Buffer = emptyBuffer();
  #rows = 0;
  #inFlight = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #chain: Promise<void> = Promise.resolve();
  #error: { readonly cause: unknown } | null = null;
  #closed = false;
  #flushes = 0;
  #written = 0;

  constructor(sink: Pick<Repository, 'writeBatch'>, options: BatchWriterOptions = {}) {
    this.#sink = sink;
    this.#maxRows = Math.max(1, options.maxRows ?? 1000);
    this.#maxDelayMs = Math.max(0, options.maxDelayMs ?? 250);
    this.#highWater = Math.max(this.#maxRows, options.highWaterRows ?? this.#maxRows * 4);
    this.#onFlush = options.onFlush;
  }

  /** Rows buffered, not yet handed to the store. */
  get buffered(): number {
    return this.#rows;
  }

  get stats(): { readonly flushes: number; readonly rowsWritten: number } {
    return { flushes: this.#flushes, rowsWritten: this.#written };
  }

  target(ref: TargetRef): void {
    this.#add('targets', ref);
  }

  endpoint(record: EndpointRecord): void {
    this.#add('endpoints', record);
  }

  observation(record: ObservationRecord): void {
    this.#add('observations', record);
  }

  finding(record: FindingRecord): void {
    this.#add('findings', record);
  }

  /** Add after the target's results: committed in the same or a later transaction than they are. */
  targetDone(ref: TargetRef): void {
    this.#add('targetsDone', ref);
  }

  /**
   * Moves the scan's work cursor. Add after the results of every position below it: it is then
   * committed in the same or a later transaction than they are.
   */
  cursor(scanId: string, position: bigint): void {
    // Only the last position of a scan matters: a buffered one is replaced, not queued (a scan
    // moves its cursor once per work item).
    const buffered = this.#buf.cursors.findIndex((c) => c.scanId === scanId);
    if (buffered >= 0) {
      if (this.#closed) throw new Error('BatchWriter is closed');
      this.#throwIfFailed();
      this.#buf.cursors[buffered] = { scanId, position: position.toString() };
      return;
    }
    this.#add('cursors', { scanId, position: position.toString() });
  }

  /** Resolves once fewer than `highWaterRows` rows are buffered or in flight. */
  async ready(): Promise<void> {
    this.#throwIfFailed();
    while (this.#rows + this.#inFlight > this.#highWater) {
      if (this.#rows > 0) this.#startFlush();
      await this.#chain;
      this.#throwIfFailed();
    }
  }

  /** Writes everything buffered and waits for every write in flight. */
  async flush(): Promise<void> {
    this.#throwIfFailed();
    if (this.#rows > 0) this.#startFlush();
    await this.#chain;
    this.#throwIfFailed();
  }

  /** Flushes and stops; later adds throw. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) {
      await this.#chain;
      this.#throwIfFailed();
      return;
    }
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      this.#clearTimer();
    }
  }

  #add<K extends keyof Buffer>(kind: K, row: Buffer[K][number]): void {
    if (this.#closed) throw new Error('BatchWriter is closed');
    this.#throwIfFailed();
    (this.#buf[kind] as Buffer[K][number][]).push(row);
    this.#rows += 1;
    if (this.#rows >= this.#maxRows) this.#startFlush();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        if (this.#rows > 0) this.#startFlush();
      }, this.#maxDelayMs);
      // A forgotten writer must not keep the process alive; close() is what guarantees the write.
      this.#timer.unref();
    }
  }

  #startFlush(): void {
    this.#clearTimer();
    const batch: WriteBatch = this.#buf;
    const rows = this.#rows;
    this.#buf = emptyBuffer();
    this.#rows = 0;
    this.#inFlight += rows;
    this.#chain = this.#chain.then(async () => {
      try {
        if (this.#error === null) {
          await this.#sink.writeBatch(batch);
          this.#flushes += 1;
          this.#written += rows;
          this.#onFlush?.(rows);
        }
      } catch (cause) {
        this.#error = { cause };
      } finally {
        this.#inFlight -= rows;
      }
    });
  }

  #clearTimer(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #throwIfFailed(): void {
    if (this.#error !== null) {
      const c = this.#error.cause;
      throw c instanceof Error ? c : new Error(`store write failed: ${String(c)}`);
    }
  }
}
