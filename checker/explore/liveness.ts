import type { LivenessProperty, Model } from '../model/model.ts';
import type { Result, Stats } from '../report/result.ts';
import { collisionProbability } from '../state/fingerprint-set.ts';
import { buildTrace, ReplayDivergence, type Trace } from '../trace/trace.ts';
import { selectProperties } from './bfs.ts';
import {
  describeFairness,
  type FairnessSpec,
  fairnessOf,
  fairnessUnits,
  formatFairness,
  STRONG,
  unitLevels,
  WEAK,
} from './fairness.ts';
import { foundResult, unwitnessedResult } from './found.ts';
import { exploreGraph, treePath } from './graph.ts';
import { checkLasso } from './lasso.ts';
import type { SearchOptions } from './options.ts';
import { FairCycleSearch } from './scc.ts';

/**
 * The check of a run that includes liveness properties: one breadth-first exploration that keeps
 * the state graph (graph.ts) and checks the safety properties on the way exactly as the safety
 * search does (same states, same shortest traces), then, when those hold, a fair-cycle search per
 * liveness property (scc.ts). A violation is a lasso whose cycle is fair under the property's
 * fairness (or `options.fairness`), re-checked independently (lasso.ts) before it is reported.
 *
 * Symmetry reduction is not applied: along a cycle of representatives the processes may be
 * permuted, and per-process fairness needs real process numbers.
 */

export async function exploreLiveness(model: Model, options: SearchOptions = {}): Promise<Result> {
  const { invariants, reachables, liveness } = selectProperties(
    model,
    options.properties,
    options.fairness !== undefined,
  );
  const checkDeadlock =
    (options.deadlock ?? 'report') === 'report' &&
    (!options.properties?.length || options.properties.includes('deadlock'));
  const units = fairnessUnits(model);
  // resolved before exploring, so a bad process name fails at once
  const specs = liveness.map((p) => fairnessOf(p, options.fairness));
  const levels = specs.map((s) => unitLevels(model, units, s));
  const started = performance.now();
  const run = await exploreGraph(model, options, { invariants, reachables, checkDeadlock, liveness }, units);

  let analysisBytes = 0;
  const stats = (): Stats => {
    const seconds = (performance.now() - started) / 1000;
    const count = run.states;
    return {
      states: count,
      transitions: run.transitions,
      depth: run.depth,
      seconds,
      statesPerSecond: seconds > 0 ? count / seconds : count,
      collisionProbability: collisionProbability(count),
      bytesPerState: count > 0 ? (run.peakBytes + analysisBytes) / count : 0,
      queuePeak: run.queuePeak,
    };
  };
  const common = () => ({
    model: model.name,
    config: model.config,
    stats: stats(),
    properties: [
      ...invariants.map((p) => p.name),
      ...reachables.map((p) => p.name),
      ...(checkDeadlock ? ['deadlock'] : []),
      ...liveness.map((p) => p.name),
    ],
    fairness: fairnessSummary(liveness, specs),
    ...(options.symmetry === 'on' && model.layout.symmetry.length > 0
      ? { reductions: ['symmetry not applied: liveness needs real process numbers for per-process fairness'] }
      : {}),
  });

  const f = run.found;
  if (f !== null) {
    const path = treePath(f.state, run.parent, run.via);
    if (f.action >= 0) path.actions.push(f.action);
    let trace: Trace;
    try {
      trace = buildTrace(model, run.inits[path.initial]!, path.actions);
    } catch (e) {
      if (e instanceof ReplayDivergence)
        return { ...common(), verdict: 'error', message: e.message, trace: null };
      throw e;
    }
    return foundResult(common(), f, trace);
  }
  if (run.stop !== null) {
    return {
      ...common(),
      verdict: 'incomplete',
      reason: run.stop.reason,
      detail: `${run.stop.detail}; liveness needs the whole state graph`,
    };
  }
  const unwitnessed = unwitnessedResult(common(), reachables, run.witnessed);
  if (unwitnessed !== null) return unwitnessed;

  const graph = run.graph!;
  const search = new FairCycleSearch(graph);
  analysisBytes = search.bytes;
  for (let k = 0; k < liveness.length; k++) {
    const p = liveness[k]!;
    const given = levels[k]!;
    let lasso = search.find(k, p.kind, given);
    if (options.signal?.aborted) {
      return { ...common(), verdict: 'incomplete', reason: 'interrupted', detail: 'interrupted' };
    }
    if (lasso === null) continue;
    // A cycle fair under stronger fairness is fair under this one too, and more convincing (a
    // weakly fair lasso may just starve a spinning waiter): report the strongest that has one.
    let even: string | null = null;
    for (const [name, level] of [
      ['strong', STRONG],
      ['weak', WEAK],
    ] as const) {
      const up = given.map((l) => Math.max(l, level));
      if (up.every((l, i) => l === given[i])) break;
      const better = search.find(k, p.kind, up);
      if (better !== null) {
        lasso = better;
        even = name;
        break;
      }
    }
    const actions = [...lasso.prefix, ...lasso.cycle];
    let trace: Trace;
    try {
      trace = buildTrace(model, run.inits[lasso.initial]!, actions);
    } catch (e) {
      if (e instanceof ReplayDivergence)
        return { ...common(), verdict: 'error', message: e.message, trace: null };
      throw e;
    }
    trace = { ...trace, cycleStart: lasso.prefix.length, fairness: formatFairness(specs[k]!) };
    const check = checkLasso(model, units, levels[k]!, p, trace.states, actions, lasso.prefix.length);
    if (!check.ok) {
      return {
        ...common(),
        verdict: 'error',
        message: `the lasso found for ${p.name} fails its own check (${check.reason}): a fingerprint collision or an engine bug`,
        trace,
      };
    }
    return {
      ...common(),
      fairness: `${describeFairness(specs[k]!)}${even && lasso.cycle.length > 0 ? `; the cycle is fair even under ${even} fairness` : ''}`,
      verdict: 'violated',
      violation: { property: p.name, kind: 'liveness', description: p.description, trace },
    };
  }
  return { ...common(), verdict: 'holds' };
}

function fairnessSummary(
  liveness: readonly LivenessProperty[],
  specs: readonly FairnessSpec[],
): string | undefined {
  if (liveness.length === 0) return undefined;
  const texts = specs.map(describeFairness);
  if (texts.every((t) => t === texts[0])) return texts[0];
  return liveness.map((p, i) => `${p.name}: ${texts[i]}`).join('; ');
}
