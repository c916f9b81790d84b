import { describe, expect, it } from 'vitest';
import { NecessityError, type NecessityReport, necessity } from '../../../checker/analysis/necessity.ts';
import vcpuRequests from '../../../models/vcpu-requests.ts';
import { lockedCounter } from '../../fixtures/analysis-models.ts';

/** `op@role:label` -> verdict (and the property broken, when needed). */
function table(rep: NecessityReport): Record<string, string> {
  return Object.fromEntries(
    rep.sites.map((s, i) => {
      const o = rep.outcomes[i]!;
      return [`${s.op}@${s.role}:${s.label}`, o.verdict === 'needed' ? `needed ${o.property}` : o.verdict];
    }),
  );
}

describe('necessity', () => {
  it('vcpu-requests under tso: both sides of the Dekker handshake are needed, the rest redundant', async () => {
    const rep = await necessity(vcpuRequests, { memory: 'tso' });
    expect(rep.baseline.verdict).toBe('holds');
    expect(table(rep)).toEqual({
      'clear_bit@vcpu:kvm_check_request': 'redundant',
      'smp_mb__after_atomic@vcpu:kvm_check_request': 'redundant',
      // the vCPU's smp_mb() between WRITE_ONCE(mode) and the last request check
      'smp_mb@vcpu:smp_mb': 'needed noLostRequest',
      'smp_wmb@vcpu:cancel_injection': 'redundant',
      'smp_wmb@vcpu:vm_exit': 'redundant',
      'smp_wmb@requester:make_request': 'redundant',
      'set_bit@requester:make_request': 'redundant',
      // a compiler barrier on x86: the cmpxchg after it is LOCKed
      'smp_mb__before_atomic@requester:kick': 'redundant',
      // the requester's side: without the atomic IN -> EXITING transition, S3 breaks
      'cmpxchg@requester:kick': 'needed exitingImpliesIpi',
    });
    const mb = rep.sites.findIndex((s) => s.op === 'smp_mb');
    expect(rep.sites[mb]!.processes).toEqual(['vcpu0', 'vcpu1']);
    expect(rep.sites[mb]!.weakened).toBe('removed');
    expect(rep.outcomes[mb]!.traceLength).toBe(9);
    expect(rep.pairs).toEqual([]);
  });

  it('judged by noLostRequest alone: set_bit and cmpxchg each order the request, so they are needed together', async () => {
    const rep = await necessity(vcpuRequests, { memory: 'tso', search: { properties: ['noLostRequest'] } });
    const t = table(rep);
    expect(t['smp_mb@vcpu:smp_mb']).toBe('needed noLostRequest');
    expect(t['cmpxchg@requester:kick']).toBe('redundant');
    expect(t['set_bit@requester:make_request']).toBe('redundant');
    expect(rep.pairs.map((p) => [rep.sites[p.a]!.op, rep.sites[p.b]!.op, p.outcome.property])).toEqual([
      ['set_bit', 'cmpxchg', 'noLostRequest'],
    ]);
  });

  it('under sc no fence is needed', async () => {
    const rep = await necessity(vcpuRequests, { memory: 'sc', pairs: false });
    const fences = rep.sites
      .filter((s) => s.weakened === 'removed')
      .map((s) => rep.outcomes[rep.sites.indexOf(s)]!);
    expect(fences.length).toBeGreaterThan(0);
    expect(fences.every((o) => o.verdict === 'redundant')).toBe(true);
  });

  it('a lock acquisition is weakened to no lock at all, and is needed under every memory model', async () => {
    for (const memory of ['sc', 'tso']) {
      const rep = await necessity(lockedCounter, { memory });
      const t = table(rep);
      expect(t['spin_lock@cpu:lock'], memory).toBe('needed mutualExclusion');
      expect(rep.sites.find((s) => s.op === 'spin_lock')!.weakened).toBe('lock not taken');
      // spin_unlock's release store orders nothing that matters here
      expect(t['spin_unlock@cpu:unlock'], memory).toBe('redundant');
    }
  });

  it('refuses a variant that does not hold', async () => {
    await expect(necessity(vcpuRequests, { variant: 'no-mb-vcpu', memory: 'tso' })).rejects.toThrow(
      NecessityError,
    );
    await expect(necessity(vcpuRequests, { variant: 'no-mb-vcpu', memory: 'tso' })).rejects.toThrow(
      /variant no-mb-vcpu of vcpu-requests does not hold under tso: noLostRequest is violated/,
    );
  });
});

describe('a weakened atomic loses its atomicity, not just its ordering', () => {
  it("marks dirty-bit's xchg needed even under sc (its store runs as a separate step)", async () => {
    const { loadCatalog } = await import('../../../models/index.ts');
    const def = (await loadCatalog()).get('dirty-bit')!;
    expect(table(await necessity(def, { memory: 'sc', pairs: false }))['xchg@cpu:clear']).toBe(
      'needed noLostDirty',
    );
  });
});
