import { BOOL, type Layout, type LayoutBuilder } from '../state/layout.ts';
import { applyRmw, Fence, type FenceKind, type RmwOp } from './context.ts';
import type { MemoryInstance, MemoryModel, MemoryOptions } from './memory-model.ts';
import {
  BufferedContext,
  type BufferSlots,
  declareStoreBuffers,
  drainActions,
  pendingStores,
  sharedValueDomain,
} from './store-buffer.ts';

/**
 * `relaxed`: store buffers plus invalidate queues (McKenney, "Memory Barriers: a Hardware View
 * for Software Hackers"), the smallest machine in which smp_wmb(), smp_rmb(), acquire, release
 * and smp_mb__after_atomic() each matter; README "The relaxed memory model" says what it allows
 * and cannot express, ../shared/litmus/NOTES.md §5 why this model.
 *
 * Write side (store-buffer.ts): stores drain per address in order, across addresses in any
 * order unless an smp_wmb() separates them; a release store waits for every older store.
 * Read side: memory keeps, per shared variable, its newest value (the slot itself, which is what
 * invariants read) and the value before it. When a store becomes visible every other CPU is
 * behind on that variable (a bit per CPU and variable): its loads return the previous value, as
 * a CPU whose cache still holds the line whose invalidation waits in its queue. Each step runs
 * in two ways (MemoryInstance.stepVariants): as is, or applying the invalidations of what it
 * loads first (`variant` 1, pointless and so disabled when nothing it loads is stale). Memory
 * stays multicopy atomic: one coherence order, and a CPU can only lag, never see ahead.
 *
 * Barriers, with LKMM's meaning (PROTOCOLS.md §0):
 * - smp_rmb(), an acquire load (after the load), an address-dependent load (before it): the CPU
 *   catches up on every variable (applies its whole invalidate queue).
 * - smp_mb(), smp_mb__before/after_atomic(): wait for an empty store buffer, then catch up.
 * - value-returning RMWs (xchg, a successful cmpxchg, atomic_*_return, test_and_set_bit): an
 *   smp_mb() on both sides, acting on the newest value. A failing cmpxchg is a plain load.
 * - set_bit, clear_bit, atomic_inc ...: atomic on the newest value at once, passing buffered
 *   stores (not those to the same variable, nor an smp_wmb()), no catch-up.
 * - spin_lock: an acquire whose write is buffered; spin_unlock: a release store.
 *
 * A step is atomic: one that reads a stale value and then does an atomic RMW is not enabled
 * (an author who reads and updates in one step means one atomic operation, as under tso).
 */
export class RelaxedContext extends BufferedContext {
  /** Set when a load of this step returned a stale value. */
  private staleRead = false;
  /** Set when a load of this step (variant 1) caught up on the variable it loaded. */
  private caughtUp = false;
  /** The state the step starts from: while `s` is still it, a guard is running and must not write. */
  private src: Int32Array = this.s;

  constructor(
    layout: Layout,
    buffers: BufferSlots,
    private readonly v: ViewSlots,
  ) {
    super(layout, buffers);
  }

  override begin(s: Int32Array, proc: number): void {
    super.begin(s, proc);
    this.src = s;
    this.staleRead = false;
    this.caughtUp = false;
  }

  /** Variant 1 is the step run after catching up on what it loads: pointless if nothing was stale. */
  override endStep(): void {
    if (this.variant === 1 && !this.caughtUp) this.blocked = true;
  }

  /** What this CPU's copy of `ref` holds: the newest value, or the one before if it is behind. */
  private viewRead(ref: number): number {
    const i = this.v.locOf[ref]!;
    if (i < 0) return this.read(ref);
    const slot = this.v.behind[this.proc]! + i;
    if (this.s[slot] === 0) return this.read(ref);
    if (this.variant === 1) {
      // the invalidation of this variable is applied just before the load
      if (this.s !== this.src) {
        this.write(slot, 0);
        this.forget(i);
        this.caughtUp = true;
      }
      return this.read(ref);
    }
    if (this.s !== this.src) this.staleRead = true;
    return this.read(this.v.old + i);
  }

  load(ref: number): number {
    const f = this.forward(ref);
    return f !== undefined ? f : this.viewRead(ref);
  }

  override loadDependent(ref: number): number {
    this.catchUp();
    return this.load(ref);
  }

  loadAcquire(ref: number): number {
    const v = this.load(ref);
    this.catchUp();
    return v;
  }

  store(ref: number, v: number): void {
    this.bufferStore(ref, v);
  }

  storeRelease(ref: number, v: number): void {
    this.bufferRelease(ref, v);
  }

  fence(kind: FenceKind): void {
    if (kind === Fence.wmb) this.markFence();
    else if (kind === Fence.rmb) this.catchUp();
    else if (this.buffered() !== 0 && (this.s === this.src || !this.drainOwnStep())) this.blocked = true;
    else this.catchUp();
  }

  /**
   * May an atomic RMW on `ref` act on memory now? Not after a stale read in this step; a fully
   * ordered one waits for every buffered store, an unordered one for buffered stores to `ref`
   * and for pending store fences (it must not pass a store an smp_wmb() put before it).
   */
  private atomicMay(ref: number, ordered: boolean): boolean {
    if (this.staleRead) {
      this.blocked = true;
      return false;
    }
    const waits = ordered
      ? this.buffered() !== 0 && (this.s === this.src || !this.drainOwnStep())
      : this.hasEntryFor(ref) || this.hasFence();
    if (waits) {
      this.blocked = true;
      return false;
    }
    return true;
  }

  override cmpxchg(ref: number, expected: number, v: number): number {
    const seen = this.load(ref);
    if (seen !== expected) return seen; // fails: a plain load, no ordering (LKMM)
    if (!this.atomicMay(ref, true)) return seen;
    this.commit(ref, v);
    this.catchUp();
    return seen;
  }

  override xchg(ref: number, v: number): number {
    if (!this.atomicMay(ref, true)) return 0;
    const old = this.read(ref);
    this.commit(ref, v);
    this.catchUp();
    return old;
  }

  override rmw(ref: number, op: RmwOp, arg: number, ordered: boolean): number {
    if (!this.atomicMay(ref, ordered)) return 0;
    const old = this.read(ref);
    this.commit(ref, applyRmw(op, old, arg));
    if (ordered) this.catchUp();
    return old;
  }

  /**
   * spin_lock: the read half is an acquire of the newest value; the write half enters the store
   * buffer like any store, so the critical section's stores may become visible before the lock
   * looks taken (ARMv8's LDAXR/STXR: MP+polockonce+poacquiresilsil). The lock stays exclusive:
   * while any other CPU has a store to it in flight, nobody may take it.
   */
  override lockAcquire(ref: number, owner: number): boolean {
    if (this.staleRead) {
      this.blocked = true;
      return false;
    }
    const own = this.forward(ref);
    if ((own !== undefined ? own : this.read(ref)) !== 0) return false;
    if (this.othersHaveStoreTo(ref)) {
      this.blocked = true;
      return false;
    }
    // an unlock then a lock (po-unlock-lock-po) orders what precedes the unlock before what
    // follows the lock: while a release waits in the buffer, the lock acts as a store fence
    if (this.hasPendingRelease()) this.markFence();
    this.bufferStore(ref, owner);
    this.catchUp();
    return true;
  }

  private othersHaveStoreTo(ref: number): boolean {
    const s = this.s;
    const counts = this.buffers.counts;
    for (let q = 0; q < counts.length; q++) {
      if (q === this.proc) continue;
      const cs = counts[q]!;
      const n = this.read(cs);
      for (let k = 0; k < n; k++) if (s[cs + 2 + 2 * k] === ref) return true;
    }
    return false;
  }

  /**
   * `ref = v` becomes the newest value. Every other CPU is now behind on it: its copy holds the
   * value just replaced (a CPU already behind moves up to that one: one old value is kept). A
   * store of the value already newest changes nothing anyone can read, so nobody is behind.
   */
  protected commit(ref: number, v: number): void {
    const i = this.v.locOf[ref]!;
    if (i < 0 || v < this.min[ref]! || v > this.max[ref]! || !Number.isInteger(v)) {
      this.write(ref, v); // a non-shared slot, or reports the domain error
      return;
    }
    const s = this.s;
    const behind = this.v.behind;
    const stale = s[ref] === v ? 0 : 1;
    let any = 0;
    for (let q = 0; q < behind.length; q++) {
      const slot = behind[q]! + i;
      const b = q === this.proc ? 0 : stale;
      if (s[slot] !== b) this.write(slot, b);
      any |= b;
    }
    const old = any !== 0 ? s[ref]! : 0;
    if (s[this.v.old + i] !== old) this.write(this.v.old + i, old);
    this.write(ref, v);
  }

  /**
   * A step that writes another CPU's own state (a TLB flush done for it, an IPI's effect) is a
   * synchronisation with that CPU, which takes it with a full barrier: it catches up too.
   */
  override set(ref: number, v: number): void {
    super.set(ref, v);
    const owner = this.v.ownerOf[ref]!;
    if (owner >= 0 && owner !== this.proc) this.catchUp(owner);
  }

  override remoteFence(p: number): void {
    this.catchUp(p);
  }

  /** CPU `p` applies its whole invalidate queue: its later loads see the newest values. */
  private catchUp(p = this.proc): void {
    const s = this.s;
    if (s === this.src) return;
    const base = this.v.behind[p]!;
    for (let i = 0; i < this.v.count; i++) {
      if (s[base + i] !== 0) {
        this.write(base + i, 0);
        this.forget(i);
      }
    }
  }

  /** Zeroes the old value of variable `i` once no CPU is behind on it. */
  private forget(i: number): void {
    const s = this.s;
    const behind = this.v.behind;
    for (let q = 0; q < behind.length; q++) if (s[behind[q]! + i] !== 0) return;
    if (s[this.v.old + i] !== 0) this.write(this.v.old + i, 0);
  }
}

/** Where the read side of `relaxed` lives in a state. */
export interface ViewSlots {
  /** Slot -> index of the shared variable (-1 for other slots). */
  readonly locOf: Int32Array;
  /** Number of shared variables. */
  readonly count: number;
  /** Slot of variable 0's old value (variable i's at old + i); 0 when no CPU is behind on it. */
  readonly old: number;
  /** Per process: slot of its behind-bit for variable 0 (variable i's at behind[p] + i). */
  readonly behind: Int32Array;
  /** Slot -> the process whose local it is (-1 for other slots). */
  readonly ownerOf: Int32Array;
}

function declareViews(lb: LayoutBuilder, processes: readonly string[]): ViewSlots {
  const layout = lb.build();
  // the words of locks (spinlocks, mutexes, rwsems, srcu, rcuwait) are read by their primitives
  // at their newest value: no stale copies of them are kept
  const isLock = (i: number) => (layout.lockOf?.[i] ?? -1) >= 0;
  const shared = layout.slots.filter((s) => s.kind === 'shared' && !isLock(s.index));
  const locOf = new Int32Array(lb.count).fill(-1);
  shared.forEach((s, i) => {
    locOf[s.index] = i;
  });
  const valDomain = sharedValueDomain(lb);
  const old = lb.count;
  for (const s of shared) lb.add(`${s.name} (old value)`, 'memory', -1, valDomain, 0);
  const behind = Int32Array.from(processes, () => 0);
  processes.forEach((name, p) => {
    behind[p] = lb.count;
    for (const s of shared) lb.add(`${name} sees old ${s.name}`, 'memory', p, BOOL, 0);
  });
  const ownerOf = new Int32Array(lb.count).fill(-1);
  for (const s of lb.build().slots)
    if (s.kind === 'local' && s.index < ownerOf.length) ownerOf[s.index] = s.owner;
  return { locOf, count: shared.length, old, behind, ownerOf };
}

export const relaxed: MemoryModel = {
  name: 'relaxed',
  description:
    'store buffers + invalidate queues (ARMv8/LKMM-like, multicopy atomic): store->store, store->load and load->load reordering; no load buffering',
  extend(lb: LayoutBuilder, processes: readonly string[], options: MemoryOptions): MemoryInstance {
    const buffers = declareStoreBuffers(lb, processes, options.bufferDepth, true);
    const views = declareViews(lb, processes);
    const actions = drainActions(options.bufferDepth);
    return {
      createContext: (layout: Layout) => new RelaxedContext(layout, buffers, views),
      actions: () => actions,
      pending: (s, p) => pendingStores(s, buffers, p),
      stepVariants: 2,
      // per-variable views are not renamed by symmetry reduction: not supported
      holdsAddresses: true,
    };
  },
};
