import { instantiate } from '../model/define.ts';
import { ADD_FULL, ADD_NEW, FingerprintSet } from '../state/fingerprint-set.ts';
import { type LitmusTest, type Loc, locName, type Prop, type Value } from './ast.ts';
import { showProp } from './show.ts';
import { type Translation, translateLitmus } from './translate.ts';

/**
 * Runs a litmus test under a memory model: explores every execution of the translated model and
 * collects its final states (every process finished; every buffered store drained), as herd7
 * lists them: the valuation of the `locations`, `filter` and condition locations, distinct, with
 * the states the filter rejects left out. Positive/Negative count final states (herd7 counts
 * executions; an operational model has no execution graph to count).
 */

export type Observation = 'Never' | 'Sometimes' | 'Always';

export interface LitmusOutcome {
  readonly test: string;
  readonly file: string;
  readonly memory: string;
  /** The file's `Result:` line, if any. */
  readonly result: string | undefined;
  readonly quantifier: LitmusTest['quantifier'];
  readonly condition: string;
  /** herd7-style lines (`0:r1=0; [x]=1;`), sorted, each with whether it satisfies the condition. */
  readonly states: readonly { readonly values: string; readonly satisfies: boolean }[];
  readonly positive: number;
  readonly negative: number;
  readonly observation: Observation;
  /** herd7's Ok/No: the quantified condition holds. */
  readonly validated: boolean;
  /** Final states the filter discarded. */
  readonly filtered: number;
  /** End states where some process could not finish (a deadlock, e.g. a lock never released). */
  readonly blocked: number;
  /** Distinct states of the model explored. */
  readonly explored: number;
  readonly seconds: number;
}

export class LitmusRunError extends Error {}

export interface RunOptions {
  /** Give up (LitmusRunError) beyond this many distinct states. */
  readonly maxStates?: number;
}

const DEFAULT_MAX_STATES = 5_000_000;

export function runLitmus(test: LitmusTest, memory: string, options: RunOptions = {}): LitmusOutcome {
  const started = performance.now();
  const tr = translateLitmus(test);
  const model = instantiate(tr.def, { memory, bufferDepth: tr.bufferDepth });
  const observe = observer(test, tr);
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;

  const len = model.layout.size;
  const visited = new FingerprintSet(2 * 1024 ** 3, 12);
  let stack = new Int32Array(len * 256);
  let top = 0;
  const push = (s: Int32Array): void => {
    if ((top + 1) * len > stack.length) {
      const bigger = new Int32Array(stack.length * 2);
      bigger.set(stack);
      stack = bigger;
    }
    stack.set(s, top * len);
    top++;
  };
  const cur = new Int32Array(len);
  const out = new Int32Array(len);
  let enabled = 0;
  let error: string | null = null;
  const emit = (t: { error: string | null; failed: string | null }): void => {
    enabled++;
    if (t.error !== null && error === null) error = t.error;
    if (error !== null) return;
    const r = visited.add(out, len);
    if (r === ADD_NEW) push(out);
    else if (r === ADD_FULL) error = 'the visited set is full';
  };

  const finals = new Map<string, boolean>();
  let filtered = 0;
  let blocked = 0;
  for (const s of model.initialStates()) if (visited.add(s, len) === ADD_NEW) push(s);
  while (top > 0) {
    top--;
    cur.set(stack.subarray(top * len, top * len + len));
    enabled = 0;
    model.successors(cur, out, emit);
    if (error !== null) throw new LitmusRunError(`${test.file}: ${error}`);
    if (visited.size > maxStates) {
      throw new LitmusRunError(`${test.file}: more than ${maxStates} states under ${memory}; giving up`);
    }
    if (enabled > 0) continue;
    if (!model.isValidEnd(cur)) {
      blocked++;
      continue;
    }
    if (test.filter && !observe.holds(test.filter, cur)) {
      filtered++;
      continue;
    }
    const key = observe.line(cur);
    if (!finals.has(key)) finals.set(key, observe.holds(test.condition, cur));
  }

  const states = [...finals.entries()]
    .map(([values, satisfies]) => ({ values, satisfies }))
    .sort((a, b) => (a.values < b.values ? -1 : a.values > b.values ? 1 : 0));
  const positive = states.filter((s) => s.satisfies).length;
  const negative = states.length - positive;
  const observation: Observation = positive === 0 ? 'Never' : negative === 0 ? 'Always' : 'Sometimes';
  const validated =
    test.quantifier === 'exists'
      ? positive > 0
      : test.quantifier === 'forall'
        ? negative === 0
        : positive === 0;
  return {
    test: test.name,
    file: test.file,
    memory,
    result: test.result,
    quantifier: test.quantifier,
    condition: showProp(test.condition),
    states,
    positive,
    negative,
    observation,
    validated,
    filtered,
    blocked,
    explored: visited.size,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Reads the observed locations of a final state, and evaluates propositions over it. */
function observer(test: LitmusTest, tr: Translation) {
  const locs = new Map<string, Loc>();
  const add = (l: Loc): void => {
    locs.set(locName(l), l);
  };
  test.locations.forEach(add);
  const visit = (p: Prop): void => {
    if (p.kind === 'eq') {
      add(p.loc);
      if (p.value.kind === 'var' || p.value.kind === 'reg') add(p.value);
    } else if (p.kind === 'not') visit(p.arg);
    else if (p.kind === 'and' || p.kind === 'or') {
      visit(p.left);
      visit(p.right);
    }
  };
  if (test.filter) visit(test.filter);
  visit(test.condition);
  const ordered = [...locs.values()].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'reg' ? -1 : 1;
    if (a.kind === 'reg' && b.kind === 'reg' && a.proc !== b.proc) return a.proc - b.proc;
    const an = a.kind === 'reg' ? a.reg : a.name;
    const bn = b.kind === 'reg' ? b.reg : b.name;
    return an < bn ? -1 : an > bn ? 1 : 0;
  });
  const slotOf = (l: Loc): number => {
    if (l.kind === 'var') {
      const ref = tr.slots.vars.get(l.name);
      if (ref === undefined)
        throw new LitmusRunError(
          `${test.file}: the final condition names '${l.name}', which is not a variable`,
        );
      return ref;
    }
    if (l.proc >= test.procs.length) {
      throw new LitmusRunError(
        `${test.file}: the final condition names ${l.proc}:${l.reg}, but there is no P${l.proc}`,
      );
    }
    // a register the process never mentions keeps its initial value, 0
    return tr.slots.regs.get(`${l.proc}:${l.reg}`) ?? -1;
  };
  const slots = ordered.map(slotOf);
  const valueAt = (s: Int32Array, slot: number): number => (slot < 0 ? 0 : s[slot]!);
  const constant = (v: Value): number => tr.valueOf(v);
  const holds = (p: Prop, s: Int32Array): boolean => {
    switch (p.kind) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'not':
        return !holds(p.arg, s);
      case 'and':
        return holds(p.left, s) && holds(p.right, s);
      case 'or':
        return holds(p.left, s) || holds(p.right, s);
      case 'eq': {
        const left = valueAt(s, slotOf(p.loc));
        const right =
          p.value.kind === 'var' || p.value.kind === 'reg' ? valueAt(s, slotOf(p.value)) : constant(p.value);
        return (left === right) !== p.negated;
      }
    }
  };
  const line = (s: Int32Array): string =>
    ordered
      .map((l, i) => `${l.kind === 'var' ? `[${l.name}]` : locName(l)}=${tr.format(valueAt(s, slots[i]!))};`)
      .join(' ');
  return { holds, line };
}

/**
 * Does an outcome agree with an expected result (`Never`, `Sometimes`, `Always`, or `DEADLOCK`:
 * no finished execution passes the filter, or some execution cannot finish)? Undefined when the
 * expectation is not one of those.
 */
export function agrees(o: LitmusOutcome, expected: string | undefined): boolean | undefined {
  if (expected === undefined) return undefined;
  const e = expected.trim();
  if (/^deadlock$/i.test(e)) return o.positive + o.negative === 0 || o.blocked > 0;
  if (e === 'Never' || e === 'Sometimes' || e === 'Always') return o.observation === e;
  return undefined;
}
