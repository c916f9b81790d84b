import { intDomain, type Layout, type LayoutBuilder } from '../state/layout.ts';
import { Context, Fence, type FenceKind } from './context.ts';
import { drainFootprint, type MemoryInstance, type MemoryModel, type MemoryOptions } from './memory-model.ts';

/**
 * x86-TSO: each CPU has a FIFO store buffer. A store enters the buffer; a load first forwards
 * from the CPU's own newest buffered store to that address, else reads memory; the oldest
 * buffered store drains to memory as a step of its own. smp_mb() and every LOCK-prefixed RMW
 * (cmpxchg, xchg, set_bit, ... on x86) wait until the buffer is empty. smp_wmb()/smp_rmb() and
 * smp_mb__before/after_atomic() are compiler barriers on x86, so they order nothing here.
 *
 * Buffer layout per CPU: [count, addr0, val0, addr1, val1, ...]; unused entries are kept zero so
 * equal buffers hash equal.
 */
export class TsoContext extends Context {
  constructor(
    layout: Layout,
    private readonly countSlot: Int32Array,
    private readonly depth: number,
  ) {
    super(layout);
  }

  private buffered(): number {
    return this.s[this.countSlot[this.proc]!]!;
  }

  override storesVisible(p: number): boolean {
    return this.read(this.countSlot[p]!) === 0;
  }

  load(ref: number): number {
    const s = this.s;
    const cs = this.countSlot[this.proc]!;
    for (let k = s[cs]! - 1; k >= 0; k--) {
      const a = cs + 1 + 2 * k;
      if (s[a] === ref) {
        this.reads[this.nReads++ & 511] = a + 1;
        return s[a + 1]!;
      }
    }
    return this.read(ref);
  }

  loadAcquire(ref: number): number {
    return this.load(ref);
  }

  store(ref: number, v: number): void {
    if (v < this.min[ref]! || v > this.max[ref]!) {
      this.write(ref, v); // reports the domain error
      return;
    }
    const cs = this.countSlot[this.proc]!;
    const n = this.s[cs]!;
    if (n >= this.depth) {
      this.blocked = true; // a full buffer stalls the store until the oldest entry drains
      return;
    }
    this.write(cs + 1 + 2 * n, ref);
    this.write(cs + 2 + 2 * n, v);
    this.write(cs, n + 1);
  }

  storeRelease(ref: number, v: number): void {
    this.store(ref, v);
  }

  fence(kind: FenceKind): void {
    if (kind === Fence.mb && this.buffered() !== 0) this.blocked = true;
  }

  /** LOCK-prefixed instructions wait for this CPU's buffer to drain. */
  protected override ownBuffered(): number {
    return this.buffered();
  }

  hasBuffered(): boolean {
    return this.s[this.countSlot[this.proc]!]! !== 0;
  }

  /** The oldest buffered store of this CPU becomes visible. */
  drain(): void {
    const s = this.s;
    const cs = this.countSlot[this.proc]!;
    const n = s[cs]!;
    if (n === 0) {
      this.blocked = true;
      return;
    }
    this.write(s[cs + 1]!, s[cs + 2]!);
    for (let k = 1; k < n; k++) {
      this.write(cs + 1 + 2 * (k - 1), s[cs + 1 + 2 * k]!);
      this.write(cs + 2 + 2 * (k - 1), s[cs + 2 + 2 * k]!);
    }
    this.write(cs + 1 + 2 * (n - 1), 0);
    this.write(cs + 2 + 2 * (n - 1), 0);
    this.write(cs, n - 1);
  }
}

/** Declares one FIFO buffer of `depth` entries per process; returns each buffer's count slot. */
export function declareBuffers(lb: LayoutBuilder, processes: readonly string[], depth: number): Int32Array {
  const counts = new Int32Array(processes.length);
  const addrDomain = intDomain(0, Math.max(lb.count - 1, 0));
  let vmin = 0;
  let vmax = 1;
  // Buffered values may be any value of any shared slot: take the union of the domains.
  const built = lb.build();
  for (const slot of built.slots) {
    if (slot.kind !== 'shared') continue;
    vmin = Math.min(vmin, slot.domain.min);
    vmax = Math.max(vmax, slot.domain.max);
  }
  const valDomain = intDomain(vmin, vmax);
  processes.forEach((name, p) => {
    counts[p] = lb.add(`${name}.store_buffer.count`, 'memory', p, intDomain(0, depth));
    for (let k = 0; k < depth; k++) {
      lb.add(`${name}.store_buffer[${k}].addr`, 'memory', p, addrDomain, 0);
      lb.add(`${name}.store_buffer[${k}].value`, 'memory', p, valDomain, 0);
    }
  });
  return counts;
}

export function bufferedStores(s: Int32Array, countSlot: number): { ref: number; value: number }[] {
  const out: { ref: number; value: number }[] = [];
  for (let k = 0; k < s[countSlot]!; k++)
    out.push({ ref: s[countSlot + 1 + 2 * k]!, value: s[countSlot + 2 + 2 * k]! });
  return out;
}

export const tso: MemoryModel = {
  name: 'tso',
  description:
    'x86-TSO: per-CPU FIFO store buffers; store->load reordering only; smp_mb and LOCKed RMWs drain',
  extend(lb: LayoutBuilder, processes: readonly string[], options: MemoryOptions): MemoryInstance {
    const counts = declareBuffers(lb, processes, options.bufferDepth);
    return {
      createContext: (layout: Layout) => new TsoContext(layout, counts, options.bufferDepth),
      actions: (p) => [
        {
          name: '(store buffer drains: oldest store becomes visible)',
          label: 'drain',
          guard: (c) => (c as TsoContext).hasBuffered(),
          effect: (c) => (c as TsoContext).drain(),
          footprint: drainFootprint(lb, p),
        },
      ],
      pending: (s, p) => bufferedStores(s, counts[p]!),
      holdsAddresses: true,
      addressSlots: (p) => ({
        count: counts[p]!,
        addrs: Array.from({ length: options.bufferDepth }, (_, k) => counts[p]! + 1 + 2 * k),
      }),
    };
  },
};
