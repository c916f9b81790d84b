import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { instantiate } from '../../../checker/model/define.ts';
import { litmus } from '../../fixtures/models.ts';

/** The litmus shapes of tools/memory-model as tiny models: `violated` means the outcome is observable. */
async function observable(variant: string, memory: string): Promise<boolean> {
  const r = await explore(instantiate(litmus, { variant, memory }));
  expect(['holds', 'violated']).toContain(r.verdict);
  return r.verdict === 'violated';
}

describe('memory models on the litmus shapes', () => {
  it('SB: both loads read 0 under tso, never under sc', async () => {
    expect(await observable('sb', 'sc')).toBe(false);
    expect(await observable('sb', 'tso')).toBe(true);
  });

  it('SB with smp_mb() on both sides: forbidden under tso too', async () => {
    expect(await observable('sb-mb', 'tso')).toBe(false);
    expect(await observable('sb-mb', 'sc')).toBe(false);
  });

  it('MP: stores stay in order under tso (forbidden)', async () => {
    expect(await observable('mp', 'sc')).toBe(false);
    expect(await observable('mp', 'tso')).toBe(false);
  });

  it('CoWR: a CPU reads its own buffered store (forwarding)', async () => {
    expect(await observable('cowr', 'tso')).toBe(false);
  });

  it('the SB counterexample shows the store still buffered when the other CPU loads', async () => {
    const r = await explore(instantiate(litmus, { variant: 'sb', memory: 'tso' }));
    if (r.verdict !== 'violated') throw new Error('expected SB to be observable under tso');
    const steps = r.violation.trace!.steps;
    expect(steps.map((s) => `${s.processName}:${s.label}`)).toEqual(['P0:w', 'P0:r', 'P1:w', 'P1:r']);
    expect(steps[0]!.buffered).toEqual(['x = true']);
    expect(steps[3]!.reads).toEqual(['x = false']);
  });

  it('every result names the memory model it assumed', async () => {
    const r = await explore(instantiate(litmus, { variant: 'sb', memory: 'sc' }));
    expect(r.config.memory).toBe('sc');
    expect(instantiate(litmus, { variant: 'sb' }).config.memory).toBe('tso');
  });
});
