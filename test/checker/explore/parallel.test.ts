import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import type { SearchOptions } from '../../../checker/explore/options.ts';
import { closeWorkers } from '../../../checker/explore/parallel.ts';
import {
  defineModel,
  instantiate,
  type ModelDefinition,
  registerModelModule,
} from '../../../checker/model/define.ts';
import type { Model } from '../../../checker/model/model.ts';
import { int } from '../../../checker/model/params.ts';
import type { Result } from '../../../checker/report/result.ts';
import { intDomain } from '../../../checker/state/layout.ts';
import { replaySteps } from '../../../checker/trace/replay.ts';
import { toSaved } from '../../../checker/trace/trace-file.ts';
import { loadCatalog } from '../../../models/index.ts';
import { cli } from '../../cli/run-cli.ts';
import { counter, grid } from '../../fixtures/models.ts';

// Starting a worker takes about a second (tsx and the model's modules); runs reuse idle ones.

let catalog: Map<string, ModelDefinition>;
beforeAll(async () => {
  catalog = await loadCatalog(); // registers the shipped models' modules
  const fixtures = new URL('../../fixtures/models.ts', import.meta.url).href;
  registerModelModule(counter, fixtures);
  registerModelModule(grid, fixtures);
});
afterAll(closeWorkers);

const shipped = (name: string, options: Parameters<typeof instantiate>[1]) =>
  instantiate(catalog.get(name)!, options);

/** The same run in one thread and in `workers` threads. */
async function both(model: Model, options: SearchOptions = {}, workers = 2): Promise<[Result, Result]> {
  const one = await explore(model, options);
  const many = await explore(model, { ...options, workers });
  expect(many.reductions).toContain(`parallel search in ${workers} worker threads`);
  return [one, many];
}

/** A violation found in parallel is as short as the one-thread one, and replays to it. */
function expectSameViolation(model: Model, one: Result, many: Result): void {
  expect(one.verdict).toBe('violated');
  expect(many.verdict).toBe('violated');
  if (one.verdict !== 'violated' || many.verdict !== 'violated') return;
  expect(many.violation.property).toBe(one.violation.property);
  expect(many.violation.kind).toBe(one.violation.kind);
  const trace = many.violation.trace!;
  expect(trace.steps).toHaveLength(one.violation.trace!.steps.length);
  const saved = toSaved(trace, many.violation.property, many.violation.kind);
  expect(replaySteps(model, saved.steps, many.violation.property).status).toBe('reproduced');
}

describe('parallel exhaustive search (workers)', () => {
  it('explores exactly the states, transitions, depth and coverage of the one-thread search', async () => {
    const m = shipped('vcpu-requests', { variant: 'fixed', memory: 'tso', params: { vcpus: 2 } });
    const [one, many] = await both(m);
    expect(one.verdict).toBe('holds');
    expect(many.verdict).toBe('holds');
    expect(many.stats.states).toBe(one.stats.states);
    expect(many.stats.transitions).toBe(one.stats.transitions);
    expect(many.stats.depth).toBe(one.stats.depth);
    expect(many.stats.bytesPerState).toBeGreaterThan(0);
    expect(many.coverage?.steps).toEqual(one.coverage?.steps);
    expect(many.coverage?.unexercised).toEqual(one.coverage?.unexercised);
  });

  it('returns a shortest counterexample that replays (vcpu-requests no-mb-vcpu under tso)', async () => {
    const m = shipped('vcpu-requests', { variant: 'no-mb-vcpu', memory: 'tso' });
    const [one, many] = await both(m);
    expectSameViolation(m, one, many);
  });

  it('reports a deadlock with its waits-for chain (mn-invalidate rwsem)', async () => {
    const m = shipped('mn-invalidate', {
      variant: 'rwsem',
      memory: 'sc',
      params: { notifiers: 2, faults: 0 },
    });
    const [one, many] = await both(m);
    expectSameViolation(m, one, many);
    if (one.verdict !== 'violated' || many.verdict !== 'violated') return;
    expect(many.violation.waitsFor?.length).toBeGreaterThan(0);
    expect(many.violation.description).toMatch(/^no step is enabled/);
  });

  it('canonicalizes under symmetry: the same reduced count, and a trace in real process numbers', async () => {
    const fixed = shipped('vcpu-requests', { variant: 'fixed', memory: 'tso' });
    const [one, many] = await both(fixed, { symmetry: 'on' }, 3);
    expect(many.verdict).toBe('holds');
    expect(many.stats.states).toBe(one.stats.states);
    expect(many.reductions?.[0]).toMatch(/^symmetry over vcpu/);
    const broken = shipped('vcpu-requests', { variant: 'no-mb-vcpu', memory: 'tso' });
    const [a, b] = await both(broken, { symmetry: 'on' });
    expectSameViolation(broken, a, b);
  });

  it('fails a reachable property without a witness, and reports failed assertions and model errors', async () => {
    const early = instantiate(counter, { memory: 'sc', variant: 'stops-early', params: { n: 6 } });
    const [one, many] = await both(early);
    expect(many.verdict).toBe('violated');
    if (many.verdict === 'violated')
      expect(many.violation).toMatchObject({ property: 'reachesN', kind: 'reachable' });
    expect(many.stats.states).toBe(one.stats.states);

    const asserts = instantiate(counter, { memory: 'sc', variant: 'assert-at-3', params: { n: 6 } });
    const [a, b] = await both(asserts);
    expectSameViolation(asserts, a, b);

    const overflow = instantiate(counter, { memory: 'sc', variant: 'overflow', params: { n: 4 } });
    const [x, y] = await both(overflow);
    expect(y.verdict).toBe('error');
    if (x.verdict === 'error' && y.verdict === 'error') {
      expect(y.message).toBe(x.message);
      expect(y.trace?.steps).toHaveLength(x.trace!.steps.length);
    }
  });

  it('ends incomplete at --max-states, --max-depth, the memory cap and on abort', async () => {
    const line = instantiate(counter, { memory: 'sc', params: { n: 100 } });
    const square = instantiate(grid, { memory: 'sc', params: { a: 50, b: 50 } });
    const aborted = new AbortController();
    aborted.abort();
    // one after the other, so that they reuse the same two workers
    const states = await explore(line, { workers: 2, maxStates: 10 });
    const depth = await explore(line, { workers: 2, maxDepth: 7 });
    const memory = await explore(square, { workers: 2, memoryCapBytes: 16 << 10 });
    const interrupted = await explore(square, { workers: 2, signal: aborted.signal });
    expect(states).toMatchObject({ verdict: 'incomplete', reason: 'max-states' });
    expect(states.stats.states).toBe(10);
    expect(depth).toMatchObject({ verdict: 'incomplete', reason: 'max-depth' });
    expect(depth.stats.states).toBe(8);
    expect(depth.stats.depth).toBe(7);
    expect(memory).toMatchObject({ verdict: 'incomplete', reason: 'memory' });
    expect(interrupted).toMatchObject({ verdict: 'incomplete', reason: 'interrupted' });
  });

  it('picks the same shortest violation however the workers are timed', async () => {
    const m = instantiate(grid, { memory: 'sc', params: { a: 20, b: 20, target: 12 } });
    const runs = [await explore(m, { workers: 3 }), await explore(m, { workers: 3 })];
    const ends = runs.map((r) =>
      r.verdict === 'violated' ? r.violation.trace!.states.at(-1)!.join() : r.verdict,
    );
    expect(runs[0]!.verdict).toBe('violated');
    expect(ends[0]).toBe(ends[1]);
    if (runs[0]!.verdict === 'violated') expect(runs[0]!.violation.trace!.steps).toHaveLength(12);
  });

  it('runs in one thread, saying why, where workers cannot be used', async () => {
    const unregistered = defineModel({
      name: 'unregistered',
      title: 'a model defined in a test',
      source: 'test',
      params: { n: int(1, 9, 3) },
      variants: { fixed: 'counts' },
      build(b, { params }) {
        const x = b.shared('x', intDomain(0, params.n as number));
        const P = b.process('p');
        P.step('inc', 'x++', (c) => {
          const v = c.load(x) + 1;
          c.store(x, v);
          return v < (params.n as number) ? P.label('inc') : P.done;
        });
      },
    });
    const r = await explore(instantiate(unregistered, { memory: 'sc' }), { workers: 4 });
    expect(r.verdict).toBe('holds');
    expect(r.stats.states).toBe(4);
    expect(r.reductions?.at(-1)).toMatch(/^one thread, not 4 workers: .*registerModelModule/);
    const por = await explore(instantiate(counter, { memory: 'sc' }), { workers: 2, por: 'on' });
    expect(por.reductions?.at(-1)).toMatch(/^one thread, not 2 workers: partial-order reduction/);
  });

  it('kvmcheck check --workers N: the counterexample in JSON; a bad N is one line, exit 2', async () => {
    const r = await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu', '--workers', '2', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.reductions).toContain('parallel search in 2 worker threads');
    expect(j.trace.steps).toHaveLength(8);
    for (const bad of ['0', '1.5', 'many']) {
      const e = await cli('check', 'vcpu-requests', '--workers', bad);
      expect(e.code).toBe(2);
      expect(e.stderr).toMatch(/bad value '.*' for --workers: expected a positive integer/);
      expect(e.stderr.trim().split('\n')[0]).toMatch(/--workers/);
    }
  });
});
