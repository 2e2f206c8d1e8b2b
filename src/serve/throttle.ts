/**
 * Login throttling per client address: after `max` failures within `windowMs`, further attempts
 * are refused until the oldest failure leaves the window. Bounded memory: at most `maxKeys`
 * addresses are tracked (the oldest entry is dropped first).
 */
export interface ThrottleOptions {
  readonly max?: number;
  readonly windowMs?: number;
  readonly maxKeys?: number;
  readonly now?: () => number;
}

export class LoginThrottle {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #failures = new Map<string, number[]>();

  constructor(options: ThrottleOptions = {}) {
    this.#max = options.max ?? 5;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.#windowMs;
    const list = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }

  /** Milliseconds until the next attempt is allowed; 0 when allowed now. */
  retryAfterMs(key: string): number {
    const list = this.#recent(key);
    if (list.length < this.#max) return 0;
    return Math.max(1, list[list.length - this.#max]! + this.#windowMs - this.#now());
  }

  fail(key: string): void {
    const list = this.#recent(key);
    list.push(this.#now());
    this.#failures.delete(key);
    this.#failures.set(key, list.slice(-this.#max));
    if (this.#failures.size > this.#maxKeys) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  succeed(key: string): void {
    this.#failures.delete(key);
  }
}
