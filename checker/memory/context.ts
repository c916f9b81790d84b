import type { Layout } from '../state/layout.ts';

/**
 * What a step's effect sees while it runs: the state being built, the process running it, and
 * the memory operations. Shared variables are read and written only through `load`/`store` and
 * the atomics, so the selected memory model decides what a load returns and when a store
 * becomes visible; locals, pcs and ghost variables use `get`/`set` directly.
 *
 * A step is atomic. Anything that cannot happen yet (a fence with stores still buffered, a lock
 * that is held, a full store buffer) calls `block()`: the step is simply not enabled in this state.
 */

/** Fence kinds, as numbers so the hot loop never compares strings. */
export const Fence = {
  mb: 0,
  wmb: 1,
  rmb: 2,
  beforeAtomic: 3,
  afterAtomic: 4,
} as const;
export type FenceKind = (typeof Fence)[keyof typeof Fence];
export const FENCE_NAMES = [
  'smp_mb()',
  'smp_wmb()',
  'smp_rmb()',
  'smp_mb__before_atomic()',
  'smp_mb__after_atomic()',
];

export abstract class Context {
  /** The state this step reads and (in the effect) writes. */
  s: Int32Array = new Int32Array(0);
  proc = 0;
  blocked = false;
  /** Name of a failed `assert`, if any: the transition is a violation of it. */
  failed: string | null = null;
  /** A model error found while running the step (a write outside a slot's domain). */
  error: string | null = null;
  /** Per-CPU deferred-store slots, when the model was built with splitStores (else null). */
  deferred: { readonly pending: Int32Array; readonly addr: Int32Array; readonly value: Int32Array } | null =
    null;
  readonly reads = new Int32Array(512);
  readonly writes = new Int32Array(512);
  nReads = 0;
  nWrites = 0;
  protected readonly min: Int32Array;
  protected readonly max: Int32Array;
  /**
   * Lock instrumentation, null during a normal search: lock primitives report each acquisition
   * attempt (lock id from `layout.locks`, mode) before it takes effect, for the lock-order graph
   * and the waits-for chain of a deadlock report.
   */
  lockHook: ((c: Context, lock: number, mode: number) => void) | null = null;

  constructor(readonly layout: Layout) {
    this.min = layout.min;
    this.max = layout.max;
  }

  /** Which of the memory model's ways of running this step is running (see MemoryInstance.stepVariants). */
  variant = 0;

  begin(s: Int32Array, proc: number): void {
    this.s = s;
    this.proc = proc;
    this.variant = 0;
    this.blocked = false;
    this.failed = null;
    this.error = null;
    this.nReads = 0;
    this.nWrites = 0;
  }

  /** Called after a step's effect has run: a memory model may still disable the step here. */
  endStep(): void {}

  /** Reads a local, pc or ghost slot (not subject to the memory model). */
  get(ref: number): number {
    this.reads[this.nReads++ & 511] = ref;
    return this.s[ref]!;
  }

  /** Writes a local, pc or ghost slot (not subject to the memory model). */
  set(ref: number, v: number): void {
    this.write(ref, v);
  }

  /** Reports an acquisition attempt of lock `lock` in `mode` to the hook, if one is set. */
  lockEvent(lock: number, mode: number): void {
    if (this.lockHook !== null && lock >= 0) this.lockHook(this, lock, mode);
  }

  /**
   * Stores `v` to `ref` in a separate, later step of this CPU (nothing else of this CPU runs in
   * between, other CPUs may): how a weakened atomic loses its atomicity. Without deferred-store
   * slots it is a plain store now.
   */
  deferStore(ref: number, v: number): void {
    const d = this.deferred;
    if (d === null) {
      this.store(ref, v);
      return;
    }
    this.set(d.pending[this.proc]!, 1);
    this.set(d.addr[this.proc]!, ref);
    this.set(d.value[this.proc]!, v);
  }

  /** Stores of the running CPU still waiting in its store buffer (store-buffer models override). */
  protected ownBuffered(): number {
    return 0;
  }

  /**
   * A LOCKed compare-and-exchange acting on memory: enabled only once this CPU's buffered stores
   * have drained (x86 LOCK semantics; under sc there are none). Returns the value found.
   */
  protected lockedCmpxchg(ref: number, expected: number, v: number): number {
    if (this.ownBuffered() !== 0) {
      this.blocked = true;
      return 0;
    }
    const old = this.read(ref);
    if (old === expected) this.write(ref, v);
    return old;
  }

  /** A LOCKed read-modify-write acting on memory, as lockedCmpxchg. Returns the old value. */
  protected lockedRmw(ref: number, op: RmwOp, arg: number): number {
    if (this.ownBuffered() !== 0) {
      this.blocked = true;
      return 0;
    }
    const old = this.read(ref);
    this.write(ref, applyRmw(op, old, arg));
    return old;
  }

  /** Disables this step in this state. */
  block(): void {
    this.blocked = true;
  }

  /** PlusCal's `await`: the step is enabled only if `cond` holds. Returns `cond`. */
  await(cond: boolean): boolean {
    if (!cond) this.blocked = true;
    return cond;
  }

  /** An assertion inside a step: when false, taking this step violates the named property. */
  assert(cond: boolean, name: string): void {
    if (!cond && this.failed === null) this.failed = name;
  }

  protected write(ref: number, v: number): void {
    if (v < this.min[ref]! || v > this.max[ref]! || !Number.isInteger(v)) {
      if (this.error === null) {
        const slot = this.layout.slots[ref];
        this.error = `value ${v} written to ${slot ? slot.name : `slot ${ref}`} is outside its domain ${this.min[ref]}..${this.max[ref]}`;
      }
      return;
    }
    this.writes[this.nWrites++ & 511] = ref;
    this.s[ref] = v;
  }

  protected read(ref: number): number {
    this.reads[this.nReads++ & 511] = ref;
    return this.s[ref]!;
  }

  /** READ_ONCE / a plain load of a shared variable. */
  abstract load(ref: number): number;
  /** smp_load_acquire. */
  abstract loadAcquire(ref: number): number;
  /** WRITE_ONCE / a plain store to a shared variable. */
  abstract store(ref: number, v: number): void;
  /** smp_store_release. */
  abstract storeRelease(ref: number, v: number): void;
  abstract fence(kind: FenceKind): void;
  /**
   * cmpxchg: fully ordered when it succeeds, unordered when it fails (LKMM). Returns the old value.
   * By default a LOCKed instruction on memory (sc, tso, pso); weaker models override the atomics.
   */
  cmpxchg(ref: number, expected: number, v: number): number {
    return this.lockedCmpxchg(ref, expected, v);
  }
  /** xchg: fully ordered. Returns the old value. */
  xchg(ref: number, v: number): number {
    return this.lockedRmw(ref, RmwOp.set, v);
  }
  /**
   * An atomic read-modify-write `new = op(old, arg)`; `ordered` is true for value-returning
   * atomics (fully ordered) and false for set_bit/clear_bit/atomic_inc (unordered in LKMM).
   */
  rmw(ref: number, op: RmwOp, arg: number, _ordered: boolean): number {
    return this.lockedRmw(ref, op, arg);
  }

  /**
   * A load whose address was computed from an earlier load's value (an address dependency, as
   * in `p = rcu_dereference(gp); v = READ_ONCE(p->field)`): LKMM orders it after that load. Only
   * models that let loads pass each other (relaxed) need to know; elsewhere it is `load`.
   */
  loadDependent(ref: number): number {
    return this.load(ref);
  }

  /**
   * The RMW of spin_lock/mutex_lock: takes the lock (writes `owner`) when it holds 0 and returns
   * true; returns false, writing nothing, when it is held. An ACQUIRE operation in LKMM; models
   * without a weaker notion keep the fully ordered cmpxchg (x86: LOCK CMPXCHG).
   */
  lockAcquire(ref: number, owner: number): boolean {
    return this.cmpxchg(ref, 0, owner) === 0;
  }

  /** spin_unlock/mutex_unlock: a RELEASE store of 0. */
  unlockRelease(ref: number): void {
    this.storeRelease(ref, 0);
  }

  /**
   * CPU `p` executes a full barrier on behalf of this step: it handled this step's IPI
   * synchronously (smp_call_function(..., wait), a TLB flush that waits for every vCPU). Its later
   * loads see every store visible now. Only models where loads can be stale (relaxed) need to
   * know; a model that writes `p`'s own locals gets this for free.
   */
  remoteFence(_p: number): void {}

  /**
   * True when every store process `p` has made is visible to every CPU (no store of `p` waits in
   * a buffer): what an RCU grace period waits for besides the reader leaving its section.
   */
  storesVisible(_p: number): boolean {
    return true;
  }
}

export const RmwOp = { add: 0, or: 1, andNot: 2, set: 3 } as const;
export type RmwOp = (typeof RmwOp)[keyof typeof RmwOp];

export function applyRmw(op: RmwOp, old: number, arg: number): number {
  switch (op) {
    case RmwOp.add:
      return old + arg;
    case RmwOp.or:
      return old | arg;
    case RmwOp.andNot:
      return old & ~arg;
    default:
      return arg;
  }
}
