import type { Argv } from 'yargs';
import { LitmusSyntaxError } from '../../checker/litmus/ast.ts';
import { LitmusPathError, litmusFiles, loadLitmus } from '../../checker/litmus/files.ts';
import { outcomeJson, renderOutcome } from '../../checker/litmus/report.ts';
import { agrees, LitmusRunError, runLitmus } from '../../checker/litmus/run.ts';
import { MEMORY_MODELS } from '../../checker/memory/index.ts';
import { EXIT } from '../../checker/report/result.ts';
import { UsageError } from '../errors.ts';
import { makeStyle } from '../style.ts';

interface LitmusArgs {
  paths: string[];
  memory: string;
  json: boolean;
  expect: boolean;
}

/**
 * Runs kernel litmus tests under a memory model and prints what herd7 prints: the final states
 * and `Observation NAME Never|Sometimes|Always P N`. A file that does not parse is reported
 * (file, line, construct) and the others still run.
 */
export async function cmdLitmus(a: LitmusArgs): Promise<number> {
  if (!MEMORY_MODELS.has(a.memory)) {
    throw new UsageError(
      `unknown memory model '${a.memory}'; memory models: ${[...MEMORY_MODELS.keys()].join(', ')}`,
    );
  }
  let files: string[];
  try {
    files = litmusFiles(a.paths);
  } catch (e) {
    if (e instanceof LitmusPathError) throw new UsageError(e.message);
    throw e;
  }
  if (files.length === 0) throw new UsageError(`no .litmus files in ${a.paths.join(', ')}`);
  const style = makeStyle(process.stdout);
  const json: Record<string, unknown>[] = [];
  let badInput = 0;
  let errors = 0;
  let mismatches = 0;
  for (const file of files) {
    const loaded = loadLitmus(file);
    if ('error' in loaded) {
      badInput++;
      process.stderr.write(`kvmcheck: ${loaded.error.message}\n`);
      json.push({ file, error: loaded.error.message });
      continue;
    }
    let outcome: ReturnType<typeof runLitmus>;
    try {
      outcome = runLitmus(loaded.test, a.memory);
    } catch (e) {
      if (!(e instanceof LitmusSyntaxError || e instanceof LitmusRunError)) throw e;
      if (e instanceof LitmusSyntaxError) badInput++;
      else errors++;
      process.stderr.write(`kvmcheck: ${e.message}\n`);
      json.push({ test: loaded.test.name, file, error: e.message });
      continue;
    }
    if (a.expect && agrees(outcome, outcome.result) === false) mismatches++;
    if (a.json) json.push(outcomeJson(outcome));
    else process.stdout.write(`${renderOutcome(outcome, a.expect, style)}\n\n`);
  }
  if (a.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else if (a.expect) {
    const line = `${files.length} file(s), ${mismatches} mismatch(es) with their Result: lines`;
    process.stdout.write(`${mismatches > 0 ? style.red(line) : style.green(line)}\n`);
  }
  if (badInput > 0) return EXIT.badInput;
  if (errors > 0) return EXIT.error;
  return mismatches > 0 ? EXIT.violated : 0;
}

export function register(y: Argv, done: (code: number) => void): Argv {
  return y.command(
    'litmus <paths..>',
    'run C litmus tests (the Linux kernel format) under a memory model, as herd7 does',
    (y) =>
      y
        .positional('paths', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: '.litmus files, or directories to search for them',
        })
        .option('memory', {
          type: 'string',
          default: 'relaxed',
          describe: `memory model: ${[...MEMORY_MODELS.keys()].join(', ')}`,
        })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON array, an object per test' })
        .option('expect', {
          type: 'boolean',
          default: false,
          describe: "compare with each file's Result: line; exit 1 on a mismatch",
        })
        .example('$0 litmus ../shared/litmus/lkmm --memory relaxed --expect', 'the kernel tests against LKMM')
        .example('$0 litmus MP+poonceonces.litmus --memory tso --json', 'one test, machine-readable'),
    async (a) => {
      done(await cmdLitmus(a as unknown as LitmusArgs));
    },
  );
}
