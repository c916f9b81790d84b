import type { ActionKind, Model, RunConfig } from '../model/model.ts';
import type { SymmetryReducer } from '../state/symmetry.ts';

/**
 * A counterexample: the initial state plus, per step, the process, its label and kernel text,
 * and the slots it changed. Rebuilt by replaying action ids from the initial state, so it costs
 * the search no stored states, and replaying it again must reproduce it exactly.
 */

export interface Change {
  readonly slot: number;
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

export interface TraceStep {
  readonly action: number;
  readonly process: number;
  readonly processName: string;
  readonly label: string;
  readonly name: string;
  readonly kind: ActionKind;
  /** The memory model's way of running the step (relaxed runs a step as is, or caught up), if not 0. */
  readonly memoryVariant?: number;
  readonly changes: readonly Change[];
  /** Shared variables the step loaded, as `name = value` (the value it saw). */
  readonly reads: readonly string[];
  /** This process's stores still in its store buffer after the step, as `name = value`. */
  readonly buffered: readonly string[];
}

export interface Trace {
  readonly model: string;
  readonly config: RunConfig;
  readonly steps: readonly TraceStep[];
  /** states[0] is the initial state; states[i + 1] the state after steps[i]. */
  readonly states: readonly Int32Array[];
  /** For a lasso (liveness) counterexample, the index in `steps` where the cycle starts. */
  readonly cycleStart?: number;
  /** For a lasso: the fairness it is fair under (`--fairness` syntax, e.g. `weak`). */
  readonly fairness?: string;
}

export class ReplayDivergence extends Error {
  constructor(
    readonly stepIndex: number,
    message: string,
  ) {
    super(message);
  }
}

/** Replays `actions` from `initial`; throws ReplayDivergence naming the first disabled step. */
export function buildTrace(model: Model, initial: Int32Array, actions: readonly number[]): Trace {
  const states: Int32Array[] = [initial.slice()];
  const steps: TraceStep[] = [];
  let cur = initial.slice();
  for (let i = 0; i < actions.length; i++) {
    const id = actions[i]!;
    const next = new Int32Array(cur.length);
    const t = model.fire(cur, id, next);
    const a = model.actions[id];
    if (!t || !a) {
      throw new ReplayDivergence(
        i,
        `step ${i + 1} (${a ? `${model.processes[a.process]!.name}: ${a.name}` : `action ${id}`}) is not enabled where the search took it: the model is not deterministic`,
      );
    }
    steps.push(describeStep(model, a.id, cur, next, t.reads.subarray(0, t.nReads)));
    states.push(next);
    cur = next;
  }
  return { model: model.name, config: model.config, steps, states };
}

/**
 * Rebuilds a trace found on representatives (symmetry reduction): `actions` were taken from
 * representative states, so at each step the real action is the one whose successor has the same
 * representative as the stored step's. The result is a trace in real process numbers that
 * replays like any other.
 */
export function buildTraceSymmetric(
  model: Model,
  reducer: SymmetryReducer,
  initial: Int32Array,
  actions: readonly number[],
): Trace {
  const len = initial.length;
  const canon = (x: Int32Array) => {
    const o = new Int32Array(len);
    reducer.canonicalize(x, o);
    return o;
  };
  const real: number[] = [];
  let r: Int32Array = initial.slice();
  let c: Int32Array = canon(r);
  const tmp = new Int32Array(len);
  for (let i = 0; i < actions.length; i++) {
    const t = model.fire(c, actions[i]!, tmp);
    if (!t)
      throw new ReplayDivergence(
        i,
        `step ${i + 1} is not enabled on the representative state: the model is not deterministic`,
      );
    const faulty = t.error !== null || t.failed !== null;
    const want = canon(tmp);
    const stored = model.actions[actions[i]!]!;
    let found = -1;
    let next: Int32Array | null = null;
    for (const b of model.actions) {
      const out = new Int32Array(len);
      const tb = model.fire(r, b.id, out);
      if (!tb) continue;
      if (faulty) {
        if ((tb.error !== null || tb.failed !== null) && b.name === stored.name && b.label === stored.label) {
          found = b.id;
          next = out;
          break;
        }
        continue;
      }
      if (tb.error !== null || tb.failed !== null) continue;
      const rc = canon(out);
      if (rc.every((v, k) => v === want[k])) {
        found = b.id;
        next = out;
        break;
      }
    }
    if (found < 0 || next === null) {
      throw new ReplayDivergence(
        i,
        `step ${i + 1} (${stored.name}) has no counterpart in real process numbers: the declared symmetry does not hold`,
      );
    }
    real.push(found);
    r = next;
    c = want;
  }
  return buildTrace(model, initial, real);
}

export function describeStep(
  model: Model,
  action: number,
  before: Int32Array,
  after: Int32Array,
  readSlots: Int32Array = new Int32Array(0),
): TraceStep {
  const a = model.actions[action]!;
  const changes: Change[] = [];
  const slots = model.layout.slots;
  for (let i = 0; i < before.length; i++) {
    if (before[i] !== after[i] && slots[i]!.kind !== 'memory' && slots[i]!.kind !== 'pc') {
      changes.push({
        slot: i,
        name: model.layout.slots[i]!.name,
        from: model.layout.format(i, before[i]!),
        to: model.layout.format(i, after[i]!),
      });
    }
  }
  return {
    action,
    process: a.process,
    processName: model.processes[a.process]!.name,
    label: a.label,
    name: a.name,
    kind: a.kind,
    ...(a.variant ? { memoryVariant: a.variant } : {}),
    changes,
    reads: describeReads(model, before, readSlots),
    buffered: model
      .pendingStores(after, a.process)
      .map((e) => `${slots[e.ref]!.name} = ${model.layout.format(e.ref, e.value)}`),
  };
}

export function finalState(trace: Trace): Int32Array {
  return trace.states[trace.states.length - 1]!;
}

/** Loads of shared memory (from memory, or forwarded from the CPU's own store buffer). */
/** Suffix of the slots where `relaxed` keeps a variable's previous value (see memory/relaxed.ts). */
const STALE_SUFFIX = ' (old value)';

function describeReads(model: Model, before: Int32Array, readSlots: Int32Array): string[] {
  const slots = model.layout.slots;
  const out: string[] = [];
  for (const r of readSlots) {
    const slot = slots[r];
    if (!slot) continue;
    let text: string | null = null;
    if (slot.kind === 'shared') text = `${slot.name} = ${model.layout.format(r, before[r]!)}`;
    else if (slot.kind === 'memory' && slot.name.endsWith('.value')) {
      const addr = before[r - 1]!;
      text = `${slots[addr]!.name} = ${model.layout.format(addr, before[r]!)} (own store buffer)`;
    } else if (slot.kind === 'memory' && slot.name.endsWith(STALE_SUFFIX)) {
      // relaxed: the CPU still sees the value before the newest one
      const name = slot.name.slice(0, -STALE_SUFFIX.length);
      const ref = slots.findIndex((x) => x.kind === 'shared' && x.name === name);
      const v = ref >= 0 ? model.layout.format(ref, before[r]!) : String(before[r]);
      text = `${name} = ${v} (stale: the newer value has not reached this CPU)`;
    }
    if (text !== null && !out.includes(text)) out.push(text);
  }
  return out;
}
