import fc from 'fast-check';
import type { Model, Property } from '../model/model.ts';
import type { Walker } from './walker.ts';

/**
 * Shrinks a random walk's counterexample to a short, readable one, in two stages:
 *
 * 1. fast-check's own shrinker over the walk's choice list (index among the enabled transitions
 *    at each step, replayed as `choice mod n`): shorter lists, smaller choices;
 * 2. our passes over the steps themselves, replayed leniently (a step that is no longer enabled
 *    is skipped, and the trace ends at the first violation): delete chunks of steps (halving
 *    sizes, as in delta debugging) until no single step can go; then, among traces of that
 *    length, move blocks of steps next to another block of the same process to cut context
 *    switches, so the trace reads "CPU0 does this, then CPU1 does that".
 *
 * Every candidate is judged by replaying it against the model: it must violate the same property,
 * and violate nothing else first. Budgets are counts of replays, so a shrink is deterministic.
 */

export interface ShrinkTarget {
  readonly property: string;
  readonly invariants: readonly Property[];
  readonly checkDeadlock: boolean;
}

export interface ShrinkOutcome {
  /** The shrunk counterexample, as action ids from the initial state. */
  readonly actions: number[];
  /** Length and context switches of the raw walk, after fast-check's shrinker, and at the end. */
  readonly rawLength: number;
  readonly rawSwitches: number;
  readonly fastCheckLength: number;
  readonly fastCheckSwitches: number;
  readonly length: number;
  readonly switches: number;
  /** Replays spent (fast-check stage, our passes). */
  readonly fastCheckEvaluations: number;
  readonly passEvaluations: number;
}

export interface ShrinkBudget {
  /** Replays fast-check's shrinker may use. */
  readonly fastCheck: number;
  /** Replays our passes may use. */
  readonly passes: number;
}

export const DEFAULT_SHRINK_BUDGET: ShrinkBudget = { fastCheck: 4000, passes: 20000 };

/** The recorded choice list as a fast-check value, shrunk by fc.array(fc.nat())'s shrinker. */
class ChoiceListArbitrary extends fc.Arbitrary<number[]> {
  private readonly inner: fc.Arbitrary<number[]>;

  constructor(private readonly raw: readonly number[]) {
    super();
    this.inner = fc.array(fc.nat(), { maxLength: raw.length });
  }

  generate(): fc.Value<number[]> {
    return new fc.Value(this.raw.slice(), undefined);
  }

  canShrinkWithoutContext(value: unknown): value is number[] {
    return this.inner.canShrinkWithoutContext(value);
  }

  shrink(value: number[], context: unknown): fc.Stream<fc.Value<number[]>> {
    return this.inner.shrink(value, context);
  }
}

export function contextSwitches(model: Model, actions: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < actions.length; i++) {
    if (model.actions[actions[i]!]!.process !== model.actions[actions[i - 1]!]!.process) n++;
  }
  return n;
}

export function shrinkCounterexample(
  model: Model,
  walker: Walker,
  rawChoices: readonly number[],
  target: ShrinkTarget,
  budget: ShrinkBudget = DEFAULT_SHRINK_BUDGET,
): ShrinkOutcome {
  const violates = (choices: ArrayLike<number>, count: number) =>
    walker.run(null, choices, count, false) && walker.property === target.property;
  if (!violates(rawChoices, rawChoices.length)) {
    throw new Error('shrink: the recorded walk does not reproduce its violation');
  }
  const rawActions = Array.from(walker.taken.subarray(0, walker.length));

  // Stage 1: fast-check's shrinker over the choice list.
  let fcEvals = 0;
  const details = fc.check(
    fc.property(new ChoiceListArbitrary(rawChoices), (choices) => {
      if (++fcEvals > budget.fastCheck) return true;
      return !violates(choices, choices.length);
    }),
    { numRuns: 1, seed: 0 },
  );
  const shrunkChoices = details.counterexample?.[0] ?? rawChoices.slice();
  if (!violates(shrunkChoices, shrunkChoices.length)) {
    throw new Error('shrink: fast-check returned a choice list that does not violate');
  }
  const fcActions = Array.from(walker.taken.subarray(0, walker.length));

  // Stage 2: our passes over the steps.
  const replayer = new LenientReplay(model, target);
  const start = replayer.evaluate(fcActions);
  if (start === null) throw new Error('shrink: the walk does not replay step by step');
  const passes = new Passes(model, replayer, budget.passes);
  const best = passes.run(start);
  return {
    actions: best,
    rawLength: rawActions.length,
    rawSwitches: contextSwitches(model, rawActions),
    fastCheckLength: fcActions.length,
    fastCheckSwitches: contextSwitches(model, fcActions),
    length: best.length,
    switches: contextSwitches(model, best),
    fastCheckEvaluations: Math.min(fcEvals, budget.fastCheck),
    passEvaluations: replayer.evaluations,
  };
}

/**
 * Replays action ids from the initial state, skipping those not enabled where they come, and
 * stops at the first violation of a checked property. `evaluate` returns the steps actually
 * taken when that violation is the target's, else null.
 */
export class LenientReplay {
  evaluations = 0;
  private readonly init: Int32Array;
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  private enabled = 0;
  private readonly count = () => {
    this.enabled++;
  };

  constructor(
    private readonly model: Model,
    private readonly target: ShrinkTarget,
  ) {
    this.init = model.initialStates()[0]!;
    this.a = new Int32Array(model.layout.size);
    this.b = new Int32Array(model.layout.size);
  }

  evaluate(actions: readonly number[]): number[] | null {
    this.evaluations++;
    const { model, target } = this;
    let cur = this.a;
    let next = this.b;
    cur.set(this.init);
    const done: number[] = [];
    let v = this.check(cur);
    if (v !== null) return v === target.property ? done : null;
    for (const id of actions) {
      const t = model.fire(cur, id, next);
      if (t === null) continue;
      done.push(id);
      if (t.error !== null) return target.property === 'model-error' ? done : null;
      if (t.failed !== null) return t.failed === target.property ? done : null;
      const x = cur;
      cur = next;
      next = x;
      v = this.check(cur);
      if (v !== null) return v === target.property ? done : null;
    }
    return null;
  }

  private check(s: Int32Array): string | null {
    for (const inv of this.target.invariants) if (!inv.check(s)) return inv.name;
    if (this.target.checkDeadlock && this.target.property === 'deadlock') {
      this.enabled = 0;
      this.model.successors(s, this.b === s ? this.a : this.b, this.count);
      if (this.enabled === 0 && !this.model.isValidEnd(s)) return 'deadlock';
    }
    return null;
  }
}

class Passes {
  constructor(
    private readonly model: Model,
    private readonly replay: LenientReplay,
    private readonly budget: number,
  ) {}

  private get spent(): boolean {
    return this.replay.evaluations >= this.budget;
  }

  private better(a: readonly number[], b: readonly number[]): boolean {
    if (a.length !== b.length) return a.length < b.length;
    return contextSwitches(this.model, a) < contextSwitches(this.model, b);
  }

  run(start: number[]): number[] {
    let best = start;
    for (;;) {
      const before = best;
      best = this.deleteChunks(best);
      best = this.dropProcesses(best);
      best = this.mergeBlocks(best);
      if (best === before || this.spent) return best;
    }
  }

  /** Tries a candidate; returns the steps it took when it beats `best`, else null. */
  private attempt(candidate: readonly number[], best: readonly number[]): number[] | null {
    if (this.spent) return null;
    const r = this.replay.evaluate(candidate);
    return r !== null && this.better(r, best) ? r : null;
  }

  /** Delta-debugging deletions: chunks of half the trace, then quarters, ... down to single steps. */
  private deleteChunks(start: number[]): number[] {
    let best = start;
    for (let size = Math.max(1, best.length >> 1); size >= 1; size = size === 1 ? 0 : size >> 1) {
      for (let i = best.length - size; i >= 0; i--) {
        const r = this.attempt([...best.slice(0, i), ...best.slice(i + size)], best);
        if (r !== null) {
          best = r;
          i = Math.min(i, best.length - size) + 1;
        }
      }
    }
    return best;
  }

  /** Drops every step of one process at once (a CPU that plays no part in the bug). */
  private dropProcesses(start: number[]): number[] {
    let best = start;
    for (let p = 0; p < this.model.processes.length; p++) {
      const r = this.attempt(
        best.filter((id) => this.model.actions[id]!.process !== p),
        best,
      );
      if (r !== null) best = r;
    }
    return best;
  }

  /**
   * Moves a block (a maximal run of steps of one process) next to another block of the same
   * process: right after an earlier one, or right before a later one. A move is kept when the
   * trace still violates and is shorter or has fewer context switches.
   */
  private mergeBlocks(start: number[]): number[] {
    let best = start;
    let improved = true;
    while (improved && !this.spent) {
      improved = false;
      const blocks = this.blocks(best);
      outer: for (let i = 0; i < blocks.length; i++) {
        for (let j = 0; j < blocks.length; j++) {
          if (i === j || blocks[i]!.process !== blocks[j]!.process) continue;
          const r = this.attempt(this.move(best, blocks[i]!, blocks[j]!), best);
          if (r !== null) {
            best = r;
            improved = true;
            break outer;
          }
        }
      }
    }
    return best;
  }

  private blocks(trace: readonly number[]): { start: number; end: number; process: number }[] {
    const out: { start: number; end: number; process: number }[] = [];
    for (let i = 0; i < trace.length; i++) {
      const p = this.model.actions[trace[i]!]!.process;
      const last = out[out.length - 1];
      if (last && last.process === p) last.end = i + 1;
      else out.push({ start: i, end: i + 1, process: p });
    }
    return out;
  }

  /** `trace` with block `b` moved to just after `to` (if `to` is earlier) or just before it. */
  private move(
    trace: readonly number[],
    b: { start: number; end: number },
    to: { start: number; end: number },
  ): number[] {
    const moved = trace.slice(b.start, b.end);
    const rest = [...trace.slice(0, b.start), ...trace.slice(b.end)];
    const at = to.start < b.start ? to.end : to.start - (b.end - b.start);
    return [...rest.slice(0, at), ...moved, ...rest.slice(at)];
  }
}
