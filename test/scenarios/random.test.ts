import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { exploreRandom, type RandomReport } from '../../checker/explore/random.ts';
import { instantiate } from '../../checker/model/define.ts';
import type { Model } from '../../checker/model/model.ts';
import { loadScenarios, type Scenario } from '../../checker/report/scenario.ts';
import { replaySteps } from '../../checker/trace/replay.ts';
import { savedFromResult } from '../../checker/trace/trace-file.ts';
import { loadCatalog } from '../../models/index.ts';
import { repoRoot } from '../cli/run-cli.ts';

/**
 * Random mode on every broken scenario in scenarios/ (whatever files are there): it must find the
 * scenario's violation within the budget below, and its shrunk trace must be at most twice as
 * long as the shortest one BFS finds.
 *
 * Budget per scenario: seed 1, walks of up to 500 steps (or the scenario's maxDepth): 20,000
 * walks with the uniform strategy, then 20,000 with PCT (d=3); if neither found it, 200,000 of
 * each. Uniform finds all but one family within 20,000 walks; tlb-flush-ro
 * dirty-log-unserialized needs PCT (a few hundred walks; uniform misses it in 200,000).
 * Most scenarios fall in under 1,000 walks; the deepest today, vcpu-requests B9
 * (nonatomic-ipi-reduction, two kickers, a 22-step interleaving with 8 context switches), takes
 * about 40,000 (sc) and 106,000 (tso) uniform walks with this seed.
 *
 * Excluded, with the reason: `reachable` failures (the property fails because NO reachable
 * state witnesses it; a random search can never show that), and liveness failures (their
 * counterexample is an infinite run, a lasso; random mode checks safety only).
 */
const BUDGET = { rounds: [20_000, 200_000], depth: 500, seed: 1 };

const scenarios = loadScenarios(join(repoRoot, 'scenarios'));
const catalog = await loadCatalog();
/** Liveness properties of the scenario's model (a counterexample is an infinite run: out of reach). */
function isLiveness(s: Scenario): boolean {
  if ((s.expect.kind as string | undefined) === 'liveness') return true;
  const def = catalog.get(s.model);
  if (!def) return false;
  const model = instantiate(def, { variant: s.variant, memory: s.memory, params: s.params });
  return (model.liveness ?? []).some((p) => p.name === s.expect.property);
}
const broken = scenarios.filter(
  (s) => s.expect.verdict === 'violated' && s.expect.kind !== 'reachable' && !isLiveness(s),
);

/**
 * The properties both searches check: only the expected one when it is an invariant or deadlock
 * (a model may have others, violated by longer traces, that a random walk can hit first);
 * assertions are always checked, so those runs keep the scenario's own selection.
 */
function propertiesFor(s: Scenario, model: Model): readonly string[] | undefined {
  const p = s.expect.property!;
  if (p === 'deadlock' || model.invariants.some((i) => i.name === p)) return [p];
  return s.properties;
}

describe('random mode finds every broken scenario and shrinks it to at most twice the BFS length', () => {
  it('there are broken scenarios to run', () => {
    expect(broken.length).toBeGreaterThan(0);
  });

  it.each(broken.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const def = catalog.get(s.model);
    expect(def, `model ${s.model}`).toBeDefined();
    const model = instantiate(def!, {
      variant: s.variant,
      memory: s.memory,
      params: s.params,
      bufferDepth: s.bufferDepth,
    });
    const properties = propertiesFor(s, model);
    const bfs = await explore(model, { properties, maxDepth: s.maxDepth, maxStates: s.maxStates });
    if (bfs.verdict !== 'violated' || bfs.violation.property !== s.expect.property) {
      // The scenario no longer matches its model (the gate test reports that); there is no
      // shortest trace to compare with.
      console.warn(`${s.name}: BFS does not find ${s.expect.property} violated; see the gate`);
      return;
    }
    const shortest = bfs.violation.trace!.steps.length;

    let r: RandomReport | null = null;
    search: for (const runs of BUDGET.rounds) {
      for (const strategy of ['uniform', 'pct'] as const) {
        r = await exploreRandom(model, {
          seed: BUDGET.seed,
          runs,
          depth: Math.min(BUDGET.depth, s.maxDepth ?? BUDGET.depth),
          strategy,
          properties,
        });
        if (r.result.verdict === 'violated') break search;
      }
    }
    expect(r!.result.verdict, `random mode within the budget`).toBe('violated');
    if (r!.result.verdict !== 'violated') return;
    const v = r!.result.violation;
    expect(v.property).toBe(s.expect.property);
    if (s.expect.kind) expect(v.kind).toBe(s.expect.kind);
    const c = r!.counterexample!;
    expect(c.shrunkLength).toBe(v.trace!.steps.length);
    expect(c.shrunkLength).toBeGreaterThanOrEqual(shortest);
    expect(c.shrunkLength, `raw ${c.rawLength}, BFS ${shortest}`).toBeLessThanOrEqual(2 * shortest);
    // the shrunk trace is a normal trace: its saved form replays, and ends in the same violation
    // (replay names the first invariant any state breaks: with a property selection, that may be
    // another one, so the expected property is checked on the last state too)
    const saved = savedFromResult(r!.result)!;
    const out = replaySteps(model, saved.steps, saved.property);
    expect(['reproduced', 'violates-other']).toContain(out.status);
    if (out.status === 'violates-other') {
      const inv = model.invariants.find((i) => i.name === s.expect.property);
      expect(inv, 'violates-other only where a property selection hid an earlier invariant').toBeDefined();
      expect(inv!.check(out.trace.states.at(-1)!)).toBe(false);
    }
  });
});
