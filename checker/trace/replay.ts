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

export function replaySteps(
  model: Model,
  steps: readonly SavedStep[],
  expected: string | null,
): ReplayOutcome {
  let cur = model.initialStates()[0]!;
  const states: Int32Array[] = [cur];
  const done: TraceStep[] = [];
  let lastFailed: string | null = null;
  const trace = (): Trace => ({ model: model.name, config: model.config, steps: done, states });
  for (let i = 0; i < steps.length; i++) {
    const want = steps[i]!;
    const proc = model.processes.find((p) => p.name === want.process);
    const candidates = model.actions.filter(
      (a) => proc && a.process === proc.index && a.name === want.action && a.label === want.label,
    );
    let next: Int32Array | null = null;
    let actionId = -1;
    let reads = new Int32Array(0);
    for (const a of candidates) {
      const out = new Int32Array(cur.length);
      const t = model.fire(cur, a.id, out);
      if (t && t.error === null) {
        next = out;
        actionId = a.id;
        lastFailed = t.failed;
        reads = t.reads.slice(0, t.nReads);
        break;
      }
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
  const v = violatedBy(model, states, lastFailed);
  if (v === null) return { status: 'clean', trace: trace() };
  if (expected === null || v === expected) return { status: 'reproduced', property: v, trace: trace() };
  return { status: 'violates-other', property: v, trace: trace() };
}
