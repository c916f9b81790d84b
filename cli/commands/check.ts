import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { explore, UnknownPropertyError } from '../../checker/explore/bfs.ts';
import { FairnessError, parseFairness } from '../../checker/explore/fairness.ts';
import { lockGraph, lockGraphJson, lockGraphText } from '../../checker/explore/lock-graph.ts';
import { DEFAULT_MEMORY_CAP } from '../../checker/explore/options.ts';
import { exitCodeOf } from '../../checker/report/result.ts';
import { toSaved } from '../../checker/trace/trace-file.ts';
import { UsageError } from '../errors.ts';
import { formatOption, writeCheckFormat } from '../format.ts';
import { renderResult, resultJson } from '../report.ts';
import { buildModel, modelFileField } from '../resolve.ts';
import {
  clearProgress,
  interruptible,
  modelOptions,
  modelPositional,
  positiveInt,
  positiveNumber,
  progressPrinter,
} from '../shared.ts';
import { makeStyle } from '../style.ts';
import { cmdCheckRandom, isRandomMode, type RandomArgs, randomOptions } from './check-random.ts';

export interface CheckArgs extends RandomArgs {
  model: string;
  variant?: string;
  set?: string[];
  memory: string;
  sbDepth: number;
  property?: string[];
  maxStates?: number;
  maxDepth?: number;
  timeLimit?: number;
  memoryCap?: number;
  deadlock: 'report' | 'off';
  symmetry: 'on' | 'off';
  por: 'on' | 'off';
  workers?: number;
  fairness?: string;
  json: boolean;
  format: string;
  traceOut?: string;
  lockGraph: boolean;
}

export async function cmdCheck(a: CheckArgs): Promise<number> {
  if (isRandomMode(a)) return cmdCheckRandom(a);
  const { model } = await buildModel(a);
  const stop = interruptible();
  let r: Awaited<ReturnType<typeof explore>>;
  try {
    r = await explore(model, {
      maxStates: positiveInt('max-states', a.maxStates),
      maxDepth: positiveInt('max-depth', a.maxDepth),
      timeLimit: positiveNumber('time-limit', a.timeLimit),
      memoryCapBytes:
        a.memoryCap !== undefined ? positiveInt('memory-cap', a.memoryCap)! * 2 ** 20 : DEFAULT_MEMORY_CAP,
      deadlock: a.deadlock,
      symmetry: a.symmetry,
      por: a.por,
      workers: a.workers === undefined ? 'auto' : positiveInt('workers', a.workers)!,
      properties: a.property,
      fairness:
        a.fairness !== undefined
          ? parseFairness(
              a.fairness,
              model.processes.map((p) => p.name),
            )
          : undefined,
      progress: a.json ? undefined : progressPrinter(),
      signal: stop.signal,
    });
  } catch (e) {
    if (e instanceof UnknownPropertyError || e instanceof FairnessError) throw new UsageError(e.message);
    throw e;
  } finally {
    stop.done();
    clearProgress();
  }
  if (a.traceOut) {
    const trace = r.verdict === 'violated' ? r.violation.trace : r.verdict === 'error' ? r.trace : null;
    if (trace) {
      const saved = toSaved(
        trace,
        r.verdict === 'violated' ? r.violation.property : 'model-error',
        r.verdict === 'violated' ? r.violation.kind : 'error',
      );
      writeFileSync(a.traceOut, `${JSON.stringify({ ...saved, ...modelFileField(a.model) }, null, 2)}\n`);
    }
  }
  if (a.format !== 'text') return writeCheckFormat(model, r, a.format, a.model, a.json);
  const graph = a.lockGraph
    ? lockGraph(model, { maxStates: a.maxStates, memoryCapBytes: a.memoryCap && a.memoryCap * 2 ** 20 })
    : null;
  if (a.json)
    process.stdout.write(
      `${JSON.stringify({ ...resultJson(r), ...(graph ? { lockGraph: lockGraphJson(graph) } : {}) })}\n`,
    );
  else process.stdout.write(`${renderResult(model, r, makeStyle(process.stdout))}\n`);
  if (graph && !a.json) process.stdout.write(`${lockGraphText(graph)}\n`);
  return exitCodeOf(r);
}

export function register(y: Argv, done: (code: number) => void): Argv {
  return y.command(
    'check <model>',
    'explore every interleaving of a model and check its properties',
    (y) =>
      y
        .positional('model', modelPositional)
        .options(modelOptions)
        .options(randomOptions)
        .option('property', {
          type: 'string',
          array: true,
          describe: 'check only these properties (repeatable); liveness ones too',
        })
        .option('fairness', {
          type: 'string',
          describe:
            'fairness for liveness properties: none, weak or strong, for every process, IPI delivery and store ' +
            "buffer (default: each property's own, else weak); per process: weak,notifier0=none",
        })
        .option('max-states', {
          type: 'number',
          describe: 'stop after this many distinct states (incomplete)',
        })
        .option('max-depth', {
          type: 'number',
          describe: 'do not explore deeper than this many steps (incomplete)',
        })
        .option('time-limit', { type: 'number', describe: 'stop after this many seconds (incomplete)' })
        .option('memory-cap', {
          type: 'number',
          describe: 'MiB for the search structures before stopping (incomplete)',
          default: DEFAULT_MEMORY_CAP / 2 ** 20,
        })
        .option('symmetry', {
          choices: ['on', 'off'] as const,
          default: 'on' as const,
          describe:
            'explore one state per permutation of symmetric processes (vCPUs), where the model declares them',
        })
        .option('por', {
          choices: ['on', 'off'] as const,
          default: 'off' as const,
          describe:
            'partial-order reduction: from each state expand only the steps of one CPU that commute with everything the others can do (safety properties)',
        })
        .option('workers', {
          type: 'number',
          describe:
            'worker threads for the exhaustive search (level-synchronous BFS, traces still shortest); ' +
            'default: one thread, then one per core once the search passes 300,000 states; ' +
            'safety properties only: liveness and --por on run in one thread',
        })
        .option('deadlock', {
          choices: ['report', 'off'] as const,
          default: 'report' as const,
          describe: 'report states where nothing can move',
        })
        .option('json', {
          type: 'boolean',
          default: false,
          describe: 'print one JSON object with verdict, stats and trace',
        })
        .options(formatOption(true))
        .option('trace-out', {
          type: 'string',
          describe: 'write the counterexample as a trace file for `replay`',
        })
        .option('lock-graph', {
          type: 'boolean',
          default: false,
          describe: 'also print the lock-order graph of all reachable states (lockdep-style) and its cycles',
        })
        .example('$0 check vcpu-requests --memory tso', 'the fixed protocol: holds')
        .example(
          '$0 check vcpu-requests --variant no-mb-vcpu --memory tso',
          'B1: the store-buffering counterexample',
        )
        .example('$0 check vcpu-requests --set vcpus=3 --json', 'machine-readable result')
        .example(
          '$0 check vcpu-requests --variant no-mb-vcpu --format kernel-doc',
          'the counterexample as a locking.rst table for a commit message',
        )
        .example(
          '$0 check ./my-change.ts --variant my-patch',
          'a model file of your own (see docs/tutorial.md)',
        )
        .example('$0 check lock-order --variant srcu-slots-lock --lock-graph', 'lock-order edges and cycles')
        .example(
          '$0 check vcpu-requests --variant no-mb-vcpu --set vcpus=4 --mode random',
          'random walks, shrunk trace',
        ),
    async (a) => {
      done(await cmdCheck(a as unknown as CheckArgs));
    },
  );
}
