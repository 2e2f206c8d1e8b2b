/**
 * A set of positive integers below 2^53 in one Float64Array (open addressing, linear probing):
 * 8 to 16 bytes per member, where a Set<number> of non-small integers costs ~50 (one heap number
 * each, plus the table). The import's duplicate filter holds one key per IPv4 (address, port).
 */
export class NumberSet {
  private table: Float64Array;
  private count = 0;

  constructor(capacity = 1024) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.table = new Float64Array(size); // 0 marks an empty slot: members are >= 1
  }

  get size(): number {
    return this.count;
  }

  has(key: number): boolean {
    return this.table[this.slot(key)] === key;
  }

  /** Adds key; returns false when it was already there. */
  add(key: number): boolean {
    if (!(Number.isInteger(key) && key >= 1 && key <= Number.MAX_SAFE_INTEGER))
      throw new RangeError(`NumberSet holds integers 1..2^53-1: ${key}`);
    const i = this.slot(key);
    if (this.table[i] === key) return false;
    this.table[i] = key;
    if (++this.count * 2 > this.table.length) this.grow();
    return true;
  }

  private slot(key: number): number {
    const mask = this.table.length - 1;
    const lo = key >>> 0;
    const hi = Math.floor(key / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    let i = h & mask;
    for (;;) {
      const v = this.table[i]!;
      if (v === 0 || v === key) return i;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2);
    for (const v of old) if (v !== 0) this.table[this.slot(v)] = v;
  }
}
