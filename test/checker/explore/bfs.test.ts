import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { instantiate } from '../../../checker/model/define.ts';
import { abba, counter, grid } from '../../fixtures/models.ts';

describe('exhaustive BFS', () => {
  it('explores a line of n+1 states and witnesses its reachable property', async () => {
    const r = await explore(instantiate(counter, { memory: 'sc', params: { n: 5 } }));
    expect(r.verdict).toBe('holds');
    expect(r.stats.states).toBe(6);
    expect(r.stats.transitions).toBe(5);
    expect(r.stats.depth).toBe(5);
  });

  it('counts a product space exactly and reaches the full depth', async () => {
    const r = await explore(instantiate(grid, { memory: 'sc', params: { a: 3, b: 4 } }));
    expect(r.verdict).toBe('holds');
    expect(r.stats.states).toBe(20);
    expect(r.stats.transitions).toBe(3 * 5 + 4 * 4);
    expect(r.stats.depth).toBe(7);
  });

  it('returns a shortest counterexample (BFS order)', async () => {
    const r = await explore(instantiate(grid, { memory: 'sc', params: { a: 5, b: 5, target: 4 } }));
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('sumNotTarget');
    expect(r.violation.trace!.steps).toHaveLength(4);
    // the first state at depth 4 in BFS order: p0 steps first wherever both can
    expect(r.violation.trace!.steps.map((s) => s.processName)).toEqual(['p0', 'p0', 'p0', 'p0']);
  });

  it('finds the ABBA deadlock with a two-lock trace, and none when the order agrees', async () => {
    const r = await explore(instantiate(abba, { memory: 'sc', variant: 'abba' }));
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.kind).toBe('deadlock');
    expect(r.violation.trace!.steps.map((s) => `${s.processName}:${s.label}`)).toEqual([
      't0:first',
      't1:first',
    ]);
    const ok = await explore(instantiate(abba, { memory: 'sc', variant: 'ordered' }));
    expect(ok.verdict).toBe('holds');
  });

  it('does not call a finished run a deadlock, and can ignore deadlocks', async () => {
    expect((await explore(instantiate(counter, { memory: 'sc' }))).verdict).toBe('holds');
    expect(
      (await explore(instantiate(abba, { memory: 'sc', variant: 'abba' }), { deadlock: 'off' })).verdict,
    ).toBe('holds');
  });

  it('ends incomplete at --max-states and --max-depth, saying which', async () => {
    const m = instantiate(counter, { memory: 'sc', params: { n: 100 } });
    const a = await explore(m, { maxStates: 10 });
    expect(a.verdict).toBe('incomplete');
    if (a.verdict === 'incomplete') expect(a.reason).toBe('max-states');
    expect(a.stats.states).toBe(10);
    const b = await explore(m, { maxDepth: 7 });
    expect(b.verdict).toBe('incomplete');
    if (b.verdict === 'incomplete') expect(b.reason).toBe('max-depth');
    expect(b.stats.states).toBe(8);
  });

  it('ends incomplete when the memory cap is reached instead of crashing', async () => {
    const r = await explore(instantiate(grid, { memory: 'sc', params: { a: 50, b: 50 } }), {
      memoryCapBytes: 16 << 10,
    });
    expect(r.verdict).toBe('incomplete');
    if (r.verdict === 'incomplete') expect(r.reason).toBe('memory');
  });

  it('ends incomplete (interrupted) when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await explore(instantiate(grid, { memory: 'sc', params: { a: 50, b: 50 } }), {
      signal: ac.signal,
    });
    expect(r.verdict).toBe('incomplete');
    if (r.verdict === 'incomplete') expect(r.reason).toBe('interrupted');
  });

  it('fails a reachable property that has no witness, without a trace', async () => {
    const r = await explore(instantiate(counter, { memory: 'sc', variant: 'stops-early', params: { n: 5 } }));
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('reachesN');
    expect(r.violation.kind).toBe('reachable');
    expect(r.violation.trace).toBeNull();
    expect(r.stats.states).toBe(5);
  });

  it('reports an assertion inside a step with the step that failed it', async () => {
    const r = await explore(instantiate(counter, { memory: 'sc', variant: 'assert-at-3', params: { n: 5 } }));
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('xNever3');
    expect(r.violation.kind).toBe('assertion');
    expect(r.violation.trace!.steps).toHaveLength(3);
  });

  it('reports a write outside a domain as a model error with the trace that reached it', async () => {
    const r = await explore(instantiate(counter, { memory: 'sc', variant: 'overflow', params: { n: 3 } }));
    expect(r.verdict).toBe('error');
    if (r.verdict !== 'error') return;
    expect(r.message).toMatch(/outside its domain 0\.\.3/);
    expect(r.trace!.steps).toHaveLength(3);
  });

  it('checks only the properties asked for', async () => {
    const m = instantiate(grid, { memory: 'sc', params: { a: 2, b: 2, target: 1 } });
    expect((await explore(m, { properties: ['deadlock'] })).verdict).toBe('holds');
    await expect(explore(m, { properties: ['nope'] })).rejects.toThrow(
      /unknown property 'nope'.*sumNotTarget/,
    );
  });
});
