/**
 * In-memory session store with a ceiling: @fastify/session's default store is a Map that never
 * forgets a session nobody comes back with, and every visit to the login form makes one (its CSRF
 * secret). Here expired sessions are dropped when met and swept when the store is full, and past
 * `maxSessions` the least recently written one goes first. One process only (docs/dashboard.md).
 */
import type { Session } from 'fastify';

interface Stored {
  readonly session: Session;
  readonly expiresAt: number;
}

type Callback = (err?: unknown) => void;

export class BoundedSessionStore {
  readonly #sessions = new Map<string, Stored>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { maxSessions?: number; now?: () => number } = {}) {
    this.#max = options.maxSessions ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  #expiry(session: Session): number {
    const expires = (session as { cookie?: { expires?: Date | string | null } }).cookie?.expires;
    const t = expires ? new Date(expires).getTime() : NaN;
    return Number.isFinite(t) ? t : this.#now() + 8 * 3600_000;
  }

  set(sessionId: string, session: Session, callback: Callback): void {
    this.#sessions.delete(sessionId);
    this.#sessions.set(sessionId, { session, expiresAt: this.#expiry(session) });
    if (this.#sessions.size > this.#max) {
      const now = this.#now();
      for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
      // Map order is insertion order, and set() re-inserts: the first key is the least recently written.
      while (this.#sessions.size > this.#max) {
        const oldest = this.#sessions.keys().next().value;
        if (oldest === undefined) break;
        this.#sessions.delete(oldest);
      }
    }
    callback();
  }

  get(sessionId: string, callback: (err: unknown, session?: Session | null) => void): void {
    const s = this.#sessions.get(sessionId);
    if (s && s.expiresAt <= this.#now()) {
      this.#sessions.delete(sessionId);
      callback(null, null);
      return;
    }
    callback(null, s?.session ?? null);
  }

  destroy(sessionId: string, callback: Callback): void {
    this.#sessions.delete(sessionId);
    callback();
  }
}
