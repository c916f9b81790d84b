import type { Layout } from '../state/layout.ts';

/**
 * Static footprints: every slot a piece of model code may read or write from ANY state, found by
 * running it on a state whose slots are chosen lazily. The first read of a slot branches over
 * every value of its domain (depth-first, one run per path), so the union over all runs covers
 * every state the layout admits, reachable or not. The partial-order reduction needs this
 * over-approximation: the slots a step touched in the states seen so far say nothing about the
 * states a reduced search never visits.
 *
 * A path count past the budget gives up (null): the caller must then assume the code may touch
 * anything.
 */

export interface Footprint {
  /** Slots read on some path, sorted. */
  readonly reads: Int32Array;
  /** Slots written on some path, sorted. */
  readonly writes: Int32Array;
  /** Slots read before `mark()` was called on some path (an action: its guard), sorted. */
  readonly early: Int32Array;
  /** Some path reported failure (`fail()`), or threw. */
  readonly mayFail: boolean;
  /** Runs taken: the number of paths. */
  readonly paths: number;
  /**
   * The paths that called `enabled()`: the slots each read first (in order) with the value it
   * chose for them. A state agreeing with one of these on its slots takes that path.
   */
  readonly enabling: readonly { readonly slots: Int32Array; readonly values: Int32Array }[];
}

/** What one run of the code under analysis sees. */
export interface ProbeRun {
  /** The state to run on: reads choose values, writes are recorded. */
  readonly s: Int32Array;
  /** Ends the early phase (reads after it are not in `early`). */
  mark(): void;
  /** This path failed (counted in mayFail). */
  fail(): void;
  /** This path is one where the code is enabled (kept in `enabling`). */
  enabled(): void;
}

/** Thrown when the code uses the state other than by indexing it: the footprint is unknown. */
class OpaqueUse extends Error {}

/**
 * Enumerates the paths of `run` over all states of `layout` that agree with `fixed` (slot ->
 * value, e.g. the pc of the process a step belongs to). Returns null past `budget` paths or when
 * the code uses the state in a way the probe cannot follow.
 */
export function footprintOf(
  layout: Layout,
  run: (probe: ProbeRun) => void,
  budget: number,
  fixed: ReadonlyMap<number, number> = new Map(),
): Footprint | null {
  const n = layout.size;
  const reads = new Uint8Array(n);
  const writes = new Uint8Array(n);
  const early = new Uint8Array(n);
  let mayFail = false;
  // the choices of the current path: slot and value, in the order they were first read
  const trailSlot: number[] = [];
  const trailValue: number[] = [];
  let pos = 0;
  const chosen = new Int32Array(n);
  const known = new Uint8Array(n); // 1: chosen this run, 2: written this run
  const written = new Int32Array(n);
  let inEarly = true;
  // set when the code used the state other than by index (the code may catch the exception)
  let opaque = false;

  const readSlot = (i: number): number => {
    reads[i] = 1;
    if (inEarly) early[i] = 1;
    if (known[i] === 2) return written[i]!;
    if (known[i] === 1) return chosen[i]!;
    let v: number;
    const f = fixed.get(i);
    if (f !== undefined) v = f;
    else if (pos < trailSlot.length) {
      // replaying the prefix of the path being extended: the same slot comes first again
      v = trailValue[pos++]!;
    } else {
      v = layout.min[i]!;
      trailSlot.push(i);
      trailValue.push(v);
      pos++;
    }
    known[i] = 1;
    chosen[i] = v;
    return v;
  };

  const backing = new Int32Array(n);
  const state = new Proxy(backing, {
    get(_target, key) {
      if (typeof key === 'string') {
        const i = slotIndex(key, n);
        if (i >= 0) return readSlot(i);
        if (key === 'length') return n;
      }
      opaque = true;
      throw new OpaqueUse(`state used through ${String(key)}`);
    },
    set(_target, key, value) {
      const i = typeof key === 'string' ? slotIndex(key, n) : -1;
      if (i < 0) {
        opaque = true;
        throw new OpaqueUse(`state written through ${String(key)}`);
      }
      writes[i] = 1;
      known[i] = 2;
      written[i] = value as number;
      return true;
    },
  }) as Int32Array;

  const probe: ProbeRun = {
    s: state,
    mark() {
      inEarly = false;
    },
    fail() {
      mayFail = true;
    },
    enabled() {
      pathEnabled = true;
    },
  };
  const enabling: { slots: Int32Array; values: Int32Array }[] = [];
  let pathEnabled = false;

  let paths = 0;
  for (;;) {
    if (++paths > budget) return null;
    known.fill(0);
    pos = 0;
    inEarly = true;
    pathEnabled = false;
    try {
      run(probe);
    } catch (e) {
      if (e instanceof OpaqueUse) return null;
      // code that throws on some state (say an index out of range) fails there
      mayFail = true;
    }
    if (opaque) return null;
    if (paths === 1) {
      // the first path bounds the tree from above: give up at once where it is hopeless
      let size = 1;
      for (let k = 0; k < trailSlot.length && size <= 16 * budget; k++)
        size *= layout.max[trailSlot[k]!]! - layout.min[trailSlot[k]!]! + 1;
      if (size > 16 * budget) return null;
    }
    if (pathEnabled)
      enabling.push({ slots: Int32Array.from(trailSlot), values: Int32Array.from(trailValue) });
    // the next path: bump the last choice that has values left, drop the choices after it
    let k = trailSlot.length - 1;
    while (k >= 0 && trailValue[k]! >= layout.max[trailSlot[k]!]!) k--;
    if (k < 0) break;
    trailSlot.length = k + 1;
    trailValue.length = k + 1;
    trailValue[k] = trailValue[k]! + 1;
  }
  return { reads: indices(reads), writes: indices(writes), early: indices(early), mayFail, paths, enabling };
}

function slotIndex(key: string, n: number): number {
  const c = key.charCodeAt(0);
  if (c < 48 || c > 57) return -1;
  const i = Number(key);
  return Number.isInteger(i) && i < n ? i : -1;
}

function indices(flags: Uint8Array): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i] === 1) out.push(i);
  return Int32Array.from(out);
}
