import fc from 'fast-check';
import type { ActionKind, Model } from '../model/model.ts';
import type { IncompleteReason, Result, Stats } from '../report/result.ts';
import { collisionProbability } from '../state/fingerprint-set.ts';
import { StateSketch } from '../state/sketch.ts';
import { buildTrace, ReplayDivergence } from '../trace/trace.ts';
import { selectProperties } from './bfs.ts';
import { checkedProperties } from './found.ts';
import { contextSwitches, DEFAULT_SHRINK_BUDGET, type ShrinkBudget, shrinkCounterexample } from './shrink.ts';
import { PctStrategy, type Strategy, type StrategyName, UniformStrategy } from './strategy.ts';
import { Walker } from './walker.ts';

/**
 * The randomized explorer (issue 7): random walks driven by fast-check. fast-check generates one
 * schedule per run (a 32-bit seed from which the strategy draws the choice among the enabled
 * transitions at every step), numbers the runs so a `seed` plus a `path` (the run's index)
 * reproduces one walk exactly, and shrinks the choice list of a failing walk; shrink.ts then
 * takes the trace down to a short one with few context switches.
 *
 * A random search proves nothing: a run without a violation ends `incomplete`, with what it
 * covered (walks, steps, distinct states, which steps never fired, which reachable properties
 * were witnessed). Only the Model interface is used; nothing here knows of KVM.
 */

export interface Shard {
  /** 0-based index of this shard. */
  readonly index: number;
  readonly count: number;
}

export interface RandomOptions {
  /** Base seed (an unsigned 32-bit integer); with a shard, fast-check's seed is derived from it. */
  readonly seed: number;
  /** Walks to run; Infinity runs until the time limit or an interrupt. Default 10,000. */
  readonly runs?: number;
  /** Steps per walk at most. Default 500. */
  readonly depth?: number;
  /** fast-check path of one walk (its run index): replay only that walk. */
  readonly path?: string;
  /** Runs shard `index` of `count`: each shard gets its own part of the seed space. */
  readonly shard?: Shard;
  readonly strategy?: StrategyName;
  /** PCT's depth d (d-1 priority change points). Default 3. */
  readonly depthBound?: number;
  /** Seconds before stopping (checked between walks). */
  readonly timeLimit?: number;
  /** Byte cap of the fingerprint set counting distinct states (past it, they are estimated). */
  readonly memoryCapBytes?: number;
  readonly deadlock?: 'report' | 'off';
  readonly properties?: readonly string[];
  /** Shrink a counterexample (default true). */
  readonly shrink?: boolean;
  readonly shrinkBudget?: ShrinkBudget;
  readonly progress?: (p: RandomProgress) => void;
  readonly progressMs?: number;
  readonly signal?: AbortSignal;
}

export interface RandomProgress {
  readonly walks: number;
  readonly steps: number;
  readonly states: number;
  readonly seconds: number;
  readonly stepsPerSecond: number;
}

export const RANDOM_DEFAULTS = { runs: 10_000, depth: 500, depthBound: 3, strategy: 'uniform' } as const;
const DEFAULT_RANDOM_MEMORY_CAP = 1024 ** 3;

export interface RandomSearch {
  readonly strategy: StrategyName;
  /** PCT only: d, and the walk length k its change points are spread over. */
  readonly depthBound: number | null;
  readonly pctLength: number | null;
  readonly seed: number;
  /** The seed fast-check ran with (equal to `seed` without a shard). */
  readonly fastCheckSeed: number;
  readonly shard: Shard | null;
  /** Walks asked for (null: unbounded). */
  readonly runs: number | null;
  readonly depth: number;
  readonly path: string | null;
  readonly walks: number;
  readonly steps: number;
  readonly transitions: number;
  /** Distinct states visited (exact unless `saturated`). */
  readonly distinct: number;
  /** The sketch's estimate of distinct states (what merges across shards). */
  readonly distinctEstimate: number;
  readonly saturated: boolean;
  readonly longestWalk: number;
  readonly seconds: number;
  readonly stepsPerSecond: number;
}

export interface ActionCoverage {
  readonly process: string;
  readonly label: string;
  readonly name: string;
  readonly kind: ActionKind;
  readonly fired: number;
}

export interface Coverage {
  /** Every action of the model with the number of times a walk took it. */
  readonly actions: readonly ActionCoverage[];
  readonly reachables: readonly { readonly name: string; readonly witnessed: boolean }[];
  /** HyperLogLog registers of the visited states' fingerprints, base64 (see state/sketch.ts). */
  readonly sketch: string;
}

export interface Counterexample {
  /** fast-check's path of the failing walk (its run index); with the seed it reproduces the walk. */
  readonly path: string;
  readonly rawLength: number;
  readonly rawSwitches: number;
  readonly fastCheckLength: number;
  readonly fastCheckSwitches: number;
  readonly shrunkLength: number;
  readonly shrunkSwitches: number;
  readonly shrinkEvaluations: number;
  readonly shrinkSeconds: number;
}

export interface RandomReport {
  /** `violated` or `error` with the shrunk trace, or `incomplete`: never `holds`. */
  readonly result: Result;
  readonly search: RandomSearch;
  readonly coverage: Coverage;
  readonly counterexample: Counterexample | null;
}

export class RandomOptionError extends Error {}

/** fast-check's seed for a shard: the seed space split by residue, so shards never share a seed. */
export function shardSeed(seed: number, shard: Shard | undefined): number {
  if (!shard) return seed >>> 0;
  return (((seed >>> 0) * shard.count + shard.index) % 2 ** 32) >>> 0;
}

/** Thrown inside the property to end the fast-check run for a limit; never a violation. */
class Stop extends Error {
  constructor(
    readonly reason: IncompleteReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** One fast-check value per walk: the 32-bit seed its schedule is drawn from. */
class ScheduleSeeds extends fc.Arbitrary<number> {
  generate(mrng: fc.Random): fc.Value<number> {
    return new fc.Value(mrng.nextInt(), undefined);
  }
  canShrinkWithoutContext(_value: unknown): _value is number {
    return false;
  }
  shrink(): fc.Stream<fc.Value<number>> {
    return fc.Stream.nil();
  }
}

function validate(o: RandomOptions): void {
  const posInt = (name: string, v: number | undefined, allowInfinity = false) => {
    if (v === undefined) return;
    if (allowInfinity && v === Number.POSITIVE_INFINITY) return;
    if (!Number.isInteger(v) || v <= 0) throw new RandomOptionError(`${name} must be a positive integer`);
  };
  posInt('runs', o.runs, true);
  posInt('depth', o.depth);
  posInt('depthBound', o.depthBound);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed >= 2 ** 32)
    throw new RandomOptionError('seed must be an integer in 0..4294967295');
  if (o.shard && !(Number.isInteger(o.shard.count) && o.shard.count >= 1 && o.shard.index >= 0))
    throw new RandomOptionError('shard must be i/N with 0 <= i < N');
  if (o.shard && !(Number.isInteger(o.shard.index) && o.shard.index < o.shard.count))
    throw new RandomOptionError('shard must be i/N with 0 <= i < N');
  if (o.path !== undefined && !/^\d+$/.test(o.path))
    throw new RandomOptionError('path must be a walk number printed by a random run');
  if (o.strategy !== undefined && o.strategy !== 'uniform' && o.strategy !== 'pct')
    throw new RandomOptionError('strategy must be uniform or pct');
}

/**
 * PCT spreads its change points over the length k of a walk; k is estimated from a few uniform
 * walks drawn from the seed, so it is the same whenever the seed is.
 */
function estimateWalkLength(walker: Walker, seed: number): number {
  const u = new UniformStrategy();
  let total = 0;
  const n = 16;
  for (let i = 0; i < n; i++) {
    u.begin((seed ^ Math.imul(i + 1, 0x9e3779b1)) | 0);
    walker.run(u, null, 0, false);
    total += walker.length;
  }
  return Math.max(1, Math.round(total / n));
}

export async function exploreRandom(model: Model, options: RandomOptions): Promise<RandomReport> {
  validate(options);
  const { invariants, reachables, liveness } = selectProperties(model, options.properties);
  if (liveness.length > 0) {
    throw new RandomOptionError(
      `${liveness.map((p) => p.name).join(', ')}: a random walk cannot check liveness; random mode checks invariants, assertions and deadlock`,
    );
  }
  const checkDeadlock =
    (options.deadlock ?? 'report') === 'report' &&
    (!options.properties?.length || options.properties.includes('deadlock'));
  const depth = options.depth ?? RANDOM_DEFAULTS.depth;
  const runs = options.path !== undefined ? 1 : (options.runs ?? RANDOM_DEFAULTS.runs);
  const strategyName = options.strategy ?? RANDOM_DEFAULTS.strategy;
  const depthBound = options.depthBound ?? RANDOM_DEFAULTS.depthBound;
  const fcSeed = shardSeed(options.seed, options.shard);
  const progressMs = options.progressMs ?? 1000;
  const started = performance.now();
  const deadline =
    options.timeLimit !== undefined ? started + options.timeLimit * 1000 : Number.POSITIVE_INFINITY;

  const walker = new Walker(model, {
    invariants,
    reachables,
    checkDeadlock,
    depth,
    memoryCapBytes: options.memoryCapBytes ?? DEFAULT_RANDOM_MEMORY_CAP,
  });
  let strategy: Strategy;
  let pctLength: number | null = null;
  if (strategyName === 'pct') {
    pctLength = estimateWalkLength(walker, fcSeed);
    strategy = new PctStrategy(model.processes.length, depthBound, pctLength);
  } else {
    strategy = new UniformStrategy();
  }

  let failing: number[] | null = null;
  let nextYield = started + 50;
  let lastProgress = started;
  const property = fc.asyncProperty(new ScheduleSeeds(), async (walkSeed) => {
    const now = performance.now();
    if (now >= nextYield) {
      nextYield = now + 50;
      // let Ctrl-C and timers run
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) throw new Stop('interrupted', 'interrupted');
      if (options.progress && now - lastProgress >= progressMs) {
        lastProgress = now;
        const seconds = (now - started) / 1000;
        options.progress({
          walks: walker.walks,
          steps: walker.steps,
          states: walker.distinct,
          seconds,
          stepsPerSecond: walker.steps / seconds,
        });
      }
    }
    if (now > deadline) throw new Stop('time-limit', `stopped at --time-limit ${options.timeLimit}s`);
    strategy.begin(walkSeed);
    if (walker.run(strategy, null, 0, true)) {
      failing = Array.from(walker.choices.subarray(0, walker.length));
      return false;
    }
    return true;
  });
  const details = await fc.check(property, {
    seed: fcSeed | 0,
    numRuns: runs,
    endOnFailure: true,
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  const searchSeconds = (performance.now() - started) / 1000;

  let stop: Stop | null = null;
  if (details.failed && details.errorInstance instanceof Stop) stop = details.errorInstance;
  else if (details.failed && failing === null) {
    throw details.errorInstance instanceof Error
      ? details.errorInstance
      : new Error(`random search: ${String(details.errorInstance)}`);
  }
  const walkPath = stop === null && failing !== null ? (details.counterexamplePath ?? '') : null;

  // What the failing walk violated, before the walker is reused for shrinking.
  const found =
    walkPath !== null && failing !== null
      ? {
          property: walker.property!,
          kind: walker.kind,
          description: walker.description,
          error: walker.error,
          actions: Array.from(walker.taken.subarray(0, walker.length)),
        }
      : null;

  const search: RandomSearch = {
    strategy: strategyName,
    depthBound: strategyName === 'pct' ? depthBound : null,
    pctLength,
    seed: options.seed >>> 0,
    fastCheckSeed: fcSeed,
    shard: options.shard ?? null,
    runs: Number.isFinite(runs) ? runs : null,
    depth,
    path: options.path ?? null,
    walks: walker.walks,
    steps: walker.steps,
    transitions: walker.transitions,
    distinct: walker.distinct,
    distinctEstimate: walker.sketch.estimate(),
    saturated: walker.saturated,
    longestWalk: walker.longest,
    seconds: searchSeconds,
    stepsPerSecond: searchSeconds > 0 ? walker.steps / searchSeconds : walker.steps,
  };
  const coverage: Coverage = {
    actions: model.actions.map((a) => ({
      process: model.processes[a.process]!.name,
      label: a.label,
      name: a.name,
      kind: a.kind,
      fired: walker.fired[a.id]!,
    })),
    reachables: reachables.map((r, i) => ({ name: r.name, witnessed: walker.witnessed[i] === 1 })),
    sketch: walker.sketch.toBase64(),
  };
  const stats: Stats = {
    states: walker.distinct,
    transitions: walker.transitions,
    depth: walker.longest,
    seconds: searchSeconds,
    statesPerSecond: searchSeconds > 0 ? walker.distinct / searchSeconds : walker.distinct,
    collisionProbability: collisionProbability(walker.distinct),
    bytesPerState: walker.distinct > 0 ? walker.visited.bytes / walker.distinct : 0,
    queuePeak: 0,
  };
  const common = {
    model: model.name,
    config: model.config,
    stats,
    properties: checkedProperties(invariants, reachables, checkDeadlock),
  };

  if (found === null || failing === null) {
    const covered = `${search.walks.toLocaleString('en-US')} random walks`;
    const result: Result =
      stop !== null
        ? { ...common, verdict: 'incomplete', reason: stop.reason, detail: `${stop.detail} after ${covered}` }
        : {
            ...common,
            verdict: 'incomplete',
            reason: 'random',
            detail: `${covered} of up to ${depth} steps found no violation; a random search proves nothing`,
          };
    return { result, search, coverage, counterexample: null };
  }

  const shrinkStarted = performance.now();
  let actions = found.actions;
  let counterexample: Counterexample;
  if (options.shrink ?? true) {
    const s = shrinkCounterexample(
      model,
      walker,
      failing,
      { property: found.property, invariants, checkDeadlock },
      options.shrinkBudget ?? DEFAULT_SHRINK_BUDGET,
    );
    actions = s.actions;
    counterexample = {
      path: walkPath!,
      rawLength: s.rawLength,
      rawSwitches: s.rawSwitches,
      fastCheckLength: s.fastCheckLength,
      fastCheckSwitches: s.fastCheckSwitches,
      shrunkLength: s.length,
      shrunkSwitches: s.switches,
      shrinkEvaluations: s.fastCheckEvaluations + s.passEvaluations,
      shrinkSeconds: (performance.now() - shrinkStarted) / 1000,
    };
  } else {
    const sw = contextSwitches(model, actions);
    counterexample = {
      path: walkPath!,
      rawLength: actions.length,
      rawSwitches: sw,
      fastCheckLength: actions.length,
      fastCheckSwitches: sw,
      shrunkLength: actions.length,
      shrunkSwitches: sw,
      shrinkEvaluations: 0,
      shrinkSeconds: 0,
    };
  }

  let trace: ReturnType<typeof buildTrace>;
  try {
    trace = buildTrace(model, model.initialStates()[0]!, actions);
  } catch (e) {
    if (e instanceof ReplayDivergence) {
      return {
        result: { ...common, verdict: 'error', message: e.message, trace: null },
        search,
        coverage,
        counterexample,
      };
    }
    throw e;
  }
  const result: Result =
    found.error !== null
      ? { ...common, verdict: 'error', message: found.error, trace }
      : {
          ...common,
          verdict: 'violated',
          violation: { property: found.property, kind: found.kind, description: found.description, trace },
        };
  return { result, search, coverage, counterexample };
}

export class CoverageMismatch extends Error {}

/** Combined coverage of several runs of the same model configuration (a swarm's shards). */
export function mergeCoverage(all: readonly Coverage[]): Coverage {
  if (all.length === 0) throw new CoverageMismatch('nothing to merge');
  const first = all[0]!;
  const sketch = StateSketch.fromBase64(first.sketch);
  const fired = first.actions.map((a) => a.fired);
  const witnessed = first.reachables.map((r) => r.witnessed);
  for (const c of all.slice(1)) {
    const same =
      c.actions.length === first.actions.length &&
      c.actions.every(
        (a, i) =>
          a.process === first.actions[i]!.process &&
          a.label === first.actions[i]!.label &&
          a.name === first.actions[i]!.name,
      ) &&
      c.reachables.length === first.reachables.length &&
      c.reachables.every((r, i) => r.name === first.reachables[i]!.name);
    if (!same)
      throw new CoverageMismatch(
        'the runs have different steps or properties: they are not of the same model and checks',
      );
    c.actions.forEach((a, i) => {
      fired[i]! += a.fired;
    });
    c.reachables.forEach((r, i) => {
      if (r.witnessed) witnessed[i] = true;
    });
    sketch.merge(StateSketch.fromBase64(c.sketch));
  }
  return {
    actions: first.actions.map((a, i) => ({ ...a, fired: fired[i]! })),
    reachables: first.reachables.map((r, i) => ({ name: r.name, witnessed: witnessed[i]! })),
    sketch: sketch.toBase64(),
  };
}
