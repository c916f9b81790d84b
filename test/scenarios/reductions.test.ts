import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instantiate } from '../../checker/model/define.ts';
import { runScenario } from '../../checker/report/gate.ts';
import type { Result } from '../../checker/report/result.ts';
import { loadScenarios } from '../../checker/report/scenario.ts';
import { replaySteps } from '../../checker/trace/replay.ts';
import { toSaved } from '../../checker/trace/trace-file.ts';
import { loadCatalog } from '../../models/index.ts';
import { repoRoot } from '../cli/run-cli.ts';

/**
 * The reductions never change a verdict (issue 8): every scenario, run with symmetry reduction
 * and with partial-order reduction, gets the verdict it gets without them, the same violated
 * property, and a counterexample that replays; a reduction explores no more states.
 */

const scenarios = loadScenarios(join(repoRoot, 'scenarios'));
const catalog = await loadCatalog();

function verdictOf(r: Result | null): string {
  if (r === null) return 'could not run';
  return r.verdict === 'violated' ? `violated ${r.violation.property} (${r.violation.kind})` : r.verdict;
}

const plainRuns = new Map<string, Awaited<ReturnType<typeof runScenario>>>();

async function compare(name: string, reduced: { symmetry?: 'on' | 'off'; por?: 'on' | 'off' }) {
  const s = scenarios.find((x) => x.name === name)!;
  let plain = plainRuns.get(name);
  if (plain === undefined) {
    plain = await runScenario(s, catalog, undefined, { symmetry: 'off', por: 'off' });
    plainRuns.set(name, plain);
  }
  const other = await runScenario(s, catalog, undefined, { symmetry: 'off', por: 'off', ...reduced });
  expect(verdictOf(other.result)).toBe(verdictOf(plain.result));
  const r = other.result!;
  if (r.verdict === 'holds') expect(r.stats.states).toBeLessThanOrEqual(plain.result!.stats.states);
  const trace = r.verdict === 'violated' ? r.violation.trace : null;
  if (r.verdict === 'violated' && trace !== null && trace.cycleStart === undefined) {
    // the counterexample, in real process numbers, replays to the same violation
    const model = instantiate(catalog.get(s.model)!, {
      variant: s.variant,
      memory: s.memory,
      params: s.params,
      bufferDepth: s.bufferDepth,
    });
    const saved = toSaved(trace, r.violation.property, r.violation.kind);
    // (a scenario that names its property may end in a state violating others too)
    expect(replaySteps(model, saved.steps, r.violation.property).status).toMatch(/reproduced|violates-other/);
  }
}

const names = scenarios.map((s) => s.name);

describe('partial-order reduction keeps every scenario verdict', () => {
  it.each(names)('%s', async (name) => compare(name, { por: 'on' }));
});

describe('symmetry reduction keeps every scenario verdict', () => {
  it.each(names)('%s', async (name) => compare(name, { symmetry: 'on' }));
});
