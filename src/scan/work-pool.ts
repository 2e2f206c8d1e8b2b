/**
 * Runs work items pulled from an ordered source with a global concurrency limit and a per-key
 * limit (per host: one association per host at a time by default), and reports the low-water mark
 * of the source's positions: every item below it has finished. That mark is what a scan commits
 * as its cursor, so a resume restarts from there and loses nothing.
 *
 * Items arrive in increasing position order. An item whose key is at its limit waits, while items
 * for other keys go ahead; at most `window` items are pulled and unfinished at once, so a source
 * of a /8 never fills memory and a busy host cannot make the pool read ahead without bound.
 * `work` must not throw (probes never do); if it does, the pool stops pulling and rethrows.
 */
export interface PoolItem {
  readonly position: bigint;
  readonly key: string;
}

export interface WorkPoolOptions {
  readonly concurrency: number;
  readonly perKey: number;
  /** Most items pulled but unfinished (default 4 × concurrency, at least 16). */
  readonly window?: number;
  /** Called whenever the low-water mark rises: every position below `mark` is finished. */
  readonly onMark?: (mark: bigint) => void;
  /** Stops pulling new items once aborted; items in flight finish. */
  readonly signal?: AbortSignal;
}

interface Slot<T extends PoolItem> {
  readonly item: T;
  done: boolean;
}

export async function runPool<T extends PoolItem>(
  source: AsyncIterable<T>,
  options: WorkPoolOptions,
  work: (item: T) => Promise<void>,
): Promise<{ readonly finished: number; readonly aborted: boolean }> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const perKey = Math.max(1, Math.floor(options.perKey));
  const window = Math.max(concurrency, options.window ?? Math.max(16, concurrency * 4));
  const iterator = source[Symbol.asyncIterator]();

  const order: Slot<T>[] = []; // pulled and unfinished-or-not-yet-swept, in position order
  const waiting: Slot<T>[] = []; // pulled, not started (their key was busy)
  const busy = new Map<string, number>();
  let running = 0;
  let finished = 0;
  let exhausted = false; // the source has no more items
  // In an object: TypeScript does not see the callback's assignment and would narrow a `let` to null.
  const failed: { error?: unknown; yes: boolean } = { yes: false };
  let wake: (() => void) | null = null;
  let lastMark: bigint | null = null;
  let nextPosition: bigint | null = null; // position after the last pulled item

  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };

  const start = (slot: Slot<T>): void => {
    running += 1;
    busy.set(slot.item.key, (busy.get(slot.item.key) ?? 0) + 1);
    void work(slot.item)
      .catch((error: unknown) => {
        if (!failed.yes) Object.assign(failed, { yes: true, error });
      })
      .finally(() => {
        running -= 1;
        finished += 1;
        const n = (busy.get(slot.item.key) ?? 1) - 1;
        if (n === 0) busy.delete(slot.item.key);
        else busy.set(slot.item.key, n);
        slot.done = true;
        advanceMark();
        notify();
      });
  };

  const advanceMark = (): void => {
    while (order.length > 0 && order[0]!.done) order.shift();
    // With nothing unfinished, every position before the next one to pull is done (or was skipped by the source).
    const mark = order.length > 0 ? order[0]!.item.position : nextPosition;
    if (mark !== null && (lastMark === null || mark > lastMark)) {
      lastMark = mark;
      options.onMark?.(mark);
    }
  };

  const startWaiting = (): void => {
    for (let i = 0; i < waiting.length && running < concurrency;) {
      const slot = waiting[i]!;
      if ((busy.get(slot.item.key) ?? 0) < perKey) {
        waiting.splice(i, 1);
        start(slot);
      } else i += 1;
    }
  };

  const aborted = (): boolean => options.signal?.aborted === true;

  try {
    for (;;) {
      if (failed.yes) break;
      startWaiting();
      const canPull = !exhausted && !aborted() && running < concurrency && order.length < window;
      if (canPull) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          advanceMark();
          continue;
        }
        const slot: Slot<T> = { item: next.value, done: false };
        nextPosition = next.value.position + 1n;
        order.push(slot);
        if ((busy.get(slot.item.key) ?? 0) < perKey && running < concurrency) start(slot);
        else waiting.push(slot);
        continue;
      }
      // Nothing to pull and nothing running: with running = 0 every key is free, so nothing waits either.
      if (running === 0 && (exhausted || aborted())) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    // Drain what is in flight (on failure or abort, items already started still finish).
    while (running > 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      if (!failed.yes && !aborted()) startWaiting();
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
  if (failed.yes) throw failed.error;
  return { finished, aborted: aborted() && !exhausted };
}
