import type { LivenessProperty, Model } from '../model/model.ts';
import { type FairnessUnits, STRONG, WEAK } from './fairness.ts';

/**
 * Checks a lasso given as explicit states: that its cycle closes, that the infinite run it
 * stands for violates a liveness property, and that the cycle is fair. Independent of the graph
 * search, so the engine checks every lasso it reports with it, and `replay` checks saved ones.
 *
 * `states[0]` is the initial state, `states[i + 1]` the state after `actions[i]`; the cycle is
 * `actions[cycleStart ..]`, and an empty cycle means the run stutters in its last state, which is
 * only a run when nothing is enabled there.
 */

export type LassoCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

function same(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bitmask (as booleans) of the fairness units enabled in `s`. */
export function enabledUnits(model: Model, units: FairnessUnits, s: Int32Array): Uint8Array {
  const on = new Uint8Array(units.count);
  model.successors(s, new Int32Array(s.length), (t) => {
    on[units.unitOf[t.action]!] = 1;
  });
  return on;
}

export function cycleCloses(states: readonly Int32Array[], cycleStart: number): LassoCheck {
  const last = states[states.length - 1]!;
  const first = states[cycleStart];
  if (!first) return { ok: false, reason: `the cycle start ${cycleStart} is past the end of the trace` };
  if (!same(first, last)) {
    return {
      ok: false,
      reason: `the cycle does not return to its first state (the state before step ${cycleStart + 1})`,
    };
  }
  return { ok: true };
}

/** Does the run prefix + cycle^ω violate `p`? */
export function violates(p: LivenessProperty, states: readonly Int32Array[], cycleStart: number): boolean {
  const goal = states.map((s) => p.goal(s));
  const cycleMisses = goal.slice(cycleStart).every((g) => !g);
  if (!cycleMisses) return false;
  if (p.kind === 'alwaysEventually') return true;
  if (p.kind === 'eventually') return goal.every((g) => !g);
  // leadsTo: some trigger state from which no goal state follows
  for (let i = states.length - 1; i >= 0; i--) {
    if (goal[i]) return false;
    if (p.trigger(states[i]!)) return true;
  }
  return false;
}

/** Is the cycle fair under `levels` (per unit)? Returns the first unit it is unfair to. */
export function unfairUnit(
  model: Model,
  units: FairnessUnits,
  levels: Uint8Array,
  states: readonly Int32Array[],
  actions: readonly number[],
  cycleStart: number,
): number {
  const cycleStates = cycleStart === actions.length ? [states[cycleStart]!] : states.slice(cycleStart, -1);
  const some = new Uint8Array(units.count);
  const all = new Uint8Array(units.count).fill(1);
  for (const s of cycleStates) {
    const on = enabledUnits(model, units, s);
    for (let u = 0; u < units.count; u++) {
      if (on[u]) some[u] = 1;
      else all[u] = 0;
    }
  }
  const moved = new Uint8Array(units.count);
  for (let i = cycleStart; i < actions.length; i++) moved[units.unitOf[actions[i]!]!] = 1;
  for (let u = 0; u < units.count; u++) {
    if (moved[u]) continue;
    if (levels[u] === WEAK && all[u]) return u;
    if (levels[u] === STRONG && some[u]) return u;
  }
  return -1;
}

export function checkLasso(
  model: Model,
  units: FairnessUnits,
  levels: Uint8Array,
  property: LivenessProperty,
  states: readonly Int32Array[],
  actions: readonly number[],
  cycleStart: number,
): LassoCheck {
  const closes = cycleCloses(states, cycleStart);
  if (!closes.ok) return closes;
  if (cycleStart === actions.length) {
    const last = states[states.length - 1]!;
    let enabled = 0;
    model.successors(last, new Int32Array(last.length), () => {
      enabled++;
    });
    if (enabled > 0) {
      return {
        ok: false,
        reason: 'the cycle is empty but a step is enabled at its state, so the run does not stop there',
      };
    }
  }
  if (!violates(property, states, cycleStart)) {
    return { ok: false, reason: `the run does not violate ${property.name}` };
  }
  const u = unfairUnit(model, units, levels, states, actions, cycleStart);
  if (u >= 0) {
    const what = levels[u] === STRONG ? 'enabled infinitely often' : 'enabled throughout';
    return { ok: false, reason: `the cycle is unfair to ${units.names[u]}: it is ${what} but never moves` };
  }
  return { ok: true };
}
