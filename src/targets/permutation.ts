/**
 * A keyed bijection of [0, n): the randomised scan order. Each index appears exactly once, in an
 * order that looks random and depends on the seed, and position i maps to its index in O(1)
 * time and memory, so a /8 or a v6 /64 is shuffled without listing it (the idea of masscan's
 * "blackrock" and zmap's cyclic groups).
 *
 * Construction: Black and Rogaway's generalised Feistel cipher on a domain a × b with
 * a·b ≥ n, a ≈ b ≈ √n ("Ciphers with Arbitrary Finite Domains", CT-RSA 2002, method FE2), made
 * exact on [0, n) by cycle-walking: re-encrypt while the result is ≥ n. Since a·b − n < a, the
 * walk almost never takes a second step. Rounds alternate modulus a and b, so each round is
 * invertible whatever the round function; the round function is a keyed 32-bit mixer (numbers
 * while a·b < 2^53, bigint limbs beyond, e.g. for IPv6).
 *
 * Not cryptography: the goal is spreading load across networks, not hiding the order.
 */
import { createHash, randomBytes } from 'node:crypto';

export type Seed = bigint | number | string;

const SMALL_LIMIT = 1n << 52n;

export class Permutation {
  readonly size: bigint;
  readonly seed: Seed;
  private readonly rounds: number;
  private readonly keys: Uint32Array;
  private readonly small: boolean;
  private readonly a: bigint;
  private readonly b: bigint;
  private readonly an: number;
  private readonly bn: number;
  private readonly nn: number;

  /**
   * @param rounds Feistel rounds (4 by default: Luby-Rackoff's strong pseudo-random permutation count).
   * @param arithmetic 'auto' uses numbers up to 2^52; 'bigint' forces the general path (for tests).
   */
  constructor(size: bigint, seed: Seed, options: { rounds?: number; arithmetic?: 'auto' | 'bigint' } = {}) {
    const rounds = options.rounds ?? 4;
    if (size < 0n) throw new RangeError('permutation size must be >= 0');
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 32) throw new RangeError('rounds must be 1..32');
    this.size = size;
    this.seed = seed;
    this.rounds = rounds;
    this.keys = deriveKeys(seed, 2 * rounds + 2);
    let a = size <= 1n ? 1n : isqrt(size);
    if (a < 1n) a = 1n;
    const b = size <= 1n ? 1n : (size + a - 1n) / a;
    this.a = a;
    this.b = b;
    this.small = size <= SMALL_LIMIT && options.arithmetic !== 'bigint';
    this.an = Number(a);
    this.bn = Number(b);
    this.nn = this.small ? Number(size) : 0;
  }

  /** True when atNumber() is available (size up to 2^52, number arithmetic). */
  get numeric(): boolean {
    return this.small;
  }

  /** A fresh random seed (64 bits). */
  static randomSeed(): bigint {
    return randomBytes(8).readBigUInt64BE();
  }

  /** The index at position i, for 0 <= i < size. */
  at(i: bigint): bigint {
    if (i < 0n || i >= this.size) throw new RangeError(`position ${i} outside 0..${this.size - 1n}`);
    if (this.small) return BigInt(this.atNumber(Number(i)));
    let x = i;
    do x = this.encryptBig(x);
    while (x >= this.size);
    return x;
  }

  /** Fast path for sizes up to 2^52: position and index as numbers. */
  atNumber(i: number): number {
    if (!this.small) throw new RangeError('atNumber needs a size up to 2^52; use at()');
    if (!(i >= 0 && i < this.nn && Number.isInteger(i)))
      throw new RangeError(`position ${i} outside 0..${this.nn - 1}`);
    let x = i;
    do x = this.encryptSmall(x);
    while (x >= this.nn);
    return x;
  }

  private encryptSmall(m: number): number {
    const a = this.an;
    const b = this.bn;
    const k = this.keys;
    let L = m % a;
    let R = Math.floor(m / a);
    for (let j = 1; j <= this.rounds; j++) {
      const f = mix(mix(R, k[2 * j]!), k[2 * j + 1]!);
      const t = (L + (f % (j & 1 ? a : b))) % (j & 1 ? a : b);
      L = R;
      R = t;
    }
    return this.rounds & 1 ? a * L + R : a * R + L;
  }

  private encryptBig(m: bigint): bigint {
    const a = this.a;
    const b = this.b;
    let L = m % a;
    let R = m / a;
    for (let j = 1; j <= this.rounds; j++) {
      const mod = j & 1 ? a : b;
      // the same round function as the number path while everything fits in 32 bits
      const f =
        mod <= 0xffffffffn && R <= 0xffffffffn
          ? BigInt(mix(mix(Number(R), this.keys[2 * j]!), this.keys[2 * j + 1]!))
          : this.roundBig(j, R);
      const t = (L + (f % mod)) % mod;
      L = R;
      R = t;
    }
    return this.rounds & 1 ? a * L + R : a * R + L;
  }

  private roundBig(j: number, r: bigint): bigint {
    const k1 = this.keys[2 * j]!;
    const k2 = this.keys[2 * j + 1]!;
    let h = k1;
    let x = r;
    do {
      h = mix(h ^ Number(x & 0xffffffffn), k2);
      x >>= 32n;
    } while (x > 0n);
    let out = 0n;
    for (let w = 0; w < 5; w++) out = (out << 32n) | BigInt(mix(h + w, k1 ^ k2));
    return out;
  }
}

/** A keyed 32-bit mixer (xor-multiply-shift rounds, after Wang/Murmur finalisers). */
function mix(x: number, key: number): number {
  let h = (x ^ key) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

function deriveKeys(seed: Seed, count: number): Uint32Array {
  const out = new Uint32Array(count);
  let filled = 0;
  for (let block = 0; filled < count; block++) {
    const digest = createHash('sha256')
      .update(`pacsmap-permutation/${typeof seed}/${String(seed)}/${block}`)
      .digest();
    for (let o = 0; o + 4 <= digest.length && filled < count; o += 4) out[filled++] = digest.readUInt32BE(o);
  }
  return out;
}

/** floor(sqrt(n)) for n >= 0. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  // Newton from above (2^ceil(bits/2) >= sqrt(n)) decreases monotonically to floor(sqrt(n))
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
