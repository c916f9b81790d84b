import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import {
  type Counterexample,
  type Coverage,
  CoverageMismatch,
  mergeCoverage,
} from '../../checker/explore/random.ts';
import { EXIT } from '../../checker/report/result.ts';
import { StateSketch } from '../../checker/state/sketch.ts';
import { renderTraceTable } from '../../checker/trace/render-text.ts';
import { replaySteps } from '../../checker/trace/replay.ts';
import { parseSaved, type SavedTrace, TraceFileError } from '../../checker/trace/trace-file.ts';
import { UsageError } from '../errors.ts';
import { neverFiredText } from '../report.ts';
import { buildModel } from '../resolve.ts';
import { makeStyle } from '../style.ts';

/**
 * `kvmcheck merge FILE...`: combines the `--json` results of random runs (the shards of a swarm,
 * or any runs of one model configuration) into one report: the first violation (lowest shard,
 * else the first file), and the combined coverage (walks, steps, distinct states estimated from
 * the union of the runs' sketches, steps no run fired, reachable properties some run witnessed).
 */

interface SearchJson {
  readonly walks: number;
  readonly steps: number;
  readonly transitions: number;
  readonly distinct: number;
  readonly distinctEstimate: number;
  readonly seconds: number;
  readonly seed: number | null;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly strategy: string;
}

interface RunJson {
  readonly verdict: string;
  readonly model: string;
  readonly variant: string;
  readonly memory: string;
  readonly bufferDepth: number;
  readonly params: Record<string, string | number | boolean>;
  readonly property: string | null;
  readonly kind: string | null;
  readonly properties: readonly string[];
  readonly message?: string;
  readonly trace: SavedTrace | null;
  readonly mode: 'random';
  readonly random: {
    readonly search: SearchJson;
    readonly coverage: Coverage;
    readonly counterexample: Counterexample | null;
    readonly reproduce: string | null;
  };
}

interface Loaded {
  readonly file: string;
  readonly run: RunJson;
}

function load(file: string): Loaded[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let objects: unknown[];
  try {
    objects =
      lines.length > 1 && lines.every((l) => l.trim().startsWith('{'))
        ? lines.map((l) => JSON.parse(l))
        : [JSON.parse(text)];
  } catch {
    throw new UsageError(`${file}: not JSON (expected the output of check --mode random --json)`);
  }
  return objects.map((o, i) => {
    const where = objects.length > 1 ? `${file} line ${i + 1}` : file;
    const r = o as Partial<RunJson>;
    if (typeof r !== 'object' || r === null || r.mode !== 'random' || typeof r.random !== 'object') {
      throw new UsageError(`${where}: not the result of a random run (expected check --mode random --json)`);
    }
    const s = r.random.search as Partial<SearchJson> | undefined;
    const c = r.random.coverage as Partial<Coverage> | undefined;
    if (!s || typeof s.walks !== 'number' || typeof s.steps !== 'number' || !c || !Array.isArray(c.actions)) {
      throw new UsageError(`${where}: field 'random.search' or 'random.coverage' is missing or malformed`);
    }
    if (r.trace) {
      try {
        parseSaved(r.trace, `${where}: trace`);
      } catch (e) {
        if (e instanceof TraceFileError) throw new UsageError(e.message);
        throw e;
      }
    }
    return { file: where, run: r as RunJson };
  });
}

const configKey = (r: RunJson) =>
  JSON.stringify([r.model, r.variant, r.memory, r.bufferDepth, Object.entries(r.params).sort()]);

const fmt = (n: number) => n.toLocaleString('en-US');

function runLabel(l: Loaded): string {
  const s = l.run.random.search;
  return s.shard ? `shard ${s.shard.index + 1}/${s.shard.count}` : l.file;
}

export async function cmdMerge(files: readonly string[], json: boolean): Promise<number> {
  const runs = files.flatMap(load);
  if (runs.length === 0) throw new UsageError('merge needs at least one result file');
  const key = configKey(runs[0]!.run);
  for (const l of runs) {
    if (configKey(l.run) !== key) {
      throw new UsageError(
        `${l.file}: a run of ${l.run.model} ${l.run.variant} ${l.run.memory} ${JSON.stringify(l.run.params)}, not the configuration of ${runs[0]!.file}; merge runs of one configuration`,
      );
    }
  }
  let coverage: Coverage;
  try {
    coverage = mergeCoverage(runs.map((l) => l.run.random.coverage));
  } catch (e) {
    if (e instanceof CoverageMismatch) throw new UsageError(`${files.join(', ')}: ${e.message}`);
    throw e;
  }
  // Lowest shard first (a swarm's order), then the order the files were given in.
  const ordered = runs
    .map((l, i) => ({ l, i }))
    .sort(
      (a, b) =>
        (a.l.run.random.search.shard?.index ?? a.i) - (b.l.run.random.search.shard?.index ?? b.i) ||
        a.i - b.i,
    )
    .map((x) => x.l);
  const first =
    ordered.find((l) => l.run.verdict === 'violated') ??
    ordered.find((l) => l.run.verdict === 'error') ??
    null;
  const sum = (f: (s: SearchJson) => number) => runs.reduce((n, l) => n + f(l.run.random.search), 0);
  const walks = sum((s) => s.walks);
  const steps = sum((s) => s.steps);
  const transitions = sum((s) => s.transitions);
  const distinctEstimate = StateSketch.fromBase64(coverage.sketch).estimate();
  const maxDistinct = Math.max(...runs.map((l) => l.run.random.search.distinct));
  const seconds = Math.max(...runs.map((l) => l.run.random.search.seconds));
  const verdict = first?.run.verdict ?? 'incomplete';
  const code = verdict === 'violated' ? EXIT.violated : verdict === 'error' ? EXIT.error : EXIT.incomplete;
  const fired = coverage.actions.filter((a) => a.fired > 0).length;

  if (json) {
    const base = first?.run ?? runs[0]!.run;
    const out = {
      verdict,
      model: base.model,
      variant: base.variant,
      memory: base.memory,
      bufferDepth: base.bufferDepth,
      params: base.params,
      property: first?.run.property ?? null,
      kind: first?.run.kind ?? null,
      properties: base.properties,
      ...(first === null
        ? { reason: 'random', detail: `${fmt(walks)} random walks in ${runs.length} runs found no violation` }
        : {}),
      ...(first?.run.verdict === 'error' ? { message: first.run.message } : {}),
      trace: first?.run.trace ?? null,
      mode: 'random',
      random: {
        search: {
          strategy: [...new Set(runs.map((l) => l.run.random.search.strategy))].join('+'),
          seed: null,
          shard: null,
          walks,
          steps,
          transitions,
          distinct: maxDistinct,
          distinctEstimate,
          seconds,
        },
        coverage,
        counterexample: first?.run.random.counterexample ?? null,
        reproduce: first?.run.random.reproduce ?? null,
        runs: runs.map((l) => ({
          file: l.file,
          verdict: l.run.verdict,
          property: l.run.property,
          seed: l.run.random.search.seed,
          shard: l.run.random.search.shard,
          walks: l.run.random.search.walks,
          steps: l.run.random.search.steps,
          reproduce: l.run.random.reproduce,
        })),
      },
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return code;
  }

  const style = makeStyle(process.stdout);
  const b = runs[0]!.run;
  const params = Object.entries(b.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const out: string[] = [
    style.bold(`merge of ${runs.length} random runs of ${b.model}`) +
      style.dim(` variant ${b.variant}, memory ${b.memory}, ${params}`),
  ];
  for (const l of ordered) {
    const r = l.run;
    const s = r.random.search;
    const what =
      r.verdict === 'violated'
        ? `violated ${r.property}` +
          (r.random.counterexample
            ? ` (walk ${r.random.counterexample.path}, ${r.random.counterexample.rawLength} -> ${r.random.counterexample.shrunkLength} steps)`
            : '')
        : r.verdict === 'error'
          ? `model error: ${r.message ?? ''}`
          : `no violation`;
    out.push(
      `  ${runLabel(l).padEnd(14)} seed ${String(s.seed ?? '-').padEnd(11)} ${fmt(s.walks)} walks  ${what}`,
    );
  }
  out.push(
    `combined: ${fmt(walks)} walks, ${fmt(steps)} steps, ~${fmt(distinctEstimate)} distinct states ` +
      `(estimated from the union of the runs' sketches; largest single run: ${fmt(maxDistinct)}), ` +
      `${fired} of ${coverage.actions.length} steps fired`,
  );
  if (fired < coverage.actions.length) out.push(`never fired: ${neverFiredText(coverage.actions)}`);
  if (coverage.reachables.length > 0) {
    out.push(
      `reachable: ${coverage.reachables.map((x) => `${x.name} ${x.witnessed ? 'witnessed' : 'not witnessed'}`).join(', ')}`,
    );
  }
  if (first === null) {
    out.push(
      `${style.yellow(style.bold('? incomplete'))}: no run found a violation; a random search proves nothing`,
    );
  } else {
    const r = first.run;
    out.push('', style.bold(`first violation: ${runLabel(first)} (${first.file})`));
    if (r.trace) {
      const { model } = await buildModel({
        model: r.model,
        variant: r.variant,
        set: Object.entries(r.params).map(([k, v]) => `${k}=${v}`),
        memory: r.memory,
        sbDepth: r.bufferDepth,
      });
      const o = replaySteps(model, r.trace.steps, r.trace.property);
      if (o.status === 'diverged') out.push(style.red(`! ${o.message}: the model changed since the run`));
      else out.push('', renderTraceTable(o.trace, style), '');
    }
    out.push(
      r.verdict === 'violated'
        ? style.red(
            style.bold(`✗ ${r.kind === 'deadlock' ? 'deadlock' : `${r.kind} ${r.property} violated`}`),
          )
        : style.red(style.bold(`! model error: ${r.message ?? ''}`)),
    );
    if (r.random.reproduce) out.push(style.dim(`reproduce: ${r.random.reproduce}`));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return code;
}

export function register(y: Argv, done: (code: number) => void): Argv {
  return y.command(
    'merge <files..>',
    'combine the --json results of random runs (swarm shards): first violation, combined coverage',
    (y) =>
      y
        .positional('files', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'results of check --mode random --json (one object per file, or one per line)',
        })
        .option('json', { type: 'boolean', default: false, describe: 'print the merged result as JSON' })
        .example(
          'for i in 1 2 3 4; do $0 check M --mode random --shard $i/4 --seed 1 --json > r$i.json; done; $0 merge r*.json',
          'a swarm of 4 shards',
        ),
    async (a) => {
      done(await cmdMerge(a.files as string[], a.json as boolean));
    },
  );
}
