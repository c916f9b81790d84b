import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import {
  exploreRandom,
  mergeCoverage,
  type RandomReport,
  shardSeed,
} from '../../../checker/explore/random.ts';
import { contextSwitches } from '../../../checker/explore/shrink.ts';
import { PctStrategy } from '../../../checker/explore/strategy.ts';
import { Walker } from '../../../checker/explore/walker.ts';
import { defineModel, instantiate, intDomain } from '../../../checker/index.ts';
import { StateSketch } from '../../../checker/state/sketch.ts';
import { replaySteps } from '../../../checker/trace/replay.ts';
import { savedFromResult } from '../../../checker/trace/trace-file.ts';
import vcpuRequests from '../../../models/vcpu-requests.ts';
import { abba, counter, grid, litmus } from '../../fixtures/models.ts';
import { programModel, programsArb } from '../../fixtures/random-programs.ts';

/** What must be equal between two runs with the same seed (everything but wall-clock times). */
function fingerprint(r: RandomReport) {
  const { seconds: _s, stepsPerSecond: _r, ...search } = r.search;
  const { shrinkSeconds: _t, ...cx } = r.counterexample ?? { shrinkSeconds: 0 };
  return {
    verdict: r.result.verdict,
    property: r.result.verdict === 'violated' ? r.result.violation.property : null,
    trace: r.result.verdict === 'violated' ? r.result.violation.trace!.steps.map((s) => s.action) : null,
    search,
    counterexample: cx,
    coverage: r.coverage,
  };
}

const actionsOf = (r: RandomReport) =>
  r.result.verdict === 'violated' ? r.result.violation.trace!.steps.map((s) => s.action) : [];

describe('random walks', () => {
  it('never says holds: a run without a violation is incomplete, with its coverage', async () => {
    const model = instantiate(vcpuRequests, { variant: 'fixed', memory: 'tso' });
    const r = await exploreRandom(model, { seed: 1, runs: 300 });
    expect(r.result.verdict).toBe('incomplete');
    if (r.result.verdict === 'incomplete') {
      expect(r.result.reason).toBe('random');
      expect(r.result.detail).toMatch(/proves nothing/);
    }
    expect(r.search.walks).toBe(300);
    expect(r.search.steps).toBeGreaterThan(300);
    expect(r.search.distinct).toBeGreaterThan(100);
    // the sketch estimates the exact count closely
    expect(Math.abs(r.search.distinctEstimate - r.search.distinct) / r.search.distinct).toBeLessThan(0.1);
    expect(r.coverage.reachables).toEqual([{ name: 'kickSendsIpi', witnessed: true }]);
    const total = r.coverage.actions.reduce((n, a) => n + a.fired, 0);
    expect(total).toBe(r.search.steps);
  });

  it('reports the steps that never fired', async () => {
    const def = defineModel({
      name: 'dead-step',
      title: 'a step whose guard never holds',
      source: 'test',
      params: {},
      variants: { fixed: 'one live step, one dead' },
      build(b) {
        const x = b.shared('x', intDomain(0, 2));
        const P = b.process('p');
        P.step('go', 'x = 1', (c) => c.store(x, 1));
        P.step('go', 'never', (c) => c.store(x, 2), { guard: () => false });
      },
    });
    const r = await exploreRandom(instantiate(def, { memory: 'sc' }), { seed: 3, runs: 50 });
    expect(r.result.verdict).toBe('incomplete');
    const never = r.coverage.actions.filter((a) => a.fired === 0).map((a) => a.name);
    expect(never).toEqual(['never']);
  });

  it('finds the store-buffering bug of vcpu-requests (vcpus=4, tso) and shrinks it to the BFS length', async () => {
    const model = instantiate(vcpuRequests, { variant: 'no-mb-vcpu', memory: 'tso', params: { vcpus: 4 } });
    const bfs = await explore(instantiate(vcpuRequests, { variant: 'no-mb-vcpu', memory: 'tso' }));
    expect(bfs.verdict).toBe('violated');
    const shortest = bfs.verdict === 'violated' ? bfs.violation.trace!.steps.length : 0;
    for (const strategy of ['uniform', 'pct'] as const) {
      const r = await exploreRandom(model, { seed: 11, runs: 5000, strategy });
      expect(r.result.verdict).toBe('violated');
      const c = r.counterexample!;
      expect(c.rawLength).toBeGreaterThanOrEqual(c.fastCheckLength);
      expect(c.fastCheckLength).toBeGreaterThanOrEqual(c.shrunkLength);
      expect(c.shrunkLength).toBe(shortest);
      // the vCPU enters the guest, then the requester makes its request and kicks: one switch
      expect(c.shrunkSwitches).toBe(1);
      expect(contextSwitches(model, actionsOf(r))).toBe(1);
      const saved = savedFromResult(r.result)!;
      expect(replaySteps(model, saved.steps, saved.property).status).toBe('reproduced');
    }
  });

  it('finds deadlocks, failed assertions and model errors', async () => {
    const dl = await exploreRandom(instantiate(abba, { variant: 'abba', memory: 'sc' }), {
      seed: 2,
      runs: 500,
    });
    expect(dl.result.verdict).toBe('violated');
    if (dl.result.verdict === 'violated') {
      expect(dl.result.violation.kind).toBe('deadlock');
      expect(dl.result.violation.trace!.steps).toHaveLength(2);
    }
    const as = await exploreRandom(instantiate(counter, { variant: 'assert-at-3', memory: 'sc' }), {
      seed: 2,
      runs: 5,
    });
    expect(as.result.verdict).toBe('violated');
    if (as.result.verdict === 'violated') {
      expect(as.result.violation).toMatchObject({ property: 'xNever3', kind: 'assertion' });
      expect(as.result.violation.trace!.steps).toHaveLength(3);
    }
    const err = await exploreRandom(instantiate(counter, { variant: 'overflow', memory: 'sc' }), {
      seed: 2,
      runs: 5,
    });
    expect(err.result.verdict).toBe('error');
    if (err.result.verdict === 'error') expect(err.result.trace!.steps).toHaveLength(5);
  });

  it('shrinks to the fewest context switches among the shortest traces', async () => {
    // x + y reaches 5 on every walk; the shortest traces have 5 steps, the calmest one switch
    const model = instantiate(grid, { memory: 'sc', params: { a: 3, b: 4, target: 5 } });
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = await exploreRandom(model, { seed, runs: 10 });
      expect(r.counterexample!.shrunkLength).toBe(5);
      expect(r.counterexample!.shrunkSwitches).toBe(1);
    }
  });

  it('the same seed gives the same run; seed and path replay the failing walk alone', async () => {
    const model = instantiate(vcpuRequests, {
      variant: 'no-mb-requester',
      memory: 'tso',
      params: { vcpus: 3 },
    });
    for (const strategy of ['uniform', 'pct'] as const) {
      const a = await exploreRandom(model, { seed: 99, runs: 5000, strategy });
      const b = await exploreRandom(model, { seed: 99, runs: 5000, strategy });
      expect(a.result.verdict).toBe('violated');
      expect(fingerprint(b)).toEqual(fingerprint(a));
      const again = await exploreRandom(model, {
        seed: a.search.fastCheckSeed,
        path: a.counterexample!.path,
        strategy,
      });
      expect(again.search.walks).toBe(1);
      expect(again.counterexample!.path).toBe(a.counterexample!.path);
      expect(again.counterexample!.rawLength).toBe(a.counterexample!.rawLength);
      expect(actionsOf(again)).toEqual(actionsOf(a));
    }
  });

  it('shards split the seed space: disjoint seeds, different walks, merged coverage adds up', async () => {
    const seeds = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((i) => shardSeed(12345, { index: i, count: 8 })));
    expect(seeds.size).toBe(8);
    expect(shardSeed(12345, undefined)).toBe(12345);
    const model = instantiate(vcpuRequests, { variant: 'fixed', memory: 'sc' });
    const runs = await Promise.all(
      [0, 1].map((index) => exploreRandom(model, { seed: 7, runs: 200, shard: { index, count: 2 } })),
    );
    expect(runs[0]!.search.fastCheckSeed).not.toBe(runs[1]!.search.fastCheckSeed);
    expect(runs[0]!.coverage.sketch).not.toBe(runs[1]!.coverage.sketch);
    const merged = mergeCoverage(runs.map((r) => r.coverage));
    merged.actions.forEach((a, i) => {
      expect(a.fired).toBe(runs[0]!.coverage.actions[i]!.fired + runs[1]!.coverage.actions[i]!.fired);
    });
    const union = StateSketch.fromBase64(merged.sketch).estimate();
    expect(union).toBeGreaterThanOrEqual(Math.max(...runs.map((r) => r.search.distinctEstimate)));
    expect(union).toBeLessThanOrEqual(runs[0]!.search.distinctEstimate + runs[1]!.search.distinctEstimate);
  });

  it('stops at the time limit and on an interrupt, as incomplete', async () => {
    const model = instantiate(vcpuRequests, { variant: 'fixed', memory: 'tso', params: { vcpus: 3 } });
    const t = await exploreRandom(model, { seed: 1, runs: Number.POSITIVE_INFINITY, timeLimit: 0.2 });
    expect(t.result.verdict).toBe('incomplete');
    if (t.result.verdict === 'incomplete') expect(t.result.reason).toBe('time-limit');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const i = await exploreRandom(model, { seed: 1, runs: Number.POSITIVE_INFINITY, signal: ac.signal });
    expect(i.result.verdict).toBe('incomplete');
    if (i.result.verdict === 'incomplete') expect(i.result.reason).toBe('interrupted');
    expect(i.search.walks).toBeGreaterThan(0);
  });
});

describe('PCT', () => {
  it('with no change point, the highest-priority process runs until it is done', () => {
    const model = instantiate(grid, { memory: 'sc', params: { a: 4, b: 4 } });
    const walker = new Walker(model, {
      invariants: [],
      reachables: [],
      checkDeadlock: true,
      depth: 100,
      memoryCapBytes: 2 ** 20,
    });
    const pct = new PctStrategy(2, 1, 8);
    for (let seed = 1; seed < 20; seed++) {
      pct.begin(seed);
      walker.run(pct, null, 0, false);
      const procs = Array.from(walker.taken.subarray(0, walker.length), (id) => model.actions[id]!.process);
      expect(procs).toHaveLength(8);
      expect(contextSwitches(model, Array.from(walker.taken.subarray(0, walker.length)))).toBe(1);
    }
  });
});

/**
 * Random guarded-action programs (as in test/checker/trace/replay.test.ts): whatever random mode
 * reports must be something the exhaustive search agrees can happen, its trace must replay, and it
 * can be no shorter than the BFS one.
 */
const programArb = fc.record({
  ...programsArb,
  memory: fc.constantFrom('sc', 'tso'),
  seed: fc.nat(),
  strategy: fc.constantFrom('uniform', 'pct'),
});

describe('random agrees with the exhaustive search', () => {
  it('never reports a violation BFS says cannot happen; its traces replay and are no shorter than BFS', async () => {
    let violations = 0;
    await fc.assert(
      fc.asyncProperty(programArb, async ({ procs, bad, memory, seed, strategy }) => {
        const model = instantiate(programModel(procs, bad), { memory });
        const bfs = await explore(model);
        const r = await exploreRandom(model, { seed, runs: 200, strategy });
        expect(['violated', 'incomplete']).toContain(r.result.verdict);
        if (r.result.verdict !== 'violated') return;
        violations++;
        expect(bfs.verdict).toBe('violated');
        if (bfs.verdict !== 'violated') return;
        expect(r.result.violation.property).toBe(bfs.violation.property);
        const steps = r.result.violation.trace!.steps.length;
        expect(steps).toBeGreaterThanOrEqual(bfs.violation.trace!.steps.length);
        const saved = savedFromResult(r.result)!;
        const out = replaySteps(model, saved.steps, saved.property);
        expect(out.status).toBe('reproduced');
      }),
      { numRuns: 120, seed: 4242 },
    );
    expect(violations).toBeGreaterThan(10);
  });

  it('finds what BFS finds on the litmus shapes, and shrinks to the BFS length', async () => {
    for (const [variant, memory] of [
      ['sb', 'tso'],
      ['mp', 'sc'],
    ] as const) {
      const model = instantiate(litmus, { variant, memory });
      const bfs = await explore(model);
      const r = await exploreRandom(model, { seed: 5, runs: 2000 });
      if (variant === 'mp') {
        expect(bfs.verdict).toBe('holds');
        expect(r.result.verdict).toBe('incomplete');
        continue;
      }
      expect(bfs.verdict).toBe('violated');
      expect(r.result.verdict).toBe('violated');
      if (bfs.verdict === 'violated')
        expect(r.counterexample!.shrunkLength).toBe(bfs.violation.trace!.steps.length);
    }
  });
});
