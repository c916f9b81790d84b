import { applyRmw, type Context, FENCE_NAMES, type FenceKind, type RmwOp } from './context.ts';

/**
 * Instruments one Context instance (never the class, so ordinary searches pay nothing): every
 * memory operation a step performs is seen, and each ordering operation (a fence, an atomic RMW,
 * a release or acquire access, a lock acquisition) may be replaced by its weak form. This is what
 * `necessity` (remove one barrier and re-check) and the litmus export (which accesses did the
 * trace make, and what did they see) are built on.
 *
 * The methods are overridden on the instance, so memory-model steps that cast the context to
 * their own class keep working. Calls a context makes to itself (tso's loadAcquire calls load,
 * lockAcquire calls cmpxchg) pass straight through: each operation is seen once.
 */

/** An operation's identity without strings: fence kinds, RMW ops and the access methods as small ints. */
export const OpCode = {
  /** 0..4: the fences, by FenceKind. */
  fence: 0,
  cmpxchg: 8,
  xchg: 9,
  lockAcquire: 10,
  storeRelease: 11,
  loadAcquire: 12,
  unlockRelease: 13,
  /** 16 + 2 * RmwOp + (ordered ? 1 : 0): the RMWs. */
  rmw: 16,
} as const;

/** What a weak form does instead of the operation. */
export const Weak = {
  /** Perform the operation as written. */
  none: 0,
  /** Fences vanish; RMWs become a plain load and a plain store; release/acquire become plain. */
  plain: 1,
  /** A lock acquisition that is not made at all: the step goes on as if it had the lock. */
  noLock: 2,
} as const;
export type Weak = (typeof Weak)[keyof typeof Weak];

/** Names an operation by its code, for operations no kernel function was found for. */
export function opCodeName(code: number): string {
  if (code < 8) return FENCE_NAMES[code] ?? `fence ${code}`;
  switch (code) {
    case OpCode.cmpxchg:
      return 'cmpxchg';
    case OpCode.xchg:
      return 'xchg';
    case OpCode.lockAcquire:
      return 'lock acquisition';
    case OpCode.storeRelease:
      return 'smp_store_release';
    case OpCode.loadAcquire:
      return 'smp_load_acquire';
    case OpCode.unlockRelease:
      return 'unlock (release store)';
  }
  const op = (code - OpCode.rmw) >> 1;
  const ordered = (code & 1) === 1;
  const what = ['add', 'or', 'and-not', 'set'][op] ?? `op ${op}`;
  return `atomic ${what} (${ordered ? 'fully ordered' : 'unordered'})`;
}

/** One memory operation as performed (for traces turned into litmus tests). */
export interface OpEvent {
  readonly method:
    | 'load'
    | 'loadAcquire'
    | 'loadDependent'
    | 'store'
    | 'storeRelease'
    | 'fence'
    | 'cmpxchg'
    | 'xchg'
    | 'rmw'
    | 'lockAcquire'
    | 'unlockRelease';
  /** The shared slot, or -1 for a fence. */
  readonly ref: number;
  readonly fence: FenceKind | -1;
  readonly rmwOp: RmwOp | -1;
  readonly ordered: boolean;
  /** store/xchg: the value; cmpxchg: the expected value; rmw: the argument; lockAcquire: the owner. */
  readonly arg: number;
  /** cmpxchg: the new value. */
  readonly arg2: number;
  /** The value returned (loads, RMWs: the old value; lockAcquire: 1 when taken). */
  readonly result: number;
  readonly weak: Weak;
}

export interface Instrumentation {
  /** Called for each ordering operation before it runs, with its index among this step's ordering operations. */
  readonly weaken?: (k: number, code: number) => Weak;
  /** Called after each memory operation (slow: for analyses, never for searches). */
  readonly onOp?: (e: OpEvent) => void;
  /** Called at the start of every step, guard and effect alike. */
  readonly onBegin?: () => void;
}

type Fn = (...args: number[]) => number;

const METHODS = [
  'load',
  'loadAcquire',
  'loadDependent',
  'store',
  'storeRelease',
  'fence',
  'cmpxchg',
  'xchg',
  'rmw',
  'lockAcquire',
  'unlockRelease',
] as const;

/** Overrides the memory operations of `c` (this instance only); returns the function that undoes it. */
export function instrument(c: Context, ins: Instrumentation): () => void {
  const self = c as unknown as Record<string, Fn>;
  const orig: Record<string, Fn> = {};
  // own properties (none in sc/tso, whose operations are methods) are put back as they were
  const own = new Map<string, unknown>();
  for (const m of [...METHODS, 'begin'])
    if (Object.hasOwn(c, m)) own.set(m, (c as unknown as Record<string, unknown>)[m]);
  for (const m of METHODS) orig[m] = (self[m] as Fn).bind(c);
  const load = orig.load!;
  const store = orig.store!;
  let depth = 0;
  let k = 0;
  const begin = c.begin.bind(c);
  c.begin = (s, p) => {
    depth = 0;
    k = 0;
    ins.onBegin?.();
    begin(s, p);
  };
  const weakOf = (code: number): Weak => {
    const w = ins.weaken ? ins.weaken(k, code) : Weak.none;
    k++;
    return w;
  };
  const report = (
    method: OpEvent['method'],
    ref: number,
    result: number,
    extra: Partial<Omit<OpEvent, 'method' | 'ref' | 'result'>> = {},
  ) => {
    if (!ins.onOp || c.blocked) return;
    ins.onOp({
      method,
      ref,
      fence: -1,
      rmwOp: -1,
      ordered: false,
      arg: 0,
      arg2: 0,
      weak: Weak.none,
      ...extra,
      result,
    });
  };
  /** Runs `body` as one operation: nested calls the context makes to itself pass through. */
  const op = (name: string, body: (...a: number[]) => number): Fn => {
    const inner = orig[name]!;
    return (...a: number[]) => {
      if (depth > 0) return inner(...a);
      depth++;
      try {
        return body(...a);
      } finally {
        depth--;
      }
    };
  };

  self.load = op('load', (ref) => {
    const v = load(ref!);
    report('load', ref!, v);
    return v;
  });
  self.loadDependent = op('loadDependent', (ref) => {
    const v = orig.loadDependent!(ref!);
    report('loadDependent', ref!, v);
    return v;
  });
  self.store = op('store', (ref, v) => {
    store(ref!, v!);
    report('store', ref!, 0, { arg: v! });
    return 0;
  });
  self.loadAcquire = op('loadAcquire', (ref) => {
    const w = weakOf(OpCode.loadAcquire);
    const v = w === Weak.none ? orig.loadAcquire!(ref!) : load(ref!);
    report(w === Weak.none ? 'loadAcquire' : 'load', ref!, v, { weak: w });
    return v;
  });
  self.storeRelease = op('storeRelease', (ref, v) => {
    const w = weakOf(OpCode.storeRelease);
    if (w === Weak.none) orig.storeRelease!(ref!, v!);
    else store(ref!, v!);
    report(w === Weak.none ? 'storeRelease' : 'store', ref!, 0, { arg: v!, weak: w });
    return 0;
  });
  self.unlockRelease = op('unlockRelease', (ref) => {
    const w = weakOf(OpCode.unlockRelease);
    if (w === Weak.none) orig.unlockRelease!(ref!);
    else store(ref!, 0);
    report(w === Weak.none ? 'unlockRelease' : 'store', ref!, 0, { arg: 0, weak: w });
    return 0;
  });
  self.fence = op('fence', (kind) => {
    const w = weakOf(OpCode.fence + kind!);
    if (w === Weak.none) {
      orig.fence!(kind!);
      report('fence', -1, 0, { fence: kind as FenceKind });
    }
    return 0;
  });
  self.cmpxchg = op('cmpxchg', (ref, e, v) => {
    const w = weakOf(OpCode.cmpxchg);
    let old: number;
    if (w === Weak.none) old = orig.cmpxchg!(ref!, e!, v!);
    else if (w === Weak.noLock) old = e!;
    else {
      old = load(ref!);
      if (old === e) self.deferStore(ref!, v!);
    }
    if (w !== Weak.noLock) report('cmpxchg', ref!, old, { arg: e!, arg2: v!, weak: w });
    return old;
  });
  self.xchg = op('xchg', (ref, v) => {
    const w = weakOf(OpCode.xchg);
    let old: number;
    if (w === Weak.none) old = orig.xchg!(ref!, v!);
    else {
      old = load(ref!);
      self.deferStore(ref!, v!);
    }
    report('xchg', ref!, old, { arg: v!, weak: w });
    return old;
  });
  self.rmw = op('rmw', (ref, o, arg, ordered) => {
    const w = weakOf(OpCode.rmw + 2 * o! + (ordered ? 1 : 0));
    let old: number;
    if (w === Weak.none) old = (orig.rmw as unknown as Context['rmw'])(ref!, o as RmwOp, arg!, !!ordered);
    else {
      old = load(ref!);
      self.deferStore(ref!, applyRmw(o as RmwOp, old, arg!));
    }
    report('rmw', ref!, old, { rmwOp: o as RmwOp, ordered: !!ordered, arg: arg!, weak: w });
    return old;
  });
  self.lockAcquire = op('lockAcquire', (ref, owner) => {
    const w = weakOf(OpCode.lockAcquire);
    let taken: number;
    if (w === Weak.none)
      taken = (orig.lockAcquire as unknown as Context['lockAcquire'])(ref!, owner!) ? 1 : 0;
    else if (w === Weak.noLock) taken = 1;
    else {
      const old = load(ref!);
      taken = old === 0 ? 1 : 0;
      if (taken) self.deferStore(ref!, owner!);
    }
    if (w !== Weak.noLock) report('lockAcquire', ref!, taken, { arg: owner!, weak: w });
    return (taken === 1) as unknown as number; // Context.lockAcquire returns a boolean
  });
  return () => {
    for (const m of [...METHODS, 'begin']) {
      if (own.has(m)) (c as unknown as Record<string, unknown>)[m] = own.get(m);
      else delete self[m];
    }
  };
}
