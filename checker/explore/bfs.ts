import { availableParallelism } from 'node:os';
import type { LivenessProperty, Model, Property, Transition } from '../model/model.ts';
import { coverageReport } from '../report/coverage.ts';
import type { IncompleteReason, Result, Stats } from '../report/result.ts';
import { ADD_FULL, ADD_NEW, collisionProbability, FingerprintSet } from '../state/fingerprint-set.ts';
import { Frontier } from '../state/frontier.ts';
import { OrderedLinks } from '../state/ordered-links.ts';
import { SymmetryReducer } from '../state/symmetry.ts';
import { Zobrist } from '../state/zobrist.ts';
import { buildTrace, buildTraceSymmetric, ReplayDivergence, type Trace } from '../trace/trace.ts';
import { checkedProperties, type Found, foundResult, invariantFound, unwitnessedResult } from './found.ts';
import { exploreLiveness } from './liveness.ts';
import { AUTO_WORKERS_AFTER, DEFAULT_MEMORY_CAP, type SearchOptions } from './options.ts';
import { Pacer } from './pacer.ts';
import { exploreWithWorkers, parallelUnsupported } from './parallel.ts';
import { AmpleSets } from './por.ts';
import { SafetyCheck } from './safety-check.ts';
import { describeWaits, waitsFor } from './waits-for.ts';

/**
 * Exhaustive breadth-first search. Each distinct state is kept only as a 64-bit fingerprint plus
 * its parent and the action that reached it (checker/state/ordered-links.ts, about 2 bytes); the
 * frontier holds full states, bit-packed where the domains allow (checker/state/frontier.ts). BFS
 * order makes every counterexample a shortest one; it is rebuilt by replaying the actions on the
 * parent chain. The loop allocates nothing per state. With `por` it expands ample sets
 * (checker/explore/por.ts) and traces are then no longer necessarily shortest.
 */

export class UnknownPropertyError extends Error {}

/** States a partial-order-reduced search explores in full before it starts to reduce. */
const POR_WARMUP_STATES = 10_000;

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
  // worker threads: checker/explore/parallel.ts (it runs here instead where it cannot, and says why)
  if (options.workers === 'auto') return exploreAuto(model, options, { invariants, reachables, liveness });
  if ((options.workers ?? 1) > 1)
    return exploreWithWorkers(model, options, { invariants, reachables, liveness }, explore);
  // liveness needs the state graph: checker/explore/liveness.ts explores it and checks safety too
  if (liveness.length > 0) {
    const r = await exploreLiveness(model, options);
    if (options.por !== 'on') return r;
    return {
      ...r,
      reductions: [...(r.reductions ?? []), 'no partial-order reduction: it keeps safety properties only'],
    };
  }
  const started = performance.now();
  const reduce = options.por === 'on' ? AmpleSets.forModel(model, [...invariants, ...reachables]) : null;
  const por = reduce instanceof AmpleSets ? reduce : null;
  const porWarmup = options.porWarmupStates ?? POR_WARMUP_STATES;
  let restarts = 0;
  for (;;) {
    if (por !== null) por.grew = false;
    const r = await searchOnce();
    if (r !== null) return r;
    restarts++;
  }

  /** One breadth-first search; null when a learned footprint grew under a reduction (restart). */
  async function searchOnce(): Promise<Result | null> {
    const checkDeadlock =
      (options.deadlock ?? 'report') === 'report' &&
      (!options.properties?.length || options.properties.includes('deadlock'));
    const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
    const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
    const cap = options.memoryCapBytes ?? DEFAULT_MEMORY_CAP;
    const len = model.layout.size;
    const zobrist = options.fingerprint === 'full' ? null : Zobrist.forLayout(model.layout);
    const reduced = options.symmetry === 'on' ? SymmetryReducer.forModel(model) : null;
    const reducer = reduced instanceof SymmetryReducer ? reduced : null;
    const canonBuf = new Int32Array(len);
    let curHi = 0;
    let curLo = 0;

    // Start small under a small cap, so the cap bounds what is allocated from the first state on.
    const initialLog2 = Math.max(4, Math.min(16, Math.floor(Math.log2(cap / 64))));
    // with partial-order reduction each fingerprint keeps its state's index: a successor's index
    // tells whether it lies in an earlier BFS level (the cycle proviso)
    const visited = new FingerprintSet(cap, initialLog2, por !== null);
    // parent and step of each state, 2-byte steps where they fit; the frontier, packed where it fits
    const links = new OrderedLinks(Math.max(model.actions.length, model.initialStates().length), initialLog2);
    const queue = new Frontier(model.layout);
    let count = 0;
    let transitions = 0;
    let depth = 0;
    let found: Found | null = null;
    let stopReason: IncompleteReason | null = null;
    let stopDetail = '';
    let depthBounded = false;
    const safety = new SafetyCheck(invariants, reachables);
    // coverage: how often each action fired, and which slots ever left their initial value (a
    // slot that changes somewhere changes on some BFS tree edge, so new states suffice)
    const fired = new Uint32Array(model.actions.length);
    const changed = new Uint8Array(len);
    const cur = new Int32Array(len);
    const out = new Int32Array(len);
    let curIdx = 0;
    let enabled = 0;

    const structureBytes = () => visited.bytes + links.byteLength + queue.byteLength;

    const checkState = (s: Int32Array, idx: number): boolean => {
      const bad = safety.check(s);
      if (bad < 0) return true;
      found = invariantFound(invariants[bad]!, idx);
      return false;
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
      const r = por !== null ? visited.addIndexed(hi, lo, count) : visited.addHash(hi, lo);
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
    // partial-order reduction: states expanded by an ample set, and the process already expanded
    // when C3 forces the rest of a state's transitions
    let partial = 0;
    let skipProcess = -1;
    let restart = false;
    const emit = (t: Transition): void => {
      if (stop || t.process === skipProcess) return;
      if (por !== null) por.learn(t);
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
    let levelStart = count; // index of the first state of the next level
    let nextLevel = 0;
    const pacer = new Pacer(options, started);
    let sinceCheck = 0;

    while (!stop && queue.length > 0) {
      if (levelRemaining === 0) {
        levelStart = count;
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
      // the first states are expanded in full while the learned footprints settle (a small
      // search never reduces, which costs it nothing)
      const p = por !== null && count >= porWarmup ? por.choose(cur, out) : -1;
      if (por?.grew) {
        // a footprint an earlier reduction relied on was too small: start again, wiser
        if (partial > 0) {
          restart = true;
          break;
        }
        por.grew = false;
      }
      if (p >= 0) {
        partial++;
        let back = false;
        for (let k = 0; k < por!.nChosen && !stop; k++) {
          const c0 = count;
          emit(model.fire(cur, por!.chosen[k]!, out)!);
          if (count === c0 && visited.index < levelStart) back = true;
        }
        if (back && !stop) {
          // C3: a successor lies in this level or an earlier one, so this edge may close a cycle
          // (every cycle has such an edge): expand in full
          partial--;
          skipProcess = p;
          model.successors(cur, out, emit);
          skipProcess = -1;
        }
      } else model.successors(cur, out, emit);
      if (por?.grew && partial > 0) {
        restart = true;
        break;
      }
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

    if (restart) return null;
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
      reductions: [
        ...(options.symmetry === 'on'
          ? [
              reducer !== null
                ? `symmetry over ${model.layout.symmetry.map((c) => `${c.name} (${c.processes.length})`).join(', ')}`
                : `no symmetry reduction: ${reduced as string}`,
            ]
          : []),
        ...(options.por === 'on'
          ? [
              por !== null
                ? porSummary(por, partial, count, restarts, porWarmup)
                : `no partial-order reduction: ${reduce as string}`,
            ]
          : []),
      ],
    };

    // a reduced search skips transitions on purpose: which steps fired says nothing of dead code
    const coverage = () =>
      partial > 0 ? {} : { coverage: coverageReport(model, fired, changed, common.properties) };
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
    const unwitnessed = unwitnessedResult({ ...common, ...coverage() }, reachables, safety.witnessed);
    if (unwitnessed !== null) return unwitnessed;
    return { ...common, ...coverage(), verdict: 'holds' };
  }
}

/**
 * workers 'auto': one thread up to AUTO_WORKERS_AFTER states; a search that goes on starts again
 * with one worker per core (the states explored so far are the price of not knowing in advance).
 */
async function exploreAuto(
  model: Model,
  options: SearchOptions,
  selected: Parameters<typeof parallelUnsupported>[2],
): Promise<Result> {
  const cores = availableParallelism();
  const single = { ...options, workers: 1 };
  if (cores < 2 || parallelUnsupported(model, options, selected) !== null) return explore(model, single);
  const limit = options.maxStates ?? Number.POSITIVE_INFINITY;
  if (limit <= AUTO_WORKERS_AFTER) return explore(model, single);
  const started = performance.now();
  const first = await explore(model, { ...single, maxStates: AUTO_WORKERS_AFTER, progress: undefined });
  if (first.verdict !== 'incomplete' || first.reason !== 'max-states') return first;
  const spent = (performance.now() - started) / 1000;
  const r = await exploreWithWorkers(
    model,
    {
      ...options,
      workers: cores,
      ...(options.timeLimit !== undefined ? { timeLimit: Math.max(0.001, options.timeLimit - spent) } : {}),
    },
    selected,
    explore,
  );
  const note = `${cores} workers: the search outgrew ${AUTO_WORKERS_AFTER.toLocaleString('en-US')} states in one thread (${spent.toFixed(1)} s, not counted above)`;
  return { ...r, reductions: [...(r.reductions ?? []), note] };
}

function porSummary(
  por: AmpleSets,
  partial: number,
  states: number,
  restarts: number,
  warmup: number,
): string {
  if (!por.analysed)
    return `partial-order reduction not needed: the search ended within the ${warmup.toLocaleString('en-US')} states it explores in full first`;
  const actions = por.exactActions + por.learnedActions;
  const learned =
    por.learnedActions > 0
      ? `, ${por.learnedActions} of ${actions} action footprints learned during the search${restarts > 0 ? ` (${restarts} restart${restarts > 1 ? 's' : ''})` : ''}`
      : '';
  return `partial-order reduction: ${partial} of ${states} states expanded by an ample set${learned}${por.propertiesExact ? '' : '; the properties read too much to analyse, so every write counts as visible'}`;
}
