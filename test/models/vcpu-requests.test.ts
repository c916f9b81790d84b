import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/vcpu-requests.ts';
import { labels } from './shortest-trace.ts';

const run = (variant: string, memory: string, params = {}) =>
  explore(instantiate(def, { variant, memory, params }));

describe('vcpu-requests (vcpu-requests.rst "Ensuring Requests Are Seen")', () => {
  it('the fixed protocol holds under sc and tso, and its racy window is entered', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toContain('kickSendsIpi');
    }
  });

  it('B1 (no smp_mb on the vCPU side) holds under sc: SC hides the bug', async () => {
    expect((await run('no-mb-vcpu', 'sc')).verdict).toBe('holds');
    expect((await run('no-mb-requester', 'sc')).verdict).toBe('holds');
  });

  it('B1 under tso: the store of IN_GUEST_MODE is still buffered when the requester reads the mode', async () => {
    const r = await run('no-mb-vcpu', 'tso');
    expect(r.verdict).toBe('violated');
    expect(labels(r)).toEqual([
      'vcpu0:check_requests',
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:final_check',
      'vcpu0:vm_enter',
      'requester0:pick_vcpu',
      'requester0:make_request',
      'requester0:kick',
    ]);
    if (r.verdict !== 'violated') return;
    const steps = r.violation.trace!.steps;
    expect(steps[2]!.buffered).toEqual(['vcpu->mode[0] = IN_GUEST_MODE']);
    expect(steps[7]!.reads).toEqual(['vcpu->mode[0] = OUTSIDE_GUEST_MODE']);
    expect(r.violation.property).toBe('noLostRequest');
  });

  it('B1 requester side under tso: the request is still buffered when the vCPU checks', async () => {
    const r = await run('no-mb-requester', 'tso');
    expect(r.verdict).toBe('violated');
    expect(labels(r)).toEqual([
      'vcpu0:check_requests',
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'requester0:pick_vcpu',
      'requester0:make_request',
      'requester0:kick',
      'vcpu0:drain',
      'vcpu0:smp_mb',
      'vcpu0:final_check',
      'vcpu0:vm_enter',
      'requester0:drain',
    ]);
    if (r.verdict !== 'violated') return;
    const steps = r.violation.trace!.steps;
    expect(steps[4]!.buffered).toEqual(['vcpu->requests[0] = 1']);
    expect(steps[5]!.reads).toEqual(['vcpu->mode[0] = OUTSIDE_GUEST_MODE']);
    expect(steps[8]!.reads).toEqual(['vcpu->requests[0] = 0']);
  });

  it('B2 (request-less kick) is violated already under sc', async () => {
    const r = await run('requestless-kick', 'sc');
    expect(r.verdict).toBe('violated');
    expect(labels(r)).toEqual([
      'vcpu0:check_requests',
      'vcpu0:flush_hwstate',
      'vcpu0:local_irq_disable',
      'requester0:pick_vcpu',
      'requester0:make_request',
      'requester0:kick',
      'vcpu0:set_mode',
      'vcpu0:smp_mb',
      'vcpu0:final_check',
      'vcpu0:vm_enter',
    ]);
  });

  it('B9 (non-atomic IPI reduction): the late EXITING_GUEST_MODE store breaks S3 already under sc', async () => {
    const r = await run('nonatomic-ipi-reduction', 'sc', { vcpus: 1, requesters: 2 });
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('exitingImpliesIpi');
    expect(labels(r)).toEqual([
      'vcpu0:check_requests',
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:smp_mb',
      'requester0:pick_vcpu',
      'requester0:make_request',
      'vcpu0:final_check',
      'requester0:kick',
      'vcpu0:cancel_injection',
      'vcpu0:check_requests',
      'vcpu0:kvm_check_request',
      'requester0:send_ipi',
      'vcpu0:*',
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:smp_mb',
      'vcpu0:final_check',
      'vcpu0:vm_enter',
      'requester0:set_exiting',
    ]);
    const steps = r.violation.trace!.steps;
    expect(steps[7]!.reads).toEqual(['vcpu->mode[0] = IN_GUEST_MODE']);
  });

  it('B9 under tso: the same shape, with the drains', async () => {
    const r = await run('nonatomic-ipi-reduction', 'tso', { vcpus: 1, requesters: 2 });
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('exitingImpliesIpi');
    expect(labels(r)).toEqual([
      'vcpu0:check_requests',
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:drain',
      'vcpu0:smp_mb',
      'requester0:pick_vcpu',
      'requester0:make_request',
      'vcpu0:final_check',
      'vcpu0:cancel_injection',
      'vcpu0:check_requests',
      'requester0:kick',
      'vcpu0:drain',
      'vcpu0:kvm_check_request',
      'requester0:send_ipi',
      'vcpu0:*',
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:drain',
      'vcpu0:smp_mb',
      'vcpu0:final_check',
      'vcpu0:vm_enter',
      'requester0:set_exiting',
      'requester0:drain',
    ]);
  });

  it('B9 loses a request (S1) with two kickers: the second one sees EXITING_GUEST_MODE and sends nothing', async () => {
    const prefix = [
      'vcpu0:check_requests',
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:smp_mb',
      'requester0:pick_vcpu',
      'requester0:make_request',
      'vcpu0:final_check',
      'requester0:kick',
      'vcpu0:cancel_injection',
      'vcpu0:check_requests',
      'vcpu0:kvm_check_request',
      'requester0:send_ipi',
      'vcpu0:*',
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:smp_mb',
      'vcpu0:final_check',
      'vcpu0:vm_enter',
      'requester0:set_exiting',
    ];
    const s1 = { properties: ['noLostRequest'] };
    const two = await explore(
      instantiate(def, {
        variant: 'nonatomic-ipi-reduction',
        memory: 'sc',
        params: { vcpus: 1, requesters: 2 },
      }),
      s1,
    );
    expect(two.verdict).toBe('violated');
    if (two.verdict !== 'violated') return;
    expect(two.violation.property).toBe('noLostRequest');
    expect(labels(two)).toEqual([
      ...prefix,
      'requester1:pick_vcpu',
      'requester1:make_request',
      'requester1:kick',
    ]);
    expect(two.violation.trace!.steps[21]!.reads).toEqual(['vcpu->mode[0] = EXITING_GUEST_MODE']);
    // One kicker making one request: the stale EXITING_GUEST_MODE is harmless for S1.
    for (const memory of ['sc', 'tso']) {
      const one = await explore(
        instantiate(def, { variant: 'nonatomic-ipi-reduction', memory, params: { vcpus: 1, requesters: 1 } }),
        s1,
      );
      expect(one.verdict).toBe('holds');
    }
    const tso = await explore(
      instantiate(def, {
        variant: 'nonatomic-ipi-reduction',
        memory: 'tso',
        params: { vcpus: 1, requesters: 2 },
      }),
      s1,
    );
    expect(tso.verdict).toBe('violated');
  });

  it('S3 holds for the cmpxchg kick in the fixed protocol and the B1/B2 variants that keep it', async () => {
    for (const variant of ['fixed', 'no-mb-vcpu', 'requestless-kick']) {
      const r = await explore(
        instantiate(def, { variant, memory: 'sc', params: { vcpus: 1, requesters: 2 } }),
        {
          properties: ['exitingImpliesIpi'],
        },
      );
      expect(r.verdict).toBe('holds');
    }
  });

  it('scales to three vCPUs and two requesters under sc', async () => {
    const r = await run('fixed', 'sc', { vcpus: 3, requesters: 2, entries: 1 });
    // (about 1 s: the largest configuration in the unit tests)
    expect(r.verdict).toBe('holds');
    expect(r.stats.states).toBeGreaterThan(10_000);
  });
});
