import type { Model, Property, Transition } from '../model/model.ts';
import type { PropertyKind } from '../report/result.ts';
import { ADD_FULL, FingerprintSet } from '../state/fingerprint-set.ts';
import { StateSketch } from '../state/sketch.ts';
import type { Strategy } from './strategy.ts';

/**
 * One random walk at a time over a Model: at each state every enabled transition is generated
 * into a pool of reused buffers (so every successor is checked: invariants, failed assertions,
 * model errors), one is taken, and the walk goes on until no step is enabled, the depth is
 * reached, or something is violated. The choice made at each step (its index among the enabled
 * transitions) is recorded, so a walk can be replayed from that list alone. Nothing is allocated
 * per step: the pool only grows when a state has more enabled transitions than any before.
 */

export interface WalkerConfig {
  readonly invariants: readonly Property[];
  readonly reachables: readonly Property[];
  readonly checkDeadlock: boolean;
  /** Longest walk, in steps. */
  readonly depth: number;
  /** Byte cap of the set of fingerprints counting distinct states. */
  readonly memoryCapBytes: number;
}

export const DEADLOCK_DESCRIPTION = 'no step is enabled and not every process is at a valid end';

export class Walker {
  /** Index among the enabled transitions taken at each step of the last walk. */
  readonly choices: Int32Array;
  /** Action taken at each step of the last walk. */
  readonly taken: Int32Array;
  /** Steps in the last walk (including the violating one, for a violation found in a step). */
  length = 0;
  /** What the last walk violated, or null. */
  property: string | null = null;
  kind: PropertyKind = 'invariant';
  description = '';
  /** A model error raised by the violating step. */
  error: string | null = null;

  // Totals over the walks run with `record` set.
  walks = 0;
  steps = 0;
  transitions = 0;
  longest = 0;
  /** Times each action was taken. */
  readonly fired: Float64Array;
  /** Per reachable property, 1 once a visited state witnessed it. */
  readonly witnessed: Uint8Array;
  readonly visited: FingerprintSet;
  readonly sketch = new StateSketch();
  /** The fingerprint set hit its cap: distinct states are then only estimated by the sketch. */
  saturated = false;

  private readonly init: Int32Array;
  private readonly len: number;
  private cur: Int32Array;
  private readonly out: Int32Array;
  private pool: Int32Array[] = [];
  private acts = new Int32Array(16);
  private procs = new Int32Array(16);
  private n = 0;
  /** Index in the pool of the first successor that violates something, or -1. */
  private bad = -1;
  private badProperty = '';
  private badKind: PropertyKind = 'invariant';
  private badDescription = '';
  private badError: string | null = null;

  constructor(
    private readonly model: Model,
    private readonly config: WalkerConfig,
  ) {
    this.init = model.initialStates()[0]!;
    this.len = model.layout.size;
    this.cur = new Int32Array(this.len);
    this.out = new Int32Array(this.len);
    for (let i = 0; i < 16; i++) this.pool.push(new Int32Array(this.len));
    this.choices = new Int32Array(config.depth);
    this.taken = new Int32Array(config.depth);
    this.fired = new Float64Array(model.actions.length);
    this.witnessed = new Uint8Array(config.reachables.length);
    this.visited = new FingerprintSet(config.memoryCapBytes, 12);
  }

  /** Distinct states visited so far (a lower bound once the fingerprint set is saturated). */
  get distinct(): number {
    return this.visited.size;
  }

  private readonly collect = (t: Transition): void => {
    const i = this.n;
    if (i === this.pool.length) this.growPool();
    const s = this.pool[i]!;
    s.set(this.out);
    this.acts[i] = t.action;
    this.procs[i] = t.process;
    this.n = i + 1;
    if (this.bad >= 0) return;
    if (t.error !== null) {
      this.setBad(i, 'model-error', 'assertion', t.error, t.error);
    } else if (t.failed !== null) {
      this.setBad(i, t.failed, 'assertion', `assertion ${t.failed} failed in a step`, null);
    } else {
      const invs = this.config.invariants;
      for (let k = 0; k < invs.length; k++) {
        const inv = invs[k]!;
        if (!inv.check(s)) {
          this.setBad(i, inv.name, 'invariant', inv.description, null);
          return;
        }
      }
    }
  };

  private readonly countOnly = (): void => {
    this.n++;
  };

  private setBad(i: number, property: string, kind: PropertyKind, description: string, error: string | null) {
    this.bad = i;
    this.badProperty = property;
    this.badKind = kind;
    this.badDescription = description;
    this.badError = error;
  }

  private growPool(): void {
    const n = this.pool.length * 2;
    for (let i = this.pool.length; i < n; i++) this.pool.push(new Int32Array(this.len));
    const a = new Int32Array(n);
    a.set(this.acts);
    this.acts = a;
    const p = new Int32Array(n);
    p.set(this.procs);
    this.procs = p;
  }

  private violation(property: string, kind: PropertyKind, description: string, error: string | null): true {
    this.property = property;
    this.kind = kind;
    this.description = description;
    this.error = error;
    return true;
  }

  /**
   * Runs one walk from the initial state. With a strategy, it picks each step; otherwise each
   * step takes `given[i] mod n` among the n enabled transitions and the walk ends after `count`
   * steps. With `record`, the walk counts in the coverage totals. Returns true on a violation
   * (then `property`, `kind`, ... say what, and `taken[0..length)` is the way there).
   */
  run(strategy: Strategy | null, given: ArrayLike<number> | null, count: number, record: boolean): boolean {
    const model = this.model;
    const invs = this.config.invariants;
    this.property = null;
    this.error = null;
    this.length = 0;
    let cur = this.cur;
    cur.set(this.init);
    if (record) this.visit(cur);
    for (let k = 0; k < invs.length; k++) {
      const inv = invs[k]!;
      if (!inv.check(cur)) return this.violation(inv.name, 'invariant', inv.description, null);
    }
    const limit = strategy !== null ? this.config.depth : Math.min(count, this.config.depth);
    let found = false;
    let step = 0;
    for (; step < limit; step++) {
      this.n = 0;
      this.bad = -1;
      model.successors(cur, this.out, this.collect);
      const n = this.n;
      if (record) this.transitions += n;
      if (n === 0) {
        if (this.config.checkDeadlock && !model.isValidEnd(cur)) {
          found = this.violation('deadlock', 'deadlock', DEADLOCK_DESCRIPTION, null);
        }
        break;
      }
      let k: number;
      if (this.bad >= 0) k = this.bad;
      else if (strategy !== null) k = strategy.pick(step, n, this.procs);
      else k = given![step]! % n;
      this.choices[step] = k;
      this.taken[step] = this.acts[k]!;
      const next = this.pool[k]!;
      this.pool[k] = cur;
      cur = next;
      if (record) {
        this.fired[this.acts[k]!]!++;
        this.visit(cur);
      }
      if (this.bad === k) {
        step++;
        found = this.violation(this.badProperty, this.badKind, this.badDescription, this.badError);
        break;
      }
    }
    if (step === limit && this.config.checkDeadlock) {
      // the walk stopped at its bound: the state it stopped in may still be a deadlock
      this.n = 0;
      model.successors(cur, this.out, this.countOnly);
      if (this.n === 0 && !model.isValidEnd(cur)) {
        found = this.violation('deadlock', 'deadlock', DEADLOCK_DESCRIPTION, null);
      }
    }
    this.cur = cur;
    this.length = step;
    if (record) {
      this.walks++;
      this.steps += step;
      if (step > this.longest) this.longest = step;
    }
    return found;
  }

  private visit(s: Int32Array): void {
    const v = this.visited;
    if (!this.saturated) {
      if (v.add(s, this.len) === ADD_FULL) this.saturated = true;
    } else {
      v.hash(s, this.len);
    }
    this.sketch.add(v.hi, v.lo);
    const rs = this.config.reachables;
    for (let i = 0; i < rs.length; i++) {
      if (this.witnessed[i] === 0 && rs[i]!.check(s)) this.witnessed[i] = 1;
    }
  }
}
