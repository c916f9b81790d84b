import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { UnknownPropertyError } from '../../checker/explore/bfs.ts';
import { DEFAULT_MEMORY_CAP } from '../../checker/explore/options.ts';
import {
  exploreRandom,
  RANDOM_DEFAULTS,
  RandomOptionError,
  type RandomProgress,
  type Shard,
} from '../../checker/explore/random.ts';
import { STRATEGIES, type StrategyName } from '../../checker/explore/strategy.ts';
import { exitCodeOf } from '../../checker/report/result.ts';
import { savedFromResult } from '../../checker/trace/trace-file.ts';
import { UsageError } from '../errors.ts';
import { writeCheckFormat } from '../format.ts';
import { randomJson, renderRandom, reproduceLine } from '../report.ts';
import { buildModel, modelFileField } from '../resolve.ts';
import { clearProgress, interruptible, positiveInt, positiveNumber } from '../shared.ts';
import { makeStyle } from '../style.ts';
import type { CheckArgs } from './check.ts';

/**
 * `kvmcheck check MODEL --mode random`: random walks built on fast-check (checker/explore/random.ts),
 * a shrunk counterexample, and the seed and path that reproduce the run.
 */

export interface RandomArgs {
  mode?: 'exhaustive' | 'random';
  runs?: number;
  depth?: number;
  seed?: number | string;
  path?: string;
  shard?: string;
  strategy?: StrategyName;
  depthBound?: number;
}

export const randomOptions = {
  mode: {
    choices: ['exhaustive', 'random'] as const,
    describe: 'exhaustive: every interleaving (default); random: random walks, which prove nothing',
  },
  runs: {
    type: 'number',
    describe: `random: walks to run (default ${RANDOM_DEFAULTS.runs.toLocaleString('en-US')}; unbounded with --time-limit)`,
  },
  depth: { type: 'number', describe: `random: steps per walk at most (default ${RANDOM_DEFAULTS.depth})` },
  seed: { type: 'string', describe: 'random: seed, 0..4294967295 (default: drawn, and printed)' },
  path: {
    type: 'string',
    describe: 'random: replay only the walk of this number (printed with a violation)',
  },
  shard: { type: 'string', describe: 'random: run shard i of N (i/N, 1-based); shards run disjoint walks' },
  strategy: {
    choices: STRATEGIES,
    describe: 'random: uniform over the enabled steps (default), or pct priority scheduling',
  },
  'depth-bound': {
    type: 'number',
    describe: `random, pct: PCT's bug depth d, i.e. d-1 priority change points (default ${RANDOM_DEFAULTS.depthBound})`,
  },
} as const;

const RANDOM_ONLY: readonly [keyof RandomArgs, string][] = [
  ['runs', 'runs'],
  ['depth', 'depth'],
  ['seed', 'seed'],
  ['path', 'path'],
  ['shard', 'shard'],
  ['strategy', 'strategy'],
  ['depthBound', 'depth-bound'],
];

/** True for `--mode random`; refuses the random-only options in an exhaustive run. */
export function isRandomMode(a: RandomArgs): boolean {
  if (a.mode === 'random') return true;
  for (const [key, flag] of RANDOM_ONLY) {
    if (a[key] !== undefined) throw new UsageError(`--${flag} applies only to --mode random`);
  }
  return false;
}

export function parseShard(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const i = m ? Number(m[1]) : Number.NaN;
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || !(n >= 1 && i >= 1 && i <= n)) {
    throw new UsageError(`bad value '${v}' for --shard: expected i/N with 1 <= i <= N, e.g. 2/8`);
  }
  return { index: i - 1, count: n };
}

export function parseSeed(v: number | string | undefined): number {
  if (v === undefined) return randomInt(2 ** 32);
  const n = Number(v);
  if (String(v).trim() === '' || !Number.isInteger(n) || n < 0 || n >= 2 ** 32) {
    throw new UsageError(`bad value '${v}' for --seed: expected an integer in 0..4294967295`);
  }
  return n;
}

function progressPrinter(): ((p: RandomProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    process.stderr.write(
      `\r\x1b[K  ${p.walks.toLocaleString('en-US')} walks  ${p.steps.toLocaleString('en-US')} steps  ${Math.round(p.stepsPerSecond / 1000)}k steps/s  ${p.states.toLocaleString('en-US')} states  ${p.seconds.toFixed(0)} s`,
    );
  };
}

export async function cmdCheckRandom(a: CheckArgs): Promise<number> {
  for (const [flag, v] of [
    ['max-states', a.maxStates],
    ['max-depth', a.maxDepth],
  ] as const) {
    if (v !== undefined) {
      throw new UsageError(
        `--${flag} applies only to --mode exhaustive; a random run is bounded by --runs, --depth and --time-limit`,
      );
    }
  }
  if (a.fairness !== undefined)
    throw new UsageError('--fairness applies only to --mode exhaustive: random mode checks no liveness');
  if (a.lockGraph) throw new UsageError('--lock-graph applies only to --mode exhaustive');
  const strategy = a.strategy ?? RANDOM_DEFAULTS.strategy;
  if (a.depthBound !== undefined && strategy !== 'pct')
    throw new UsageError('--depth-bound applies only to --strategy pct');
  if (a.path !== undefined && a.seed === undefined)
    throw new UsageError('--path needs the --seed it was printed with');
  if (a.path !== undefined && a.shard !== undefined)
    throw new UsageError('--path replays one walk of the printed --seed; drop --shard');
  if (a.path !== undefined && !/^\d+$/.test(a.path))
    throw new UsageError(
      `bad value '${a.path}' for --path: expected the walk number printed by a random run`,
    );
  const timeLimit = positiveNumber('time-limit', a.timeLimit);
  const runs =
    positiveInt('runs', a.runs) ?? (timeLimit !== undefined ? Number.POSITIVE_INFINITY : undefined);
  const depth = positiveInt('depth', a.depth);
  const depthBound = positiveInt('depth-bound', a.depthBound);
  const shard = a.shard !== undefined ? parseShard(a.shard) : undefined;
  const seed = parseSeed(a.seed);
  const { model } = await buildModel(a);
  const stop = interruptible();
  let rep: Awaited<ReturnType<typeof exploreRandom>>;
  try {
    rep = await exploreRandom(model, {
      seed,
      runs,
      depth,
      path: a.path,
      shard,
      strategy,
      depthBound,
      timeLimit,
      memoryCapBytes:
        a.memoryCap !== undefined ? positiveInt('memory-cap', a.memoryCap)! * 2 ** 20 : DEFAULT_MEMORY_CAP,
      deadlock: a.deadlock,
      properties: a.property,
      progress: a.json ? undefined : progressPrinter(),
      signal: stop.signal,
    });
  } catch (e) {
    if (e instanceof UnknownPropertyError || e instanceof RandomOptionError) throw new UsageError(e.message);
    throw e;
  } finally {
    stop.done();
    clearProgress();
  }
  const extra = [
    ...(a.property ?? []).map((p) => `--property ${p}`),
    ...(a.deadlock === 'off' ? ['--deadlock off'] : []),
  ];
  const reproduce = reproduceLine(model, rep, extra);
  if (a.traceOut) {
    const saved = savedFromResult(rep.result);
    if (saved)
      writeFileSync(a.traceOut, `${JSON.stringify({ ...saved, ...modelFileField(a.model) }, null, 2)}\n`);
  }
  if (a.format !== undefined && a.format !== 'text')
    return writeCheckFormat(model, rep.result, a.format, a.model, a.json);
  if (a.json) process.stdout.write(`${JSON.stringify(randomJson(rep, reproduce))}\n`);
  else process.stdout.write(`${renderRandom(model, rep, reproduce, makeStyle(process.stdout))}\n`);
  return exitCodeOf(rep.result);
}
