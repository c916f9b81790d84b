import type { LivenessProperty, Model, Property, Transition } from '../model/model.ts';
import { coverageReport } from '../report/coverage.ts';
import type { IncompleteReason, Result, Stats } from '../report/result.ts';
import { ADD_FULL, ADD_NEW, collisionProbability, FingerprintSet } from '../state/fingerprint-set.ts';
import { Frontier } from '../state/frontier.ts';
import { Links } from '../state/links.ts';
import { SymmetryReducer } from '../state/symmetry.ts';
import { Zobrist } from '../state/zobrist.ts';
import { buildTrace, buildTraceSymmetric, ReplayDivergence, type Trace } from '../trace/trace.ts';
import { checkedProperties, type Found, foundResult } from './found.ts';
import { exploreLiveness } from './liveness.ts';
import { DEFAULT_MEMORY_CAP, type SearchOptions } from './options.ts';
import { Pacer } from './pacer.ts';
import { describeWaits, waitsFor } from './waits-for.ts';

/**
 * Exhaustive breadth-first search. Each distinct state is kept only as a 64-bit fingerprint plus
 * a parent index and the action that reached it (checker/state/links.ts); the frontier holds full
 * states, packed to bytes where the domains allow (checker/state/frontier.ts). BFS order makes
 * every counterexample a shortest one; it is rebuilt by replaying the
 * actions on the parent chain. The loop allocates nothing per state.
 */

export class UnknownPropertyError extends Error {}

/**
 * The properties a run checks: those named, else every safety property, plus every liveness
 * property when `allLiveness` (a run that gives a fairness).
 */
export function selectProperties(
  model: Model,
  names: readonly string[] | undefined,
  allLiveness = false,
): {
  invariants: Property[];
  reachables: Property[];
  liveness: LivenessProperty[];
} {
  const live = model.liveness ?? [];
  if (!names || names.length === 0)
    return {
      invariants: [...model.invariants],
      reachables: [...model.reachables],
      liveness: allLiveness ? [...live] : [],
    };
  const all = [...model.invariants, ...model.reachables, ...live].map((p) => p.name);
  for (const n of names) {
    if (!all.includes(n) && n !== 'deadlock') {
      throw new UnknownPropertyError(
        `unknown property '${n}' of model ${model.name}; properties: ${[...all, 'deadlock'].join(', ')}`,
      );
    }
  }
  return {
    invariants: model.invariants.filter((p) => names.includes(p.name)),
    reachables: model.reachables.filter((p) => names.includes(p.name)),
    liveness: live.filter((p) => names.includes(p.name)),
  };
}

export async function explore(model: Model, options: SearchOptions = {}): Promise<Result> {
  const { invariants, reachables, liveness } = selectProperties(
    model,
    options.properties,
    options.fairness !== undefined,
  );
  // liveness needs the state graph: checker/explore/liveness.ts explores it and checks safety too
  if (liveness.length > 0) return exploreLiveness(model, options);
  const checkDeadlock =
    (options.deadlock ?? 'report') === 'report' &&
    (!options.properties?.length || options.properties.includes('deadlock'));
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  const cap = options.memoryCapBytes ?? DEFAULT_MEMORY_CAP;
  const started = performance.now();
  const len = model.layout.size;
  const zobrist = options.fingerprint === 'full' ? null : Zobrist.forLayout(model.layout);
  const reduced = options.symmetry === 'on' ? SymmetryReducer.forModel(model) : null;
  const reducer = reduced instanceof SymmetryReducer ? reduced : null;
  const canonBuf = new Int32Array(len);
  let curHi = 0;
  let curLo = 0;

  // Start small under a small cap, so the cap bounds what is allocated from the first state on.
  const initialLog2 = Math.max(4, Math.min(16, Math.floor(Math.log2(cap / 64))));
  const visited = new FingerprintSet(cap, initialLog2);
  // parent and step of each state, 2-byte steps where they fit; the frontier, packed where it fits
  const links = new Links(model.actions.length < 65536, initialLog2);
  const queue = new Frontier(model.layout);
  let count = 0;
  let transitions = 0;
  let depth = 0;
  let found: Found | null = null;
  let stopReason: IncompleteReason | null = null;
  let stopDetail = '';
  let depthBounded = false;
  const witnessed = new Uint8Array(reachables.length);
  // coverage: how often each action fired, and which slots ever left their initial value (a
  // slot that changes somewhere changes on some BFS tree edge, so new states suffice)
  const fired = new Uint32Array(model.actions.length);
  const changed = new Uint8Array(len);
  let unwitnessed = reachables.length;
  const cur = new Int32Array(len);
  const out = new Int32Array(len);
  let curIdx = 0;
  let enabled = 0;

  const structureBytes = () => visited.bytes + links.byteLength + queue.byteLength;

  const checkState = (s: Int32Array, idx: number): boolean => {
    for (let i = 0; i < invariants.length; i++) {
      const inv = invariants[i]!;
      if (!inv.check(s)) {
        found = {
          property: inv.name,
          kind: 'invariant',
          description: inv.description,
          state: idx,
          action: -1,
          error: null,
        };
        return false;
      }
    }
    if (unwitnessed > 0) {
      for (let i = 0; i < reachables.length; i++) {
        if (witnessed[i] === 0 && reachables[i]!.check(s)) {
          witnessed[i] = 1;
          unwitnessed--;
        }
      }
    }
    return true;
  };

  /** Records a newly reached state; false when the search must stop. */
  const admit = (found: Int32Array, from: number, action: number, t: Transition | null): boolean => {
    let hi: number;
    let lo: number;
    let s = found;
    if (reducer !== null) {
      reducer.canonicalize(found, canonBuf);
      s = canonBuf;
    }
    if (zobrist !== null) {
      if (t === null) zobrist.full(s);
      else {
        zobrist.updateWritten(cur, found, curHi, curLo, t.writes, t.nWrites);
        // the representative differs from the successor only where the permutation wrote
        if (reducer !== null)
          zobrist.updateWritten(found, s, zobrist.hi, zobrist.lo, reducer.changed, reducer.nChanged);
      }
      hi = zobrist.hi;
      lo = zobrist.lo || 1;
    } else {
      visited.hash(s, len);
      hi = visited.hi;
      lo = visited.lo;
    }
    const r = visited.addHash(hi, lo);
    if (r !== ADD_NEW) {
      if (r === ADD_FULL) {
        stopReason = 'memory';
        stopDetail = `visited set reached the memory cap of ${Math.round(cap / 2 ** 20)} MiB`;
        return false;
      }
      return true;
    }
    if (structureBytes() + links.nextChunkBytes > cap) {
      stopReason = 'memory';
      stopDetail = `parent links reached the memory cap of ${Math.round(cap / 2 ** 20)} MiB`;
      return false;
    }
    const idx = links.add(from, action);
    count++;
    if (t !== null) {
      for (let k = 0; k < t.nWrites; k++) changed[t.writes[k]!] = 1;
      if (reducer !== null) for (let k = 0; k < reducer.nChanged; k++) changed[reducer.changed[k]!] = 1;
    }
    if (!checkState(s, idx)) return false;
    if (queue.length === queue.capacity && structureBytes() + queue.growthBytes > cap) {
      stopReason = 'memory';
      stopDetail = `the BFS queue reached the memory cap of ${Math.round(cap / 2 ** 20)} MiB`;
      return false;
    }
    queue.push(s, idx, hi, lo);
    if (count >= maxStates) {
      stopReason = 'max-states';
      stopDetail = `stopped at --max-states ${maxStates}`;
      return false;
    }
    return true;
  };

  let stop = false;
  const emit = (t: Transition): void => {
    if (stop) return;
    enabled++;
    transitions++;
    fired[t.action]++;
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
    if (!admit(out, curIdx, t.action, t)) stop = true;
  };

  const inits = model.initialStates();
  for (let i = 0; i < inits.length && !stop; i++) {
    if (!admit(inits[i]!, -1, i, null)) stop = true;
  }

  let levelRemaining = queue.length; // states left in the current BFS level
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

    if (depth >= maxDepth) {
      // do not expand; remember that the bound cut something off
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

  function countOnly(): void {
    enabled++;
  }

  const seconds = (performance.now() - started) / 1000;
  const peakBytes = Math.max(pacer.peakBytes, structureBytes());
  const stats: Stats = {
    states: count,
    transitions,
    depth,
    seconds,
    statesPerSecond: seconds > 0 ? count / seconds : count,
    collisionProbability: collisionProbability(count),
    bytesPerState: count > 0 ? peakBytes / count : 0,
    queuePeak: queue.peak,
  };
  const common = {
    model: model.name,
    config: model.config,
    stats,
    properties: checkedProperties(invariants, reachables, checkDeadlock),
    reductions:
      options.symmetry === 'on'
        ? [
            reducer !== null
              ? `symmetry over ${model.layout.symmetry.map((c) => `${c.name} (${c.processes.length})`).join(', ')}`
              : `no symmetry reduction: ${reduced as string}`,
          ]
        : [],
  };

  const f = found as Found | null;
  if (f !== null) {
    const path = links.pathTo(f.state);
    if (f.action >= 0) path.actions.push(f.action);
    let trace: Trace;
    try {
      trace =
        reducer !== null
          ? buildTraceSymmetric(model, reducer, inits[path.initial]!, path.actions)
          : buildTrace(model, inits[path.initial]!, path.actions);
    } catch (e) {
      if (e instanceof ReplayDivergence)
        return { ...common, verdict: 'error', message: e.message, trace: null };
      throw e;
    }
    return foundResult(common, f, trace);
  }
  if (stopReason !== null)
    return { ...common, verdict: 'incomplete', reason: stopReason, detail: stopDetail };
  if (depthBounded) {
    return {
      ...common,
      verdict: 'incomplete',
      reason: 'max-depth',
      detail: `states at --max-depth ${maxDepth} were not expanded`,
    };
  }
  for (let i = 0; i < reachables.length; i++) {
    if (witnessed[i] === 0) {
      const r = reachables[i]!;
      return {
        ...common,
        coverage: coverageReport(model, fired, changed, common.properties),
        verdict: 'violated',
        violation: {
          property: r.name,
          kind: 'reachable',
          description: `no reachable state witnesses: ${r.description}`,
          trace: null,
        },
      };
    }
  }
  return { ...common, coverage: coverageReport(model, fired, changed, common.properties), verdict: 'holds' };
}
