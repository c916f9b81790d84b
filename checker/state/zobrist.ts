import type { Layout } from './layout.ts';

/**
 * Zobrist fingerprints: the 64-bit fingerprint of a state is the XOR of one random key per
 * (slot, value). A successor differs from its parent in a few slots, so its fingerprint is the
 * parent's with those slots' keys swapped: a compare-only pass over the state instead of hashing
 * every slot of every successor. Keys come from a fixed-seed generator, so fingerprints (and the
 * order of exploration) are the same in every run.
 */
export class Zobrist {
  private readonly hiKeys: Int32Array;
  private readonly loKeys: Int32Array;
  private readonly offset: Int32Array;
  private readonly min: Int32Array;
  hi = 0;
  lo = 0;

  /** Null when the domains are too large for a key table (the caller then hashes whole states). */
  static forLayout(layout: Layout, maxKeys = 1 << 22): Zobrist | null {
    let total = 0;
    for (const s of layout.slots) total += s.domain.max - s.domain.min + 1;
    return total <= maxKeys ? new Zobrist(layout, total) : null;
  }

  private constructor(layout: Layout, total: number) {
    this.hiKeys = new Int32Array(total);
    this.loKeys = new Int32Array(total);
    this.offset = new Int32Array(layout.size);
    this.stamp = new Int32Array(layout.size);
    this.min = Int32Array.from(layout.min);
    let o = 0;
    layout.slots.forEach((s, i) => {
      this.offset[i] = o;
      o += s.domain.max - s.domain.min + 1;
    });
    // splitmix32-style generator with a fixed seed
    let x = 0x2545f491;
    const next = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return z ^ (z >>> 16);
    };
    for (let i = 0; i < total; i++) {
      this.hiKeys[i] = next();
      this.loKeys[i] = next();
    }
  }

  /** Full fingerprint of `s` into (hi, lo). */
  full(s: Int32Array): void {
    let hi = 0;
    let lo = 0;
    const off = this.offset;
    const min = this.min;
    for (let i = 0; i < s.length; i++) {
      const k = off[i]! + s[i]! - min[i]!;
      hi ^= this.hiKeys[k]!;
      lo ^= this.loKeys[k]!;
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }

  private readonly stamp: Int32Array;
  private generation = 0;

  /**
   * Fingerprint of `next` from `prev`'s, visiting only the slots in `written` (the transition's
   * recorded writes; repeats are skipped). Every slot that differs must be in `written`.
   */
  updateWritten(
    prev: Int32Array,
    next: Int32Array,
    prevHi: number,
    prevLo: number,
    written: Int32Array,
    n: number,
  ): void {
    let hi = prevHi;
    let lo = prevLo;
    const off = this.offset;
    const min = this.min;
    const hk = this.hiKeys;
    const lk = this.loKeys;
    const stamp = this.stamp;
    const gen = ++this.generation;
    for (let j = 0; j < n; j++) {
      const i = written[j]!;
      if (stamp[i] === gen) continue;
      stamp[i] = gen;
      const a = prev[i]!;
      const b = next[i]!;
      if (a !== b) {
        const base = off[i]! - min[i]!;
        hi ^= hk[base + a]! ^ hk[base + b]!;
        lo ^= lk[base + a]! ^ lk[base + b]!;
      }
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }
}
