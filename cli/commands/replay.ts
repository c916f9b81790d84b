import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { FairnessError, type FairnessSpec, parseFairness } from '../../checker/explore/fairness.ts';
import { EXIT } from '../../checker/report/result.ts';
import { renderTraceTable } from '../../checker/trace/render-text.ts';
import { replaySteps } from '../../checker/trace/replay.ts';
import { parseSaved, type SavedStep, TraceFileError, toSaved } from '../../checker/trace/trace-file.ts';
import { UsageError } from '../errors.ts';
import { formatOption, writeReplayFormat } from '../format.ts';
import { buildModel, configArgs } from '../resolve.ts';
import { modelOptions } from '../shared.ts';
import { makeStyle } from '../style.ts';

interface ReplayArgs {
  target: string;
  path?: string;
  variant?: string;
  set?: string[];
  memory: string;
  sbDepth: number;
  json: boolean;
  format: string;
  cycleStart?: number;
  fairness?: string;
}

export async function cmdReplay(a: ReplayArgs): Promise<number> {
  let modelArgs: { model: string; variant?: string; set?: string[]; memory?: string; sbDepth?: number };
  let steps: readonly SavedStep[] | null = null;
  let expected: string | null = null;
  let cycleStart: number | undefined = a.cycleStart;
  let fairnessText: string | undefined = a.fairness;
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
      model: saved.modelFile ?? saved.model,
      variant: saved.variant,
      set: Object.entries(saved.params).map(([k, v]) => `${k}=${v}`),
      memory: saved.memory,
      sbDepth: saved.bufferDepth,
    };
    steps = saved.steps;
    expected = saved.property;
    cycleStart = saved.cycleStart;
    fairnessText = saved.fairness;
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
  let fairness: FairnessSpec | undefined;
  try {
    fairness =
      fairnessText !== undefined
        ? parseFairness(
            fairnessText,
            model.processes.map((p) => p.name),
          )
        : undefined;
  } catch (e) {
    if (e instanceof FairnessError) throw new UsageError(e.message);
    throw e;
  }
  if (
    cycleStart !== undefined &&
    !(Number.isInteger(cycleStart) && cycleStart >= 0 && cycleStart <= steps!.length)
  ) {
    throw new UsageError(
      `bad --cycle-start '${cycleStart}': expected a step index from 0 to ${steps!.length}`,
    );
  }
  const outcome = replaySteps(
    model,
    steps!,
    expected,
    cycleStart !== undefined ? { cycleStart, fairness } : undefined,
  );
  const style = makeStyle(process.stdout);
  const code =
    outcome.status === 'diverged' ? EXIT.error : outcome.status === 'clean' ? EXIT.holds : EXIT.violated;
  if (a.json) {
    process.stdout.write(
      `${JSON.stringify({ status: outcome.status, property: 'property' in outcome ? outcome.property : null, ...(outcome.status === 'diverged' ? { step: outcome.step, message: outcome.message } : {}), trace: toSaved(outcome.trace, null, null) })}\n`,
    );
    return code;
  }
  if (a.format !== 'text') {
    const property = 'property' in outcome ? outcome.property : null;
    writeReplayFormat(model, outcome.trace, a.format, outcome.status, property, modelArgs.model);
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

export function register(y: Argv, done: (code: number) => void): Argv {
  return y.command(
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
        .options(formatOption(true))
        .option('cycle-start', {
          type: 'number',
          describe: 'with --path: the steps from this index on are a cycle (a liveness lasso)',
        })
        .option('fairness', {
          type: 'string',
          describe: 'with --cycle-start: fairness the cycle must be fair under (none, weak, strong)',
        })
        .example(
          '$0 replay trace.json',
          'exit 1: reproduces the saved violation; 0: replays cleanly; 4: diverged',
        )
        .example(
          '$0 replay trace.json --format litmus > sb.litmus',
          'its shared-memory accesses as a herd7 test',
        )
        .example(
          '$0 replay vcpu-requests --variant no-mb-vcpu --path 0.2.3.4.6.24.26.27 --format markdown',
          'a path printed by check, as a Markdown table',
        ),
    async (a) => {
      done(await cmdReplay(a as unknown as ReplayArgs));
    },
  );
}
