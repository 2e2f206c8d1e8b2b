/**
 * The lab's side of a connection as a slow network link: every write reaches the socket
 * `latencyMs` after it was made, in order (one timer per link, not per write), and a close
 * happens after the writes queued before it. With no latency, writes go straight to the socket.
 *
 * `backlog` (bytes queued here plus bytes the socket has not flushed) lets a producer stop before
 * it buffers a whole archive in memory: `waitForRoom` resolves once the backlog has drained below
 * the low-water mark, or at once if the link is closed.
 */
import type { Duplex } from 'node:stream';

type Item = { readonly due: number; readonly bytes: Uint8Array | null; readonly close?: 'end' | 'destroy' };

/** How long a closing link waits for its peer's FIN before dropping the socket. */
const DESTROY_GRACE_MS = 200;

export class Link {
  private readonly socket: Duplex;
  private readonly latencyMs: number;
  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  private closing = false;
  private closedFlag = false;
  private readonly lowWater: number;

  constructor(socket: Duplex, latencyMs: number, lowWater = 64 * 1024) {
    this.socket = socket;
    this.latencyMs = latencyMs;
    this.lowWater = lowWater;
    socket.on('drain', () => this.wake());
    socket.once('close', () => {
      this.closedFlag = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.queue.length = 0;
      this.queuedBytes = 0;
      this.wake();
    });
  }

  /** True once the socket has closed (or a close was queued): writes are dropped. */
  get closed(): boolean {
    return this.closedFlag || this.closing;
  }

  get backlog(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  send(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.latencyMs <= 0) {
      this.socket.write(bytes);
      return;
    }
    this.push({ due: performance.now() + this.latencyMs, bytes });
  }

  /** Closes after what was sent: 'end' half-closes and waits for the peer; 'destroy' drops soon after. */
  close(mode: 'end' | 'destroy'): void {
    if (this.closed) return;
    this.closing = true;
    if (this.latencyMs <= 0) this.doClose(mode);
    else this.push({ due: performance.now() + this.latencyMs, bytes: null, close: mode });
  }

  /** Resolves when the backlog is under the low-water mark (or the link is closed). */
  waitForRoom(): Promise<void> {
    if (this.closed || this.backlog < this.lowWater) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private push(item: Item): void {
    this.queue.push(item);
    if (item.bytes) this.queuedBytes += item.bytes.length;
    if (!this.timer) this.schedule();
  }

  private schedule(): void {
    const head = this.queue[0];
    if (!head) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, head.due - performance.now()));
  }

  private flush(): void {
    this.timer = null;
    const now = performance.now() + 1;
    while (this.queue.length > 0 && (this.queue[0] as Item).due <= now) {
      const item = this.queue.shift() as Item;
      if (item.bytes) {
        this.queuedBytes -= item.bytes.length;
        if (!this.socket.destroyed) this.socket.write(item.bytes);
      }
      if (item.close) {
        this.doClose(item.close);
        return;
      }
    }
    this.schedule();
    this.wake();
  }

  private doClose(mode: 'end' | 'destroy'): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    if (mode === 'destroy') {
      const t = setTimeout(() => this.socket.destroy(), DESTROY_GRACE_MS);
      t.unref();
    }
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    if (!this.closedFlag && this.backlog >= this.lowWater) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
