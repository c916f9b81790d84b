import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { explore, UnknownPropertyError } from '../checker/explore/bfs.ts';
import { DEFAULT_MEMORY_CAP } from '../checker/explore/options.ts';
import { MEMORY_MODELS } from '../checker/memory/index.ts';
import { ModelDefinitionError } from '../checker/model/compile.ts';
import { describeParam } from '../checker/model/params.ts';
import { type GateOutcome, runScenario } from '../checker/report/gate.ts';
import { toJUnit } from '../checker/report/junit.ts';
import { EXIT, exitCodeOf } from '../checker/report/result.ts';
import { loadScenarios, ScenarioError } from '../checker/report/scenario.ts';
import { renderTraceTable } from '../checker/trace/render-text.ts';
import { replaySteps } from '../checker/trace/replay.ts';
import { parseSaved, type SavedStep, TraceFileError, toSaved } from '../checker/trace/trace-file.ts';
import { loadCatalog } from '../models/index.ts';
import { UsageError } from './errors.ts';
import { renderResult, resultJson, statsLine } from './report.ts';
import { buildModel, configArgs } from './resolve.ts';
import { makeStyle } from './style.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const memoryChoices = [...MEMORY_MODELS.keys()];

function positiveInt(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`bad value '${v}' for --${name}: expected a positive integer`);
  return n;
}

function positiveNumber(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) throw new UsageError(`bad value '${v}' for --${name}: expected a positive number of seconds`);
  return n;
}

/** Ctrl-C aborts the run (it then reports what it explored); a second Ctrl-C exits at once. */
function interruptible(): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  const onInt = () => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', onInt);
  return { signal: ac.signal, done: () => process.off('SIGINT', onInt) };
}

function progressPrinter():
  | ((p: { states: number; statesPerSecond: number; queue: number; depth: number; seconds: number }) => void)
  | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    process.stderr.write(
      `\r\x1b[K  ${p.states.toLocaleString('en-US')} states  ${Math.round(p.statesPerSecond / 1000)}k states/s  queue ${p.queue.toLocaleString('en-US')}  depth ${p.depth}  ${p.seconds.toFixed(0)} s`,
    );
  };
}

function clearProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}

const modelOptions = {
  variant: { type: 'string', describe: 'model variant (see `kvmcheck list`); default: the first, fixed' },
  set: {
    type: 'string',
    array: true,
    describe: 'model parameter, key=value (repeatable, or comma-separated)',
  },
  memory: { type: 'string', default: 'tso', describe: `memory model: ${memoryChoices.join(', ')}` },
  'sb-depth': { type: 'number', describe: 'store-buffer entries per CPU (tso)', default: 2 },
} as const;

async function cmdList(json: boolean): Promise<number> {
  const catalog = await loadCatalog();
  if (json) {
    const arr = [...catalog.values()].map((d) => ({
      name: d.name,
      title: d.title,
      source: d.source,
      variants: d.variants,
      params: d.params,
    }));
    process.stdout.write(`${JSON.stringify(arr, null, 2)}\n`);
    return 0;
  }
  const style = makeStyle(process.stdout);
  const out: string[] = [];
  for (const d of catalog.values()) {
    out.push(`${style.bold(d.name)}  ${d.title}`);
    out.push(style.dim(`  source: ${d.source}`));
    out.push('  variants:');
    for (const [v, doc] of Object.entries(d.variants)) out.push(`    ${v.padEnd(26)} ${doc}`);
    out.push('  params:');
    for (const [k, p] of Object.entries(d.params))
      out.push(`    ${`${k}=${describeParam(p)}`.padEnd(26)} ${p.doc} (default ${p.default})`);
    out.push('');
  }
  out.push(
    style.dim(
      `memory models: ${[...MEMORY_MODELS.values()].map((m) => `${m.name} (${m.description})`).join('; ')}`,
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

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

async function cmdCheck(a: CheckArgs): Promise<number> {
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

interface ReplayArgs {
  target: string;
  path?: string;
  variant?: string;
  set?: string[];
  memory: string;
  sbDepth: number;
  json: boolean;
}

async function cmdReplay(a: ReplayArgs): Promise<number> {
  let modelArgs: { model: string; variant?: string; set?: string[]; memory?: string; sbDepth?: number };
  let steps: readonly SavedStep[] | null = null;
  let expected: string | null = null;
  let pathIds: number[] | null = null;
  if (a.path !== undefined) {
    modelArgs = { model: a.target, variant: a.variant, set: a.set, memory: a.memory, sbDepth: a.sbDepth };
    pathIds = a.path === '-' ? [] : a.path.split('.').map((x) => Number(x));
    if (pathIds.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new UsageError(`bad --path '${a.path}': expected step numbers separated by dots, e.g. 0.4.2`);
    }
  } else {
    let text: string;
    try {
      text = readFileSync(a.target, 'utf8');
    } catch (e) {
      throw new UsageError(
        `cannot read trace file '${a.target}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new UsageError(`${a.target}: not a kvmcheck trace: it is not JSON`);
    }
    let saved: ReturnType<typeof parseSaved>;
    try {
      saved = parseSaved(data, a.target);
    } catch (e) {
      if (e instanceof TraceFileError) throw new UsageError(e.message);
      throw e;
    }
    modelArgs = {
      model: saved.model,
      variant: saved.variant,
      set: Object.entries(saved.params).map(([k, v]) => `${k}=${v}`),
      memory: saved.memory,
      sbDepth: saved.bufferDepth,
    };
    steps = saved.steps;
    expected = saved.property;
  }
  const { model } = await buildModel(modelArgs);
  if (pathIds) {
    steps = pathIds.map((id, i) => {
      const act = model.actions[id];
      if (!act)
        throw new UsageError(
          `bad --path: step ${i + 1} names action ${id}, but the model has ${model.actions.length} actions`,
        );
      return { process: model.processes[act.process]!.name, label: act.label, action: act.name, changes: {} };
    });
  }
  const outcome = replaySteps(model, steps!, expected);
  const style = makeStyle(process.stdout);
  const code =
    outcome.status === 'diverged' ? EXIT.error : outcome.status === 'clean' ? EXIT.holds : EXIT.violated;
  if (a.json) {
    process.stdout.write(
      `${JSON.stringify({ status: outcome.status, property: 'property' in outcome ? outcome.property : null, ...(outcome.status === 'diverged' ? { step: outcome.step, message: outcome.message } : {}), trace: toSaved(outcome.trace, null, null) })}\n`,
    );
    return code;
  }
  const lines = [style.bold(`replay of ${configArgs(model)}`), ''];
  if (outcome.trace.steps.length > 0) lines.push(renderTraceTable(outcome.trace, style), '');
  switch (outcome.status) {
    case 'reproduced':
      lines.push(style.red(style.bold(`✗ reproduced: ${outcome.property} is violated`)));
      break;
    case 'violates-other':
      lines.push(
        style.red(style.bold(`✗ the trace violates ${outcome.property}, not the saved ${expected}`)),
      );
      break;
    case 'clean':
      lines.push(
        style.green(`✓ replayed ${outcome.trace.steps.length} steps; the final state violates nothing`),
      );
      break;
    case 'diverged':
      lines.push(
        style.red(style.bold(`! ${outcome.message}`)) +
          ' (the model changed since the trace was saved, or the trace was edited)',
      );
      break;
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return code;
}

interface GateArgs {
  filter?: string;
  junit?: string;
  json: boolean;
  scenarios: string;
}

async function cmdGate(a: GateArgs): Promise<number> {
  let scenarios: ReturnType<typeof loadScenarios>;
  try {
    scenarios = loadScenarios(a.scenarios);
  } catch (e) {
    if (e instanceof ScenarioError || (e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError((e as Error).message);
    throw e;
  }
  if (a.filter) scenarios = scenarios.filter((s) => s.name.includes(a.filter!));
  if (scenarios.length === 0)
    throw new UsageError(`no scenario matches '${a.filter ?? ''}' in ${a.scenarios}`);
  const catalog = await loadCatalog();
  const style = makeStyle(process.stdout);
  const stop = interruptible();
  const outcomes: GateOutcome[] = [];
  const t0 = performance.now();
  try {
    for (const s of scenarios) {
      if (stop.signal.aborted) break;
      const o = await runScenario(s, catalog, stop.signal);
      outcomes.push(o);
      if (!a.json) {
        const r = o.result;
        const got = r
          ? r.verdict === 'violated'
            ? `violated ${r.violation.property}`
            : r.verdict
          : 'not run';
        const mark = o.ok ? style.green('✓') : style.red('✗');
        const detail = r
          ? style.dim(`${r.stats.states.toLocaleString('en-US')} states, ${o.seconds.toFixed(2)} s`)
          : '';
        process.stdout.write(
          `${mark} ${s.name.padEnd(48)} ${got.padEnd(34)} ${detail}${o.ok ? '' : `\n    ${style.red(o.mismatch)}`}\n`,
        );
      }
    }
  } finally {
    stop.done();
  }
  const failed = outcomes.filter((o) => !o.ok);
  const interrupted = outcomes.length < scenarios.length;
  if (a.junit) writeFileSync(a.junit, toJUnit(outcomes));
  if (a.json) {
    process.stdout.write(
      `${JSON.stringify({ passed: outcomes.length - failed.length, failed: failed.length, interrupted, scenarios: outcomes.map((o) => ({ name: o.scenario.name, ok: o.ok, mismatch: o.mismatch || null, seconds: o.seconds, result: o.result ? resultJson(o.result) : null })) })}\n`,
    );
  } else {
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    if (failed.length > 0) {
      process.stdout.write(
        `\n${style.red(style.bold(`${failed.length} scenario(s) differ from their expected verdict:`))}\n`,
      );
      for (const o of failed)
        process.stdout.write(
          `  ${o.scenario.name}: ${o.mismatch}${o.result ? ` (${statsLine(o.result)})` : ''}\n`,
        );
    }
    if (interrupted)
      process.stdout.write(
        style.yellow(`interrupted after ${outcomes.length} of ${scenarios.length} scenarios\n`),
      );
    process.stdout.write(
      `\ngate: ${outcomes.length - failed.length} passed, ${failed.length} failed in ${secs} s\n`,
    );
  }
  if (interrupted) return EXIT.incomplete;
  return failed.length > 0 ? 1 : 0;
}

/** Runs the CLI on `argv`; returns the exit code (never throws for bad input). */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const parser = yargs(argv)
    .scriptName('kvmcheck')
    .usage(
      '$0 <command> [options]\n\nA model checker for the concurrency protocols of the Linux KVM hypervisor.',
    )
    .command(
      'list',
      'list the models, their variants and parameters',
      (y) =>
        y
          .option('json', { type: 'boolean', default: false, describe: 'machine-readable list' })
          .example('$0 list', 'show every model'),
      async (a) => {
        code = await cmdList(a.json);
      },
    )
    .command(
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
        code = await cmdCheck(a as unknown as CheckArgs);
      },
    )
    .command(
      'replay <target>',
      're-run a saved trace (file), or a --path printed by check, against its model',
      (y) =>
        y
          .positional('target', {
            type: 'string',
            demandOption: true,
            describe: 'trace file, or model name with --path',
          })
          .option('path', { type: 'string', describe: 'dot-separated step numbers from a check report' })
          .options(modelOptions)
          .option('json', { type: 'boolean', default: false })
          .example(
            '$0 replay trace.json',
            'exit 1: reproduces the saved violation; 0: replays cleanly; 4: diverged',
          ),
      async (a) => {
        code = await cmdReplay(a as unknown as ReplayArgs);
      },
    )
    .command(
      'gate',
      'run every scenario and compare with its expected verdict (CI)',
      (y) =>
        y
          .option('filter', { type: 'string', describe: 'only scenarios whose name contains this' })
          .option('junit', { type: 'string', describe: 'write JUnit XML to this file' })
          .option('json', { type: 'boolean', default: false })
          .option('scenarios', {
            type: 'string',
            default: join(root, 'scenarios'),
            describe: 'folder of scenario files',
          })
          .example('$0 gate', 'exit 0 when every verdict matches')
          .example('$0 gate --filter vcpu-requests --junit gate.xml', 'a subset, with a report for CI'),
      async (a) => {
        code = await cmdGate(a as unknown as GateArgs);
      },
    )
    .demandCommand(1, 'name a command: list, check, replay or gate')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await parser.parseAsync();
    return code;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kvmcheck: ${e.message.trim().replace(/\s*\n\s*/g, ' ')}\n`);
      process.stderr.write(`run 'kvmcheck --help' for usage\n`);
      return EXIT.badInput;
    }
    if (e instanceof ModelDefinitionError) {
      process.stderr.write(`kvmcheck: model error: ${e.message}\n`);
      return EXIT.error;
    }
    process.stderr.write(`kvmcheck: internal error: ${(e as Error).message}\n`);
    return EXIT.error;
  }
}
