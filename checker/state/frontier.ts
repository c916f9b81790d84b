import type { Layout } from './layout.ts';

/**
 * The BFS frontier: a ring of states, each with its index and fingerprint. Where every slot's
 * domain fits 24 bits (all models so far), a state is bit-packed: each slot takes the bits its
 * domain needs (value minus the domain's minimum), never straddling a 32-bit word, so
 * vcpu-requests' 44 slots take 4 words instead of 44. Otherwise states are kept as Int32s.
 * Grows by doubling.
 */
export class Frontier {
  private header: Int32Array;
  /** Packed states, `per` words each; null when kept whole in `words`. */
  private packed: Int32Array | null;
  private words: Int32Array | null;
  /** Per slot: its shift inside its word and its mask; per word: the slot after its last. */
  private readonly shift: Int32Array;
  private readonly mask: Int32Array;
  private readonly wordEnd: Int32Array;
  /** Words per packed state. */
  private readonly per: number;
  private head = 0;
  private count = 0;
  private peakCount = 0;
  private readonly len: number;
  private readonly min: Int32Array;
  /** Index and fingerprint of the state `pop` returned last. */
  index = 0;
  hi = 0;
  lo = 0;

  constructor(layout: Layout, initialCapacity = 64) {
    this.len = layout.size;
    this.min = Int32Array.from(layout.min);
    this.shift = new Int32Array(this.len);
    this.mask = new Int32Array(this.len);
    let w = 0;
    let used = 0;
    let fits = true;
    const ends: number[] = [];
    layout.slots.forEach((slot, k) => {
      const bits = Math.max(1, Math.ceil(Math.log2(slot.domain.max - slot.domain.min + 1)));
      if (bits > 24) fits = false;
      if (used + bits > 32) {
        ends.push(k);
        w++;
        used = 0;
      }
      this.shift[k] = used;
      this.mask[k] = (1 << bits) - 1;
      used += bits;
    });
    ends.push(this.len);
    this.wordEnd = Int32Array.from(ends);
    this.per = fits ? w + 1 : this.len;
    this.header = new Int32Array(3 * initialCapacity);
    this.packed = fits ? new Int32Array(this.per * initialCapacity) : null;
    this.words = fits ? null : new Int32Array(this.len * initialCapacity);
  }

  get length(): number {
    return this.count;
  }

  get peak(): number {
    return this.peakCount;
  }

  get capacity(): number {
    return this.header.length / 3;
  }

  get byteLength(): number {
    return this.header.byteLength + (this.packed?.byteLength ?? 0) + (this.words?.byteLength ?? 0);
  }

  /** Bytes the next growth would add (so the caller can respect a memory cap). */
  get growthBytes(): number {
    return this.byteLength;
  }

  push(s: Int32Array, index: number, hi: number, lo: number): void {
    if (this.count === this.capacity) this.grow();
    const capacity = this.capacity;
    let t = this.head + this.count;
    if (t >= capacity) t -= capacity;
    this.header[3 * t] = index;
    this.header[3 * t + 1] = hi;
    this.header[3 * t + 2] = lo;
    const len = this.len;
    if (this.packed !== null) {
      const p = this.packed;
      const o = t * this.per;
      const min = this.min;
      const shift = this.shift;
      const wordEnd = this.wordEnd;
      let k = 0;
      for (let w = 0; w < this.per; w++) {
        let acc = 0;
        for (const end = wordEnd[w]!; k < end; k++) acc |= (s[k]! - min[k]!) << shift[k]!;
        p[o + w] = acc;
      }
    } else {
      this.words!.set(s, t * len);
    }
    if (++this.count > this.peakCount) this.peakCount = this.count;
  }

  /** Takes the oldest state into `into`; its index and fingerprint into `index`, `hi`, `lo`. */
  pop(into: Int32Array): void {
    const h = this.head;
    this.index = this.header[3 * h]!;
    this.hi = this.header[3 * h + 1]! >>> 0;
    this.lo = this.header[3 * h + 2]! >>> 0;
    const len = this.len;
    if (this.packed !== null) {
      const p = this.packed;
      const o = h * this.per;
      const min = this.min;
      const shift = this.shift;
      const mask = this.mask;
      const wordEnd = this.wordEnd;
      let k = 0;
      for (let w = 0; w < this.per; w++) {
        const bits = p[o + w]!;
        for (const end = wordEnd[w]!; k < end; k++) into[k] = ((bits >>> shift[k]!) & mask[k]!) + min[k]!;
      }
    } else {
      const w = this.words!;
      const o = h * len;
      for (let k = 0; k < len; k++) into[k] = w[o + k]!;
    }
    this.head = h + 1 === this.capacity ? 0 : h + 1;
    this.count--;
  }

  private grow(): void {
    const cap = this.capacity;
    const first = Math.min(this.count, cap - this.head);
    const rest = this.count - first;
    const unroll = <T extends Int32Array>(a: T, per: number, make: (n: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a.subarray(this.head * per, (this.head + first) * per), 0);
      if (rest > 0) b.set(a.subarray(0, rest * per), first * per);
      return b;
    };
    this.header = unroll(this.header, 3, (n) => new Int32Array(n));
    if (this.packed !== null) this.packed = unroll(this.packed, this.per, (n) => new Int32Array(n));
    else this.words = unroll(this.words!, this.len, (n) => new Int32Array(n));
    this.head = 0;
  }
}
