import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { parseLitmus } from '../../../checker/litmus/parse.ts';
import { runLitmus } from '../../../checker/litmus/run.ts';
import { instantiate } from '../../../checker/model/define.ts';
import { litmus } from '../../fixtures/models.ts';
import { mpShapes } from '../../fixtures/mp-shapes.ts';

async function observable(def: typeof mpShapes, variant: string, memory: string): Promise<boolean> {
  const r = await explore(instantiate(def, { variant, memory }));
  expect(['holds', 'violated']).toContain(r.verdict);
  if (r.verdict === 'violated') expect(r.violation.kind).toBe('invariant');
  return r.verdict === 'violated';
}

/** Runs an inline C litmus test; returns herd7's observation. */
function observe(body: string, memory: string): string {
  return runLitmus(parseLitmus(`C t\n${body}`, 'inline.litmus'), memory).observation;
}

describe('pso: tso plus store->store reordering', () => {
  it('MP without smp_wmb: the flag becomes visible before the data (not under tso)', async () => {
    expect(await observable(mpShapes, 'no-wmb', 'tso')).toBe(false);
    expect(await observable(mpShapes, 'no-wmb', 'pso')).toBe(true);
    expect(await observable(mpShapes, 'no-release', 'pso')).toBe(true);
  });

  it('smp_wmb and release order the stores; loads stay in order, so smp_rmb and acquire change nothing', async () => {
    for (const v of ['wmb-rmb', 'no-rmb', 'release-acquire', 'no-acquire', 'request', 'no-after-atomic']) {
      expect(await observable(mpShapes, v, 'pso'), v).toBe(false);
    }
  });

  it('the counterexample drains the flag while the data is still buffered', async () => {
    const r = await explore(instantiate(mpShapes, { variant: 'no-wmb', memory: 'pso' }));
    if (r.verdict !== 'violated') throw new Error('expected a counterexample');
    const steps = r.violation.trace!.steps;
    expect(steps.map((s) => `${s.processName}:${s.label}`)).toEqual([
      'writer:data',
      'writer:flag',
      'writer:drain',
      'reader:flag',
      'reader:rmb',
      'reader:data',
    ]);
    expect(steps[1]!.buffered).toEqual(['data[0] = 1', 'flag = 1']);
    expect(steps[2]!.name).toContain('#2');
    expect(steps[2]!.buffered).toEqual(['data[0] = 1']);
    expect(steps[5]!.reads).toEqual(['data[0] = 0']);
  });

  it('SB is observable; smp_mb on both sides forbids it', async () => {
    expect(await observable(litmus, 'sb', 'pso')).toBe(true);
    expect(await observable(litmus, 'sb-mb', 'pso')).toBe(false);
    expect(await observable(litmus, 'cowr', 'pso')).toBe(false);
  });

  it('stores to one address drain in order; an smp_wmb orders every older store before every newer one', () => {
    const writer = `P0(int *a, int *b, int *c) { WRITE_ONCE(*a, 1); WRITE_ONCE(*b, 1); smp_wmb(); WRITE_ONCE(*c, 1); WRITE_ONCE(*c, 2); }`;
    expect(
      observe(
        `{}\n${writer}\nP1(int *a, int *b) { int r0; int r1; r0 = READ_ONCE(*b); r1 = READ_ONCE(*a); }\nexists (1:r0=1 /\\ 1:r1=0)`,
        'pso',
      ),
    ).toBe('Sometimes');
    expect(
      observe(
        `{}\n${writer}\nP1(int *a, int *c) { int r0; int r1; r0 = READ_ONCE(*c); r1 = READ_ONCE(*a); }\nexists (1:r0=1 /\\ 1:r1=0)`,
        'pso',
      ),
    ).toBe('Never');
    expect(
      observe(
        `{}\n${writer}\nP1(int *b, int *c) { int r0; int r1; r0 = READ_ONCE(*c); r1 = READ_ONCE(*b); }\nexists (1:r0=2 /\\ 1:r1=0)`,
        'pso',
      ),
    ).toBe('Never');
    expect(observe(`{}\n${writer}\nexists (c=1)`, 'pso')).toBe('Never');
  });

  it('atomics are locked instructions: they wait for the store buffer, even a failing cmpxchg', () => {
    const sb = (rmw: string) =>
      `{}\nP0(int *x, int *y, int *z) { int r0; int r1; WRITE_ONCE(*x, 1); r1 = ${rmw}; r0 = READ_ONCE(*y); }\nP1(int *x, int *y, int *z) { int r0; int r1; WRITE_ONCE(*y, 1); r1 = ${rmw}; r0 = READ_ONCE(*x); }\nexists (0:r0=0 /\\ 1:r0=0)`;
    expect(observe(sb('cmpxchg(z, 1, 0)'), 'pso')).toBe('Never');
    expect(observe(sb('xchg(z, 1)'), 'pso')).toBe('Never');
    expect(observe(sb('READ_ONCE(*z)'), 'pso')).toBe('Sometimes');
  });
});
