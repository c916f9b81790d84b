import { intDomain, type Layout, type LayoutBuilder } from '../state/layout.ts';
import { Context } from './context.ts';
import type { DeclaredFootprint, MemoryAction } from './memory-model.ts';

/**
 * A per-CPU store buffer whose entries may leave out of order (SPARC PSO, and the write side of
 * `relaxed`): a store enters at the tail; any entry may drain unless an older entry of the same
 * CPU is to the same address (per-address FIFO: coherence) or an smp_wmb()/release lies between
 * them. A CPU's loads forward from its newest buffered store to the address.
 *
 * A store-store fence is a bit on the newest entry at the time of the fence ("fence after entry
 * k": entries newer than k wait until every entry up to k has drained). When entry k drains
 * before the older ones its bit moves to entry k-1, the newest one still older than the fence;
 * at entry 0 it has done its job and vanishes.
 *
 * With `releases` (relaxed), a release store is instead a bit on its own entry: it waits until
 * every older entry has drained, while younger stores may still pass it (LKMM's release orders
 * what comes before it, not what comes after). PSO keeps the kernel's mapping for SPARC: a
 * release is an smp_wmb() then a store.
 *
 * Layout per CPU: [count, fenceMask, addr0, val0, addr1, val1, ..., (releaseMask)], addresses
 * being slot numbers; unused entries and mask bits are kept zero so equal buffers hash equal.
 */

export interface BufferSlots {
  /** Per process: the slot counting its buffered stores; the mask follows, then the entries. */
  readonly counts: Int32Array;
  readonly depth: number;
  /** Whether release stores are marked on their own entry (a mask slot follows the entries). */
  readonly releases: boolean;
}

/** Declares one buffer of `depth` entries per process. */
export function declareStoreBuffers(
  lb: LayoutBuilder,
  processes: readonly string[],
  depth: number,
  releases = false,
): BufferSlots {
  const counts = new Int32Array(processes.length);
  const addrDomain = intDomain(0, Math.max(lb.count - 1, 0));
  const valDomain = sharedValueDomain(lb);
  processes.forEach((name, p) => {
    counts[p] = lb.add(`${name}.store_buffer.count`, 'memory', p, intDomain(0, depth));
    lb.add(`${name}.store_buffer.fences`, 'memory', p, intDomain(0, (1 << depth) - 1));
    for (let k = 0; k < depth; k++) {
      lb.add(`${name}.store_buffer[${k}].addr`, 'memory', p, addrDomain, 0);
      lb.add(`${name}.store_buffer[${k}].value`, 'memory', p, valDomain, 0);
    }
    if (releases) lb.add(`${name}.store_buffer.releases`, 'memory', p, intDomain(0, (1 << depth) - 1));
  });
  return { counts, depth, releases };
}

/** The union of the domains of the shared slots declared so far: what a buffer may hold. */
export function sharedValueDomain(lb: LayoutBuilder): { min: number; max: number } {
  let vmin = 0;
  let vmax = 1;
  for (const slot of lb.build().slots) {
    if (slot.kind !== 'shared') continue;
    vmin = Math.min(vmin, slot.domain.min);
    vmax = Math.max(vmax, slot.domain.max);
  }
  return intDomain(vmin, vmax);
}

/** Buffered stores of process `p`, oldest first. */
export function pendingStores(s: Int32Array, b: BufferSlots, p: number): { ref: number; value: number }[] {
  const count = b.counts[p]!;
  const out: { ref: number; value: number }[] = [];
  for (let k = 0; k < s[count]!; k++) out.push({ ref: s[count + 2 + 2 * k]!, value: s[count + 3 + 2 * k]! });
  return out;
}

export function bufferAddressSlots(b: BufferSlots, p: number): { count: number; addrs: readonly number[] } {
  return { count: b.counts[p]!, addrs: Array.from({ length: b.depth }, (_, k) => b.counts[p]! + 2 + 2 * k) };
}

/** One drain action per buffer position: the store there becomes visible when it may. */
export function drainActions(depth: number, footprint?: DeclaredFootprint): MemoryAction[] {
  return Array.from({ length: depth }, (_, k) => ({
    name: `(store buffer: buffered store #${k + 1} becomes visible to all CPUs)`,
    label: 'drain',
    guard: (c) => (c as BufferedContext).mayDrain(k),
    effect: (c) => (c as BufferedContext).drain(k),
    ...(footprint ? { footprint } : {}),
  }));
}

export abstract class BufferedContext extends Context {
  /** Buffered stores of this CPU when the step began. */
  private startCount = 0;

  constructor(
    layout: Layout,
    protected readonly buffers: BufferSlots,
  ) {
    super(layout);
  }

  override begin(s: Int32Array, proc: number): void {
    super.begin(s, proc);
    this.startCount = s[this.buffers.counts[proc]!]!;
  }

  /**
   * When every buffered store of this CPU was made by the running step (`clear_bit(); smp_mb__after_atomic()`
   * as one step), they drain now, oldest first, so a fence later in the step can complete: the same
   * as draining them one by one just before it. False when older stores are still buffered.
   */
  protected drainOwnStep(): boolean {
    if (this.startCount !== 0) return false;
    while (this.buffered() !== 0) this.drain(0);
    return true;
  }

  /** Makes the drained store `ref = v` of process `this.proc` visible (memory-model specific). */
  protected abstract commit(ref: number, v: number): void;

  protected countSlot(): number {
    return this.buffers.counts[this.proc]!;
  }

  /** Number of this CPU's buffered stores. */
  protected buffered(): number {
    return this.s[this.buffers.counts[this.proc]!]!;
  }

  /** True when a buffered store of this CPU is to `ref`. */
  protected hasEntryFor(ref: number): boolean {
    const s = this.s;
    const cs = this.countSlot();
    const n = s[cs]!;
    for (let k = 0; k < n; k++) if (s[cs + 2 + 2 * k] === ref) return true;
    return false;
  }

  /** True when an smp_wmb() (or pso's release) separates some buffered stores from whatever comes next. */
  protected hasFence(): boolean {
    return this.s[this.countSlot() + 1] !== 0;
  }

  /** The value of this CPU's newest buffered store to `ref`, recording the read; undefined if none. */
  protected forward(ref: number): number | undefined {
    const s = this.s;
    const cs = this.countSlot();
    for (let k = s[cs]! - 1; k >= 0; k--) {
      const a = cs + 2 + 2 * k;
      if (s[a] === ref) {
        this.reads[this.nReads++ & 511] = a + 1;
        return s[a + 1]!;
      }
    }
    return undefined;
  }

  /** Puts `ref = v` at the tail of the buffer; a full buffer stalls the store. */
  protected bufferStore(ref: number, v: number): void {
    const cs = this.countSlot();
    if (v < this.min[ref]! || v > this.max[ref]! || !Number.isInteger(v)) {
      this.write(ref, v); // reports the domain error
      return;
    }
    const n = this.s[cs]!;
    if (n >= this.buffers.depth) {
      this.blocked = true;
      return;
    }
    this.write(cs + 2 + 2 * n, ref);
    this.write(cs + 3 + 2 * n, v);
    this.write(cs, n + 1);
  }

  /** smp_wmb(), or the barrier half of a release: later stores wait for every buffered one. */
  protected markFence(): void {
    const cs = this.countSlot();
    const n = this.s[cs]!;
    if (n > 0) this.write(cs + 1, this.s[cs + 1]! | (1 << (n - 1)));
  }

  /** True when a release store waits in this CPU's buffer for older stores. */
  protected hasPendingRelease(): boolean {
    return this.buffers.releases && this.s[this.countSlot() + 2 + 2 * this.buffers.depth] !== 0;
  }

  /** A release store: it joins the buffer marked to wait for every older entry. */
  protected bufferRelease(ref: number, v: number): void {
    const cs = this.countSlot();
    const n = this.s[cs]!;
    this.bufferStore(ref, v);
    if (this.blocked || this.error !== null || n === 0) return;
    const slot = cs + 2 + 2 * this.buffers.depth;
    this.write(slot, this.s[slot]! | (1 << n));
  }

  /** Whether buffered entry `k` of this CPU may drain now. */
  mayDrain(k: number): boolean {
    const s = this.s;
    const cs = this.countSlot();
    if (k >= s[cs]!) return false;
    if ((s[cs + 1]! & ((1 << k) - 1)) !== 0) return false;
    if (k > 0 && this.buffers.releases && ((s[cs + 2 + 2 * this.buffers.depth]! >> k) & 1) !== 0)
      return false;
    const ref = s[cs + 2 + 2 * k];
    for (let j = 0; j < k; j++) if (s[cs + 2 + 2 * j] === ref) return false;
    return true;
  }

  /** Entry `k` leaves the buffer and becomes visible. */
  drain(k: number): void {
    if (!this.mayDrain(k)) {
      this.blocked = true;
      return;
    }
    const s = this.s;
    const cs = this.countSlot();
    const n = s[cs]!;
    const ref = s[cs + 2 + 2 * k]!;
    this.commit(ref, s[cs + 3 + 2 * k]!);
    for (let j = k + 1; j < n; j++) {
      this.write(cs + 2 * j, s[cs + 2 + 2 * j]!);
      this.write(cs + 1 + 2 * j, s[cs + 3 + 2 * j]!);
    }
    this.write(cs + 2 * n, 0);
    this.write(cs + 1 + 2 * n, 0);
    this.write(cs, n - 1);
    const mask = s[cs + 1]!;
    const below = mask & ((1 << k) - 1);
    const above = (mask >> (k + 1)) << k;
    const moved = (mask & (1 << k)) !== 0 && k > 0 ? 1 << (k - 1) : 0;
    const next = below | above | moved;
    if (next !== mask) this.write(cs + 1, next);
    if (this.buffers.releases) {
      // entry k is not a waiting release unless it is the oldest; the younger ones move down,
      // and one that becomes the oldest has nothing left to wait for
      const slot = cs + 2 + 2 * this.buffers.depth;
      const rel = s[slot]!;
      const shifted = ((rel & ((1 << k) - 1)) | ((rel >> (k + 1)) << k)) & ~1;
      if (shifted !== rel) this.write(slot, shifted);
    }
  }

  override storesVisible(p: number): boolean {
    return this.read(this.buffers.counts[p]!) === 0;
  }
}
