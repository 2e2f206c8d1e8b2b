/**
 * Counts distinct identifiers without keeping them: each value is reduced at once to a
 * 128-bit HMAC under a per-scan random salt, and only those digests are held, in memory.
 * The salt is never written anywhere, so digests cannot be linked across scans either.
 */
import { createHmac, randomBytes } from 'node:crypto';

export function newScanSalt(): Buffer {
  return randomBytes(32);
}

export class SaltedDistinctCounter {
  private readonly salt: Buffer;
  private readonly seen = new Set<string>();

  constructor(salt: Buffer) {
    this.salt = salt;
  }

  add(value: string): void {
    const digest = createHmac('sha256', this.salt).update(value, 'utf8').digest();
    this.seen.add(digest.toString('base64', 0, 16));
  }

  get size(): number {
    return this.seen.size;
  }
}
