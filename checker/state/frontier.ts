import type { Layout } from './layout.ts';

/**
 * The BFS frontier: a ring of states, each with its index and fingerprint. Where every slot's
 * domain spans at most 256 values (most models), a state is kept as one byte per slot (value minus
 * the domain's minimum), a quarter of the Int32 form; otherwise as Int32s. Grows by doubling.
 */
export class Frontier {
  private header: Int32Array;
  private bytes: Uint8Array | null;
  private words: Int32Array | null;
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
    const packed = layout.slots.every((s) => s.domain.max - s.domain.min <= 255);
    this.header = new Int32Array(3 * initialCapacity);
    this.bytes = packed ? new Uint8Array(this.len * initialCapacity) : null;
    this.words = packed ? null : new Int32Array(this.len * initialCapacity);
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
    return this.header.byteLength + (this.bytes?.byteLength ?? 0) + (this.words?.byteLength ?? 0);
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
    const o = t * len;
    if (this.bytes !== null) {
      const b = this.bytes;
      const min = this.min;
      for (let k = 0; k < len; k++) b[o + k] = s[k]! - min[k]!;
    } else {
      this.words!.set(s, o);
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
    const o = h * len;
    if (this.bytes !== null) {
      const b = this.bytes;
      const min = this.min;
      for (let k = 0; k < len; k++) into[k] = b[o + k]! + min[k]!;
    } else {
      const w = this.words!;
      for (let k = 0; k < len; k++) into[k] = w[o + k]!;
    }
    this.head = h + 1 === this.capacity ? 0 : h + 1;
    this.count--;
  }

  private grow(): void {
    const cap = this.capacity;
    const first = Math.min(this.count, cap - this.head);
    const rest = this.count - first;
    const unroll = <T extends Int32Array | Uint8Array>(a: T, per: number, make: (n: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a.subarray(this.head * per, (this.head + first) * per), 0);
      if (rest > 0) b.set(a.subarray(0, rest * per), first * per);
      return b;
    };
    this.header = unroll(this.header, 3, (n) => new Int32Array(n));
    if (this.bytes !== null) this.bytes = unroll(this.bytes, this.len, (n) => new Uint8Array(n));
    else this.words = unroll(this.words!, this.len, (n) => new Int32Array(n));
    this.head = 0;
  }
}
