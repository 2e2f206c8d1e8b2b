/**
 * Connection-rate limit: a token bucket. `take()` resolves when a connection may start, so at most
 * `perSecond` connections start in any second after an initial burst of `burst` (default: a tenth
 * of a second's worth, at least 1). Waiters are served in arrival order.
 *
 * Shared by every probe of a scan (the sweep's connects and each association), so the rate a
 * facility's firewall sees is the rate the operator set, whatever the concurrency.
 */
export interface RateLimiterOptions {
  /** Connections per second; 0 or Infinity = unlimited. */
  readonly perSecond: number;
  readonly burst?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

export class RateLimiter {
  readonly perSecond: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #tokens: number;
  #last: number;
  // Serialises waiters: each take() waits for the one before it.
  #queue: Promise<void> = Promise.resolve();

  constructor(options: RateLimiterOptions) {
    if (!(options.perSecond >= 0)) throw new RangeError(`rate must be >= 0, not ${options.perSecond}`);
    this.perSecond = options.perSecond === 0 ? Infinity : options.perSecond;
    this.#burst = Math.max(1, options.burst ?? Math.floor(this.perSecond / 10));
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? defaultSleep;
    this.#tokens = this.#burst;
    this.#last = this.#now();
  }

  get unlimited(): boolean {
    return this.perSecond === Infinity;
  }

  take(): Promise<void> {
    if (this.unlimited) return Promise.resolve();
    const turn = this.#queue.then(() => this.#acquire());
    this.#queue = turn;
    return turn;
  }

  async #acquire(): Promise<void> {
    for (;;) {
      const now = this.#now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.perSecond) / 1000);
      this.#last = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.#sleep(Math.ceil(((1 - this.#tokens) * 1000) / this.perSecond));
    }
  }
}
