import { explore } from '../explore/bfs.ts';
import type { SearchOptions } from '../explore/options.ts';
import { instrument, OpCode, opCodeName, Weak } from '../memory/instrument.ts';
import { type InstanceOptions, instantiate, type ModelDefinition } from '../model/define.ts';
import type { Model } from '../model/model.ts';
import type { Result } from '../report/result.ts';
import { kernelCaller, type MarkedStep, markSteps, type StepProbe } from './steps.ts';

/**
 * "Is this smp_mb() needed?": every ordering operation the fixed variant performs (fences,
 * atomic RMWs, release/acquire accesses, lock acquisitions) is found by running the model once
 * with an instrumented Context; then each one, in turn, is replaced by its weak form (a fence
 * removed, an RMW made a plain load and store, a lock not taken) in every process that runs that
 * code, and the model is checked again. An operation is needed when its weak form breaks a
 * property; the shortest counterexample says why. Operations that are redundant alone are then
 * weakened two at a time within one role: a pair that breaks only together orders the same
 * thing twice (on x86, either LOCKed instruction of a Dekker pair suffices).
 */

export interface OpSite {
  /** The role whose code performs it (symmetry class, or process name without its number). */
  readonly role: string;
  readonly processes: readonly string[];
  readonly label: string;
  /** The step's kernel text (of the role's first process). */
  readonly step: string;
  /** The kernel primitive, e.g. `smp_mb()`, `set_bit`, `spin_lock`. */
  readonly op: string;
  /** How it is weakened. */
  readonly weakened: string;
  /** Index among the step's ordering operations (0-based), and the operation's code. */
  readonly k: number;
  readonly code: number;
  readonly weak: Weak;
  /** The marked steps (one per process of the role) it occurs in. */
  readonly steps: readonly number[];
}

export type NecessityVerdict = 'needed' | 'redundant' | 'unreached' | 'incomplete' | 'error';

export interface SiteOutcome {
  readonly verdict: NecessityVerdict;
  /** needed: the property broken; unreached: the reachable property no longer witnessed. */
  readonly property: string | null;
  readonly kind: string | null;
  /** needed: the shortest counterexample's length in steps. */
  readonly traceLength: number | null;
  readonly states: number;
  readonly detail: string;
  readonly result: Result;
}

export interface PairOutcome {
  readonly a: number;
  readonly b: number;
  readonly outcome: SiteOutcome;
}

export interface NecessityReport {
  readonly model: Model;
  readonly baseline: Result;
  readonly sites: readonly OpSite[];
  readonly outcomes: readonly SiteOutcome[];
  /** Pairs of individually redundant operations of one role that are needed together. */
  readonly pairs: readonly PairOutcome[];
}

export interface NecessityOptions extends InstanceOptions {
  readonly search?: SearchOptions;
  /** Also weaken redundant operations of one role two at a time (default true). */
  readonly pairs?: boolean;
  /** Called before each run, for progress output. */
  readonly onRun?: (what: string, done: number, total: number) => void;
}

export class NecessityError extends Error {
  constructor(
    message: string,
    readonly baseline: Result,
  ) {
    super(message);
  }
}

const LOCK_ACQUIRE = /^(raw_)?(spin|mutex)_(lock|trylock)(_\w+)?$/;

function weakFor(code: number, op: string): { weak: Weak; text: string } {
  if ((code === OpCode.cmpxchg || code === OpCode.lockAcquire) && LOCK_ACQUIRE.test(op))
    return { weak: Weak.noLock, text: 'lock not taken' };
  if (code < 8) return { weak: Weak.plain, text: 'removed' };
  if (code === OpCode.cmpxchg) return { weak: Weak.plain, text: 'load; then store if equal (2 steps)' };
  if (code === OpCode.loadAcquire) return { weak: Weak.plain, text: 'plain load' };
  if (code === OpCode.storeRelease || code === OpCode.unlockRelease)
    return { weak: Weak.plain, text: 'plain store' };
  return { weak: Weak.plain, text: 'load; then store (2 steps)' };
}

interface Found {
  readonly step: number;
  readonly k: number;
  readonly code: number;
  readonly op: string;
}

/** Runs `def` with the ops in `targets` (step -> k -> code) weakened; records new ops into `found`. */
async function run(
  def: ModelDefinition,
  options: NecessityOptions,
  targets: readonly OpSite[],
  found: Map<number, Found> | null,
): Promise<{ result: Result; model: Model; steps: MarkedStep[] }> {
  const probe: StepProbe = { step: -1 };
  const steps: MarkedStep[] = [];
  const model = instantiate(markSteps(def, probe, steps), { ...options, splitStores: true });
  const bySite = targets.map((t) => ({ steps: new Set(t.steps), k: t.k, code: t.code, weak: t.weak }));
  instrument(model.context, {
    onBegin: () => {
      probe.step = -1;
    },
    weaken: (k, code) => {
      const step = probe.step;
      if (step < 0) return Weak.none;
      if (found !== null) {
        const key = step * 65536 + k * 64 + code;
        if (!found.has(key)) found.set(key, { step, k, code, op: kernelCaller() ?? opCodeName(code) });
      }
      for (let i = 0; i < bySite.length; i++) {
        const t = bySite[i]!;
        if (t.k === k && t.code === code && t.steps.has(step)) return t.weak;
      }
      return Weak.none;
    },
  });
  const result = await explore(model, options.search ?? {});
  return { result, model, steps };
}

function outcomeOf(r: Result): SiteOutcome {
  const states = r.stats.states;
  switch (r.verdict) {
    case 'holds':
      return {
        verdict: 'redundant',
        property: null,
        kind: null,
        traceLength: null,
        states,
        detail: '',
        result: r,
      };
    case 'violated': {
      const v = r.violation;
      if (v.kind === 'reachable')
        return {
          verdict: 'unreached',
          property: v.property,
          kind: v.kind,
          traceLength: null,
          states,
          detail: v.description,
          result: r,
        };
      return {
        verdict: 'needed',
        property: v.property,
        kind: v.kind,
        traceLength: v.trace?.steps.length ?? null,
        states,
        detail: v.description,
        result: r,
      };
    }
    case 'incomplete':
      return {
        verdict: 'incomplete',
        property: null,
        kind: null,
        traceLength: null,
        states,
        detail: r.detail,
        result: r,
      };
    default:
      return {
        verdict: 'error',
        property: null,
        kind: null,
        traceLength: null,
        states,
        detail: r.message,
        result: r,
      };
  }
}

/** Groups the operations found into sites: one per (role, step, position, operation). */
function sitesOf(found: Iterable<Found>, steps: readonly MarkedStep[]): OpSite[] {
  const groups = new Map<string, { first: Found; steps: Set<number>; processes: Set<string> }>();
  for (const f of found) {
    const st = steps[f.step]!;
    const key = `${st.role}\0${st.label}\0${st.index}\0${f.k}\0${f.code}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { first: f, steps: new Set(), processes: new Set() }));
    g.steps.add(f.step);
    g.processes.add(st.processName);
  }
  // every process of the role runs the same code: weaken it in all of them, seen there or not
  const sites: OpSite[] = [];
  for (const g of groups.values()) {
    const st = steps[g.first.step]!;
    for (const other of steps) {
      if (other.role === st.role && other.label === st.label && other.index === st.index) {
        g.steps.add(steps.indexOf(other));
        g.processes.add(other.processName);
      }
    }
    const w = weakFor(g.first.code, g.first.op);
    sites.push({
      role: st.role,
      processes: [...g.processes].sort(),
      label: st.label,
      step: st.name,
      op: g.first.op,
      weakened: w.text,
      k: g.first.k,
      code: g.first.code,
      weak: w.weak,
      steps: [...g.steps].sort((a, b) => a - b),
    });
  }
  const order = (s: OpSite) => Math.min(...s.steps);
  return sites.sort((a, b) => order(a) - order(b) || a.k - b.k);
}

export async function necessity(
  def: ModelDefinition,
  options: NecessityOptions = {},
): Promise<NecessityReport> {
  const found = new Map<number, Found>();
  options.onRun?.('baseline', 0, 1);
  const base = await run(def, options, [], found);
  if (base.result.verdict !== 'holds') {
    const why =
      base.result.verdict === 'violated'
        ? `${base.result.violation.property} is violated`
        : base.result.verdict === 'incomplete'
          ? `the run is incomplete (${base.result.detail})`
          : `model error: ${base.result.message}`;
    throw new NecessityError(
      `variant ${base.model.config.variant} of ${def.name} does not hold under ${base.model.config.memory}: ${why}; ` +
        'necessity weakens the operations of a variant that holds',
      base.result,
    );
  }
  const sites = sitesOf(found.values(), base.steps);
  const outcomes: SiteOutcome[] = [];
  for (let i = 0; i < sites.length; i++) {
    options.onRun?.(`${sites[i]!.op} in ${sites[i]!.label}`, i + 1, sites.length);
    outcomes.push(outcomeOf((await run(def, options, [sites[i]!], null)).result));
  }
  const pairs: PairOutcome[] = [];
  if (options.pairs ?? true) {
    const redundant = sites.map((_, i) => i).filter((i) => outcomes[i]!.verdict === 'redundant');
    const todo: [number, number][] = [];
    for (let x = 0; x < redundant.length; x++)
      for (let y = x + 1; y < redundant.length; y++) {
        const a = redundant[x]!;
        const b = redundant[y]!;
        if (sites[a]!.role === sites[b]!.role) todo.push([a, b]);
      }
    for (const [n, [a, b]] of todo.entries()) {
      options.onRun?.(`${sites[a]!.op} with ${sites[b]!.op}`, n + 1, todo.length);
      const o = outcomeOf((await run(def, options, [sites[a]!, sites[b]!], null)).result);
      if (o.verdict === 'needed') pairs.push({ a, b, outcome: o });
    }
  }
  return { model: base.model, baseline: base.result, sites, outcomes, pairs };
}
