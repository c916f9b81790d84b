import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { explore, UnknownPropertyError } from '../../checker/explore/bfs.ts';
import { DEFAULT_MEMORY_CAP } from '../../checker/explore/options.ts';
import { exitCodeOf } from '../../checker/report/result.ts';
import { toSaved } from '../../checker/trace/trace-file.ts';
import { UsageError } from '../errors.ts';
import { renderResult, resultJson } from '../report.ts';
import { buildModel } from '../resolve.ts';
import {
  clearProgress,
  interruptible,
  modelOptions,
  positiveInt,
  positiveNumber,
  progressPrinter,
} from '../shared.ts';
import { makeStyle } from '../style.ts';

interface CheckArgs {
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
  json: boolean;
  traceOut?: string;
}

export async function cmdCheck(a: CheckArgs): Promise<number> {
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
      properties: a.property,
      progress: a.json ? undefined : progressPrinter(),
      signal: stop.signal,
    });
  } catch (e) {
    if (e instanceof UnknownPropertyError) throw new UsageError(e.message);
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
      writeFileSync(a.traceOut, `${JSON.stringify(saved, null, 2)}\n`);
    }
  }
  if (a.json) process.stdout.write(`${JSON.stringify(resultJson(r))}\n`);
  else process.stdout.write(`${renderResult(model, r, makeStyle(process.stdout))}\n`);
  return exitCodeOf(r);
}

export function register(y: Argv, done: (code: number) => void): Argv {
  return y.command(
    'check <model>',
    'explore every interleaving of a model and check its properties',
    (y) =>
      y
        .positional('model', {
          type: 'string',
          demandOption: true,
          describe: 'model name (see list) or path to a model file',
        })
        .options(modelOptions)
        .option('property', {
          type: 'string',
          array: true,
          describe: 'check only these properties (repeatable)',
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
        .option('trace-out', {
          type: 'string',
          describe: 'write the counterexample as a trace file for `replay`',
        })
        .example('$0 check vcpu-requests --memory tso', 'the fixed protocol: holds')
        .example(
          '$0 check vcpu-requests --variant no-mb-vcpu --memory tso',
          'B1: the store-buffering counterexample',
        )
        .example('$0 check vcpu-requests --set vcpus=3 --json', 'machine-readable result'),
    async (a) => {
      done(await cmdCheck(a as unknown as CheckArgs));
    },
  );
}
