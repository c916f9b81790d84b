import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import { type GateOutcome, runScenario } from '../../checker/report/gate.ts';
import { toJUnit } from '../../checker/report/junit.ts';
import { EXIT } from '../../checker/report/result.ts';
import { loadScenarios, ScenarioError } from '../../checker/report/scenario.ts';
import { loadCatalog } from '../../models/index.ts';
import { UsageError } from '../errors.ts';
import { resultJson, statsLine } from '../report.ts';
import { interruptible } from '../shared.ts';
import { makeStyle } from '../style.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface GateArgs {
  filter?: string;
  junit?: string;
  json: boolean;
  scenarios: string;
}

export async function cmdGate(a: GateArgs): Promise<number> {
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

export function register(y: Argv, done: (code: number) => void): Argv {
  return y.command(
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
      done(await cmdGate(a as unknown as GateArgs));
    },
  );
}
