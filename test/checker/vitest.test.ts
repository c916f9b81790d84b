import { describe, expect, it } from 'vitest';
import { check, describeResult } from '../../checker/vitest.ts';
import vcpuRequests from '../../models/vcpu-requests.ts';

describe('kvmcheck/vitest matchers', () => {
  it('toHold and toBeViolated pass on the results they describe', async () => {
    const fixed = await check(vcpuRequests, { memory: 'tso' });
    const b1 = await check(vcpuRequests, { variant: 'no-mb-vcpu', memory: 'tso' });
    expect(fixed).toHold();
    expect(fixed).toHold({ states: fixed.stats.states });
    expect(b1).toBeViolated();
    expect(b1).toBeViolated('noLostRequest', { kind: 'invariant', length: 8 });
    expect(b1).toBeViolated('noLostRequest', {
      trace: [
        'vcpu0:check_requests',
        'vcpu0:local_irq_disable',
        'vcpu0:set_mode',
        'vcpu0:final_check',
        'vcpu0:vm_enter',
        'requester0:pick_vcpu',
        'requester0:make_request',
        'requester0:kick',
      ],
    });
    expect(b1).not.toHold();
    expect(fixed).not.toBeViolated();
  });

  it('fails with the counterexample, the state count or the trace that differs', async () => {
    const fixed = await check(vcpuRequests, { memory: 'tso' });
    const b1 = await check(vcpuRequests, { variant: 'no-mb-vcpu', memory: 'tso' });
    expect(() => expect(b1).toHold()).toThrow(
      /expected vcpu-requests --variant no-mb-vcpu --memory tso to hold, but invariant noLostRequest is violated[\s\S]*WRITE_ONCE\(vcpu->mode, IN_GUEST_MODE\)/,
    );
    expect(() => expect(fixed).toHold({ states: 1 })).toThrow(
      /to explore 1 distinct states, it explored \d+/,
    );
    expect(() => expect(fixed).toBeViolated('noLostRequest')).toThrow(
      /to violate noLostRequest, but it holds/,
    );
    expect(() => expect(b1).toBeViolated('exitingImpliesIpi')).toThrow(/noLostRequest is violated instead/);
    expect(() => expect(b1).toBeViolated('noLostRequest', { length: 3 })).toThrow(
      /shortest trace has 8 steps, not 3/,
    );
    expect(() => expect(b1).toBeViolated('noLostRequest', { kind: 'deadlock' })).toThrow(
      /of kind invariant, not deadlock/,
    );
    expect(() => expect({ verdict: 'holds' }).toHold()).toThrow(/expected a kvmcheck Result/);
  });

  it('describes a result in words', async () => {
    expect(describeResult(await check(vcpuRequests, { memory: 'sc' }))).toMatch(
      /^it holds \([\d,]+ states\)$/,
    );
    const bounded = await check(vcpuRequests, { memory: 'tso', search: { maxStates: 10 } });
    expect(describeResult(bounded)).toMatch(/^the run is incomplete: stopped at --max-states 10/);
  });
});
