import { type FairnessSpec, fairnessOf, fairnessUnits, unitLevels } from '../explore/fairness.ts';
import { checkLasso, cycleCloses } from '../explore/lasso.ts';
import type { Model } from '../model/model.ts';
import { describeStep, type Trace, type TraceStep } from './trace.ts';
import type { SavedStep } from './trace-file.ts';

/**
 * Replays a saved trace step by step, matching each step by process, label and name among the
 * steps enabled at that point, then says what the final state violates.
 */
export type ReplayOutcome =
  | { readonly status: 'reproduced'; readonly property: string; readonly trace: Trace }
  | { readonly status: 'violates-other'; readonly property: string; readonly trace: Trace }
  | { readonly status: 'clean'; readonly trace: Trace }
  | { readonly status: 'diverged'; readonly step: number; readonly message: string; readonly trace: Trace };

/** Which property the trace's end violates: an invariant at some state, a failed step assertion, or deadlock. */
export function violatedBy(
  model: Model,
  states: readonly Int32Array[],
  lastFailed: string | null,
): string | null {
  for (const s of states) for (const inv of model.invariants) if (!inv.check(s)) return inv.name;
  if (lastFailed !== null) return lastFailed;
  const last = states[states.length - 1]!;
  let enabled = 0;
  model.successors(last, new Int32Array(last.length), () => {
    enabled++;
  });
  if (enabled === 0 && !model.isValidEnd(last)) return 'deadlock';
  return null;
}

/**
 * A lasso to check after the replay: the cycle (steps from `cycleStart` on) must return to its
 * first state, and the run is then checked against the model's liveness properties under
 * `fairness` (default: each property's own).
 */
export interface LassoReplay {
  readonly cycleStart: number;
  readonly fairness?: FairnessSpec;
}

/** The liveness property (the expected one first) that the lasso violates fairly, or null. */
function livenessViolatedBy(
  model: Model,
  states: readonly Int32Array[],
  actions: readonly number[],
  lasso: LassoReplay,
  expected: string | null,
): string | null {
  const props = [...(model.liveness ?? [])].sort(
    (a, b) => Number(b.name === expected) - Number(a.name === expected),
  );
  const units = fairnessUnits(model);
  for (const p of props) {
    const levels = unitLevels(model, units, fairnessOf(p, lasso.fairness));
    if (checkLasso(model, units, levels, p, states, actions, lasso.cycleStart).ok) return p.name;
  }
  return null;
}

export function replaySteps(
  model: Model,
  steps: readonly SavedStep[],
  expected: string | null,
  lasso?: LassoReplay,
): ReplayOutcome {
  let cur = model.initialStates()[0]!;
  const states: Int32Array[] = [cur];
  const done: TraceStep[] = [];
  let lastFailed: string | null = null;
  const trace = (): Trace => ({
    model: model.name,
    config: model.config,
    steps: done,
    states,
    ...(lasso ? { cycleStart: lasso.cycleStart } : {}),
  });
  for (let i = 0; i < steps.length; i++) {
    const want = steps[i]!;
    const proc = model.processes.find((p) => p.name === want.process);
    const candidates = model.actions.filter(
      (a) =>
        proc &&
        a.process === proc.index &&
        a.name === want.action &&
        a.label === want.label &&
        (a.variant ?? 0) === (want.memoryVariant ?? 0),
    );
    let next: Int32Array | null = null;
    let actionId = -1;
    let reads = new Int32Array(0);
    for (const a of candidates) {
      const out = new Int32Array(cur.length);
      const t = model.fire(cur, a.id, out);
      if (!t || t.error !== null) continue;
      next = out;
      actionId = a.id;
      lastFailed = t.failed;
      reads = t.reads.slice(0, t.nReads);
      break;
    }
    if (next === null) {
      const why = !proc
        ? `there is no process '${want.process}'`
        : candidates.length === 0
          ? `process ${want.process} has no step '${want.action}' at label ${want.label}`
          : `'${want.action}' is not enabled for ${want.process} there`;
      return {
        status: 'diverged',
        step: i + 1,
        message: `replay diverged at step ${i + 1}: ${why}`,
        trace: trace(),
      };
    }
    done.push(describeStep(model, actionId, cur, next, reads));
    states.push(next);
    cur = next;
  }
  if (lasso) {
    const closes = cycleCloses(states, lasso.cycleStart);
    if (!closes.ok) {
      return { status: 'diverged', step: steps.length, message: `replay: ${closes.reason}`, trace: trace() };
    }
    const live = livenessViolatedBy(
      model,
      states,
      done.map((d) => d.action),
      lasso,
      expected,
    );
    const safety = live === null || live !== expected ? violatedBy(model, states, lastFailed) : null;
    const v = live !== null && (live === expected || safety === null) ? live : safety;
    if (v === null) return { status: 'clean', trace: trace() };
    if (expected === null || v === expected) return { status: 'reproduced', property: v, trace: trace() };
    return { status: 'violates-other', property: v, trace: trace() };
  }
  const v = violatedBy(model, states, lastFailed);
  if (v === null) return { status: 'clean', trace: trace() };
  if (expected === null || v === expected) return { status: 'reproduced', property: v, trace: trace() };
  return { status: 'violates-other', property: v, trace: trace() };
}
