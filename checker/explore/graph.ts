import type { LivenessProperty, Model, Property, Transition } from '../model/model.ts';
import type { IncompleteReason } from '../report/result.ts';
import { ADD_FULL, ADD_NEW, FingerprintSet } from '../state/fingerprint-set.ts';
import { Frontier } from '../state/frontier.ts';
import { Zobrist } from '../state/zobrist.ts';
import type { FairnessUnits } from './fairness.ts';
import { type Found, invariantFound } from './found.ts';
import { DEFAULT_MEMORY_CAP, type SearchOptions } from './options.ts';
import { Pacer } from './pacer.ts';
import { SafetyCheck } from './safety-check.ts';
import { describeWaits, waitsFor } from './waits-for.ts';

/**
 * The reachable state graph, for the liveness search: the same breadth-first exploration and
 * fingerprint set as the safety search (checking the same invariants on the way), but the set
 * also maps each fingerprint to its state index, and every transition is kept as an edge.
 *
 * Storage is typed arrays only. BFS pops states in index order, so the successor lists form one
 * compressed array: the edges of state v are `dst[start[v] .. start[v+1])` with the action that
 * took each in `act`. Per state: parent index and action (the BFS tree, for shortest prefixes),
 * a bitmask of the fairness units enabled there, and two bits per liveness property (its trigger
 * and its goal hold). Memory: 24-36 bytes per state for the fingerprint table with indices (at
 * most half full), 4 (start) + 8 (parent, via) + 4 x words (enabled mask) + 1 per property, and
 * 6 bytes per edge (4 target + 2 action; 8 with more than 65535 actions), every array growing by
 * doubling; plus the BFS frontier of full states, as in the safety search.
 */

export interface StateGraph {
  readonly n: number;
  /** States 0 .. nInit-1 are the initial states. */
  readonly nInit: number;
  readonly start: Int32Array;
  readonly dst: Int32Array;
  readonly act: Uint16Array | Int32Array;
  readonly edges: number;
  /** BFS tree: parent state (-1 for initial states) and the action from it (-(i+1) for initial state i). */
  readonly parent: Int32Array;
  readonly via: Int32Array;
  /** `words` Uint32s per state: the fairness units enabled there. */
  readonly enabled: Uint32Array;
  readonly words: number;
  /** Per state and liveness property k: bit 1 trigger holds, bit 2 goal holds, at [v * nProps + k]. */
  readonly labels: Uint8Array;
  readonly nProps: number;
  readonly unitOf: Int32Array;
}

export const TRIGGER = 1;
export const GOAL = 2;

export interface GraphRun {
  readonly graph: StateGraph | null;
  readonly found: Found | null;
  readonly stop: { reason: IncompleteReason; detail: string } | null;
  readonly witnessed: Uint8Array;
  /** Distinct states found (all of them when `graph` is set). */
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly queuePeak: number;
  readonly peakBytes: number;
  readonly inits: Int32Array[];
  /** Parent links of the states found so far (also when the run stopped early), for traces. */
  readonly parent: Int32Array;
  readonly via: Int32Array;
}

export interface GraphChecks {
  readonly invariants: readonly Property[];
  readonly reachables: readonly Property[];
  readonly checkDeadlock: boolean;
  readonly liveness: readonly LivenessProperty[];
}

export async function exploreGraph(
  model: Model,
  options: SearchOptions,
  checks: GraphChecks,
  units: FairnessUnits,
): Promise<GraphRun> {
  const { invariants, reachables, checkDeadlock, liveness } = checks;
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  const cap = options.memoryCapBytes ?? DEFAULT_MEMORY_CAP;
  const started = performance.now();
  const len = model.layout.size;
  const zobrist = options.fingerprint === 'full' ? null : Zobrist.forLayout(model.layout);
  const nProps = liveness.length;
  const words = units.words;
  const unitOf = units.unitOf;
  const wide = model.actions.length > 0xffff;

  const initialLog2 = Math.max(4, Math.min(16, Math.floor(Math.log2(cap / 64))));
  const visited = new FingerprintSet(cap, initialLog2, true);
  let capStates = 1 << initialLog2;
  let parent = new Int32Array(capStates);
  let via = new Int32Array(capStates);
  let start = new Int32Array(capStates + 1);
  let enabledMask = new Uint32Array(capStates * words);
  let labels = new Uint8Array(capStates * nProps);
  let dst = new Int32Array(1 << initialLog2);
  let act: Uint16Array | Int32Array = wide ? new Int32Array(dst.length) : new Uint16Array(dst.length);
  let nEdges = 0;
  const queue = new Frontier(model.layout);
  let count = 0;
  let transitions = 0;
  let depth = 0;
  let found: Found | null = null;
  let stopReason: IncompleteReason | null = null;
  let stopDetail = '';
  let depthBounded = false;
  const safety = new SafetyCheck(invariants, reachables);
  const witnessed = safety.witnessed;
  const cur = new Int32Array(len);
  const out = new Int32Array(len);
  let curIdx = 0;
  let curHi = 0;
  let curLo = 0;
  let enabled = 0;

  const stateBytes = () =>
    parent.byteLength + via.byteLength + start.byteLength + enabledMask.byteLength + labels.byteLength;
  const structureBytes = () =>
    visited.bytes + stateBytes() + dst.byteLength + act.byteLength + queue.byteLength;
  const capMessage = (what: string) =>
    `${what} reached the memory cap of ${Math.round(cap / 2 ** 20)} MiB (the liveness search keeps every edge)`;

  const growStates = (): boolean => {
    const n = capStates * 2;
    if (structureBytes() + stateBytes() > cap) return false;
    const grow32 = (a: Int32Array, size: number) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    parent = grow32(parent, n);
    via = grow32(via, n);
    start = grow32(start, n + 1);
    const e2 = new Uint32Array(n * words);
    e2.set(enabledMask);
    enabledMask = e2;
    const l2 = new Uint8Array(n * nProps);
    l2.set(labels);
    labels = l2;
    capStates = n;
    return true;
  };

  const growEdges = (): boolean => {
    const n = dst.length * 2;
    if (structureBytes() + dst.byteLength + act.byteLength > cap) return false;
    const d2 = new Int32Array(n);
    d2.set(dst);
    dst = d2;
    const a2 = wide ? new Int32Array(n) : new Uint16Array(n);
    a2.set(act);
    act = a2;
    return true;
  };

  const checkState = (s: Int32Array, idx: number): boolean => {
    const bad = safety.check(s);
    if (bad >= 0) {
      found = invariantFound(invariants[bad]!, idx);
      return false;
    }
    const o = idx * nProps;
    for (let k = 0; k < nProps; k++) {
      const p = liveness[k]!;
      labels[o + k] = (p.trigger(s) ? TRIGGER : 0) | (p.goal(s) ? GOAL : 0);
    }
    return true;
  };

  /** The index of state `s` (admitting it when new), or -1 when the search must stop. */
  const admit = (s: Int32Array, from: number, action: number, t: Transition | null): number => {
    let hi: number;
    let lo: number;
    if (zobrist !== null) {
      if (t === null) zobrist.full(s);
      else zobrist.updateWritten(cur, s, curHi, curLo, t.writes, t.nWrites);
      hi = zobrist.hi;
      lo = zobrist.lo || 1;
    } else {
      visited.hash(s, len);
      hi = visited.hi;
      lo = visited.lo;
    }
    const r = visited.addIndexed(hi, lo, count);
    if (r !== ADD_NEW) {
      if (r === ADD_FULL) {
        stopReason = 'memory';
        stopDetail = capMessage('the visited set');
        return -1;
      }
      return visited.index;
    }
    if (count === capStates && !growStates()) {
      stopReason = 'memory';
      stopDetail = capMessage('the per-state arrays');
      return -1;
    }
    const idx = count++;
    parent[idx] = from;
    via[idx] = action;
    if (!checkState(s, idx)) return -1;
    if (queue.length === queue.capacity && structureBytes() + queue.growthBytes > cap) {
      stopReason = 'memory';
      stopDetail = capMessage('the BFS queue');
      return -1;
    }
    queue.push(s, idx, hi, lo);
    if (count >= maxStates) {
      stopReason = 'max-states';
      stopDetail = `stopped at --max-states ${maxStates}`;
      return -1;
    }
    return idx;
  };

  let stop = false;
  const emit = (t: Transition): void => {
    if (stop) return;
    enabled++;
    transitions++;
    if (t.error !== null || t.failed !== null) {
      found = {
        property: t.failed ?? 'model-error',
        kind: 'assertion',
        description: t.failed !== null ? `assertion ${t.failed} failed in a step` : t.error!,
        state: curIdx,
        action: t.action,
        error: t.error,
      };
      stop = true;
      return;
    }
    const u = unitOf[t.action]!;
    const w = curIdx * words + (u >>> 5);
    enabledMask[w] = enabledMask[w]! | (1 << (u & 31));
    const to = admit(out, curIdx, t.action, t);
    if (to < 0) {
      stop = true;
      return;
    }
    if (nEdges === dst.length && !growEdges()) {
      stopReason = 'memory';
      stopDetail = capMessage('the edge list');
      stop = true;
      return;
    }
    dst[nEdges] = to;
    act[nEdges] = t.action;
    nEdges++;
  };

  const inits = model.initialStates();
  for (let i = 0; i < inits.length && !stop; i++) {
    if (admit(inits[i]!, -1, -(i + 1), null) < 0) stop = true;
  }
  const nInit = count;

  let levelRemaining = queue.length;
  let nextLevel = 0;
  const pacer = new Pacer(options, started);
  let sinceCheck = 0;

  while (!stop && queue.length > 0) {
    if (levelRemaining === 0) {
      depth++;
      levelRemaining = nextLevel;
      nextLevel = 0;
    }
    queue.pop(cur);
    curIdx = queue.index;
    curHi = queue.hi;
    curLo = queue.lo;
    levelRemaining--;
    start[curIdx] = nEdges;

    if (depth >= maxDepth) {
      enabled = 0;
      model.successors(cur, out, countOnly);
      if (enabled > 0) depthBounded = true;
      continue;
    }
    const before = count;
    enabled = 0;
    model.successors(cur, out, emit);
    nextLevel += count - before;
    if (stop) break;
    if (enabled === 0 && checkDeadlock && !model.isValidEnd(cur)) {
      const waits = waitsFor(model, cur);
      found = {
        property: 'deadlock',
        kind: 'deadlock',
        description: describeWaits(waits),
        state: curIdx,
        action: -1,
        error: null,
        waits,
      };
      break;
    }
    if (++sinceCheck >= 2048) {
      sinceCheck = 0;
      const counts = () => ({ states: count, transitions, queue: queue.length, depth });
      if (await pacer.check(counts, structureBytes)) {
        stopReason = pacer.reason;
        stopDetail = pacer.detail;
        break;
      }
    }
  }
  start[count] = nEdges;

  function countOnly(): void {
    enabled++;
  }

  const peakBytes = Math.max(pacer.peakBytes, structureBytes());
  const stopped =
    stopReason !== null
      ? { reason: stopReason as IncompleteReason, detail: stopDetail }
      : depthBounded
        ? { reason: 'max-depth' as const, detail: `states at --max-depth ${maxDepth} were not expanded` }
        : null;
  const graph: StateGraph | null =
    found === null && stopped === null
      ? {
          n: count,
          nInit,
          start,
          dst,
          act,
          edges: nEdges,
          parent,
          via,
          enabled: enabledMask,
          words,
          labels,
          nProps,
          unitOf,
        }
      : null;
  return {
    graph,
    found,
    stop: found === null ? stopped : null,
    witnessed,
    states: count,
    transitions,
    depth,
    queuePeak: queue.peak,
    peakBytes,
    inits,
    parent,
    via,
  };
}

/** Initial-state number and actions of the BFS tree path to `idx`. */
export function treePath(
  idx: number,
  parent: Int32Array,
  via: Int32Array,
): { initial: number; actions: number[] } {
  const actions: number[] = [];
  let i = idx;
  while (parent[i]! >= 0) {
    actions.push(via[i]!);
    i = parent[i]!;
  }
  actions.reverse();
  return { initial: -via[i]! - 1, actions };
}
