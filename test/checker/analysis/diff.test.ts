import { describe, expect, it } from 'vitest';
import { diffModels } from '../../../checker/analysis/diff.ts';
import { explore } from '../../../checker/explore/bfs.ts';
import { instantiate } from '../../../checker/model/define.ts';
import vcpuRequests from '../../../models/vcpu-requests.ts';

const build = (variant: string, memory = 'tso') => instantiate(vcpuRequests, { variant, memory });

describe('diffModels', () => {
  it('fixed -> no-mb-vcpu under tso: both invariants newly violated, each with its own counterexample', async () => {
    const rep = await diffModels(build('fixed'), build('no-mb-vcpu'));
    const rows = Object.fromEntries(
      rep.properties.map((p) => [p.name, `${p.from.status} -> ${p.to.status}`]),
    );
    expect(rows).toMatchObject({
      noLostRequest: 'holds -> violated',
      exitingImpliesIpi: 'holds -> violated',
      kickSendsIpi: 'holds -> holds',
      deadlock: 'holds -> holds',
    });
    expect(rep.regressions.map((p) => p.name)).toEqual(['noLostRequest', 'exitingImpliesIpi']);
    const lost = rep.regressions[0]!.to.result!;
    expect(lost.verdict === 'violated' && lost.violation.trace!.steps.length).toBe(8);
    expect(rep.fixes).toEqual([]);
  });

  it('counts every reachable state on both sides, even where a property fails', async () => {
    const rep = await diffModels(build('no-mb-vcpu'), build('fixed'));
    const fixed = await explore(build('fixed'));
    expect(rep.states.to).toBe(fixed.stats.states);
    expect(rep.states.from).toBeGreaterThan(fixed.stats.states);
    expect(rep.fixes.map((p) => p.name)).toEqual(['noLostRequest', 'exitingImpliesIpi']);
  });

  it('under sc the missing barrier changes nothing', async () => {
    const rep = await diffModels(build('fixed', 'sc'), build('no-mb-vcpu', 'sc'));
    expect(rep.properties.filter((p) => p.changed)).toEqual([]);
  });
});
