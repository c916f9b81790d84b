import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { instantiate } from '../../../checker/model/define.ts';
import { coverageLines, neverFiredList, slotsRead } from '../../../checker/report/coverage.ts';
import vcpuRequests from '../../../models/vcpu-requests.ts';
import { deadCode } from '../../fixtures/analysis-models.ts';

describe('coverage of an exhaustive run', () => {
  it('names the step whose guard is never true and the invariant that is never exercised', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await explore(instantiate(deadCode, { memory }));
      expect(r.verdict).toBe('holds');
      const c = r.coverage!;
      expect(c.neverFired.map((s) => `${s.process}:${s.label}:${s.name}`)).toEqual([
        'p:check:x = 3 (only when x is 2: never)',
      ]);
      expect(neverFiredList(c.steps)).toBe('p: check (x = 3 (only when x is 2: never))');
      expect(c.unexercised).toEqual([{ name: 'vacuous', reads: ['never_written'] }]);
      expect(coverageLines(c).map((l) => l.warn)).toEqual([true, true]);
    }
  });

  it('counts each firing: vcpu-requests fires every step, and its invariants are exercised', async () => {
    const model = instantiate(vcpuRequests, { memory: 'tso' });
    const r = await explore(model);
    const c = r.coverage!;
    expect(c.neverFired).toEqual([]);
    expect(c.unexercised).toEqual([]);
    expect(c.steps).toHaveLength(model.actions.length);
    // the requester stores only with LOCKed RMWs, so its store buffer never drains anything
    expect(c.steps.filter((s) => s.fired === 0).map((s) => `${s.process}:${s.label}`)).toEqual([
      'requester0:drain',
    ]);
    expect(c.steps.reduce((n, s) => n + s.fired, 0)).toBe(r.stats.transitions);
    expect(coverageLines(c)).toEqual([
      {
        text: `coverage: all ${model.actions.filter((a) => a.kind !== 'memory').length} steps fired`,
        warn: false,
      },
    ]);
  });

  it('is left out when the run stopped early', async () => {
    const r = await explore(instantiate(vcpuRequests, { variant: 'no-mb-vcpu', memory: 'tso' }));
    expect(r.verdict).toBe('violated');
    expect(r.coverage).toBeUndefined();
  });

  it('finds what a predicate reads', () => {
    const s = Int32Array.from([0, 5, 0, 7]);
    expect(slotsRead({ name: 'p', description: '', check: (x) => x[1] === 5 && x[3]! > 0 }, s)).toEqual([
      1, 3,
    ]);
    expect(slotsRead({ name: 'p', description: '', check: (x) => x[0] === 1 && x[3]! > 0 }, s)).toEqual([0]);
  });
});
