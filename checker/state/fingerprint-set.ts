/**
 * The visited set: 64-bit fingerprints of states in an open-addressing table of Uint32 pairs.
 * Grows at three-quarters load, alternately by 3/2 and 4/3 (capacities 2^k and 3*2^(k-1)), so a
 * table is on average fuller than with doubling; refuses to grow past its byte cap (the search
 * then ends `incomplete` instead of running the process out of memory).
 */

export const ADD_NEW = 1;
export const ADD_SEEN = 0;
export const ADD_FULL = -1;

export class FingerprintSet {
  private keys: Uint32Array;
  private cap: number;
  /** home() of a fingerprint: ((h >>> sh) * mul) >>> 2, a value below cap (see setCapacity). */
  private sh = 0;
  private mul = 1;
  private count = 0;
  private readonly maxBytes: number;
  /** With `indexed`: the state index stored beside each fingerprint (the liveness search's graph). */
  private values: Int32Array | null;
  /** Fingerprint of the last state hashed (hi, lo), kept for callers that store it. */
  hi = 0;
  lo = 0;
  /** After `addIndexed` returned ADD_SEEN: the index stored with that fingerprint. */
  index = -1;

  constructor(maxBytes = 4 * 1024 ** 3, initialLog2 = 16, indexed = false) {
    const cap = 1 << initialLog2;
    this.keys = new Uint32Array(cap * 2);
    this.values = indexed ? new Int32Array(cap) : null;
    this.cap = cap;
    this.setCapacity(cap);
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.keys.byteLength + (this.values?.byteLength ?? 0);
  }

  /** Hashes `s[0..len)` into (this.hi, this.lo): two murmur3-style lanes, 64 bits in all. */
  hash(s: Int32Array, len: number): void {
    let h1 = 0x9747b28c | 0;
    let h2 = 0x2545f491 | 0;
    for (let i = 0; i < len; i++) {
      let k = Math.imul(s[i]!, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h1 ^= k;
      h1 = (h1 << 13) | (h1 >>> 19);
      h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
      h2 = Math.imul(h2 ^ (s[i]! + i), 0x85ebca6b);
      h2 = (h2 << 17) | (h2 >>> 15);
      h2 = (h2 + Math.imul(h1, 0x27d4eb2f)) | 0;
    }
    h1 ^= len;
    h1 ^= h1 >>> 16;
    h1 = Math.imul(h1, 0x85ebca6b);
    h1 ^= h1 >>> 13;
    h1 = Math.imul(h1, 0xc2b2ae35);
    h1 ^= h1 >>> 16;
    h2 ^= h2 >>> 15;
    h2 = Math.imul(h2, 0x2c1b3c6d);
    h2 ^= h2 >>> 12;
    h2 = Math.imul(h2, 0x297a2d39);
    h2 ^= h2 >>> 15;
    this.hi = h1 >>> 0;
    this.lo = h2 >>> 0 || 1; // (0,0) marks an empty slot
  }

  /** Adds the fingerprint of `s`: ADD_NEW, ADD_SEEN, or ADD_FULL when the cap forbids growing. */
  add(s: Int32Array, len: number): number {
    this.hash(s, len);
    return this.addHash(this.hi, this.lo);
  }

  addHash(hi: number, lo: number): number {
    if (this.needsRoom() && !this.grow()) return ADD_FULL;
    const i = this.slotOf(hi, lo);
    if (this.keys[(i << 1) + 1] !== 0) return ADD_SEEN;
    this.fill(i, hi, lo);
    return ADD_NEW;
  }

  /**
   * Adds a fingerprint with the index of its state (the set must be `indexed`): ADD_NEW, ADD_FULL,
   * or ADD_SEEN with the index stored earlier in `this.index`.
   */
  addIndexed(hi: number, lo: number, index: number): number {
    if (this.needsRoom() && !this.grow()) return ADD_FULL;
    const i = this.slotOf(hi, lo);
    const values = this.values!;
    if (this.keys[(i << 1) + 1] !== 0) {
      this.index = values[i]!;
      return ADD_SEEN;
    }
    this.fill(i, hi, lo);
    values[i] = index;
    return ADD_NEW;
  }

  has(s: Int32Array, len: number): boolean {
    this.hash(s, len);
    return this.keys[(this.slotOf(this.hi, this.lo) << 1) + 1] !== 0;
  }

  /** Grow before the table passes three-quarters full. */
  private needsRoom(): boolean {
    return (this.count + 1) * 4 > this.cap * 3;
  }

  /** The slot holding (hi, lo), or the empty slot where linear probing would put it. */
  private slotOf(hi: number, lo: number): number {
    const keys = this.keys;
    const cap = this.cap;
    let i = (((mix(hi, lo) >>> this.sh) * this.mul) >>> 2) | 0;
    for (;;) {
      const k = i << 1;
      const klo = keys[k + 1]!;
      if (klo === 0 || (klo === lo && keys[k] === hi)) return i;
      i = i + 1 === cap ? 0 : i + 1;
    }
  }

  private fill(i: number, hi: number, lo: number): void {
    this.keys[i << 1] = hi;
    this.keys[(i << 1) + 1] = lo;
    this.count++;
  }

  /**
   * Home slots for `cap` = 2^k (the top k bits of the mix) or 3 * 2^(k-1) (three quarters of its
   * top k+1 bits): a multiply-shift in place of a mask, since cap need not be a power of two.
   */
  private setCapacity(cap: number): void {
    const pow2 = (cap & (cap - 1)) === 0;
    const k = Math.round(Math.log2(pow2 ? cap : (cap * 2) / 3));
    this.sh = pow2 ? 30 - k : 31 - k;
    this.mul = pow2 ? 1 : 3;
  }

  private grow(): boolean {
    const oldKeys = this.keys;
    const cap = (this.cap & (this.cap - 1)) === 0 ? (this.cap * 3) / 2 : (this.cap * 4) / 3;
    const oldValues = this.values;
    if (cap * (oldValues ? 12 : 8) > this.maxBytes) return false;
    let keys: Uint32Array;
    let values: Int32Array | null = null;
    try {
      keys = new Uint32Array(cap * 2);
      if (oldValues) values = new Int32Array(cap);
    } catch {
      return false;
    }
    this.setCapacity(cap);
    for (let k = 0; k < oldKeys.length; k += 2) {
      const lo = oldKeys[k + 1]!;
      if (lo === 0) continue;
      const hi = oldKeys[k]!;
      let i = (((mix(hi, lo) >>> this.sh) * this.mul) >>> 2) | 0;
      while (keys[(i << 1) + 1] !== 0) i = i + 1 === cap ? 0 : i + 1;
      keys[i << 1] = hi;
      keys[(i << 1) + 1] = lo;
      if (values) values[i] = oldValues![k >> 1]!;
    }
    this.keys = keys;
    this.values = values;
    this.cap = cap;
    return true;
  }
}

/** 32 well-mixed bits of a fingerprint, for its home slot. */
function mix(hi: number, lo: number): number {
  return (hi ^ Math.imul(lo, 0x9e3779b1)) >>> 0;
}

/**
 * Probability that two distinct states reached share a fingerprint, the way TLC estimates
 * it: n distinct states in a 64-bit space, birthday bound n(n-1)/2^65.
 */
export function collisionProbability(distinct: number): number {
  return (distinct * (distinct - 1)) / 2 ** 65;
}
