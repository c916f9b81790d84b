import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/posted-interrupts.ts';
import { labels } from './shortest-trace.ts';

const run = (variant: string, memory: string, params = {}) =>
  explore(instantiate(def, { variant, memory, params }));

describe('posted-interrupts (vcpu-requests.rst "Request-less VCPU Kicks", PIR.ON)', () => {
  it('the fixed protocol holds under sc and tso, and a notification is processed in the guest', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual(['noStrandedPostedInterrupt', 'notificationInGuest', 'deadlock']);
    }
    expect((await run('fixed', 'tso', { senders: 2 })).verdict).toBe('holds');
  });

  it('B7 (no fence after the IN_GUEST_MODE store) holds under sc', async () => {
    expect((await run('pi-no-mb', 'sc')).verdict).toBe('holds');
  });

  it('B7 under tso: ON read as 0 before the mode store drains; the sender sees OUTSIDE_GUEST_MODE', async () => {
    const r = await run('pi-no-mb', 'tso');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('noStrandedPostedInterrupt');
    expect(labels(r)).toEqual([
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:pi_test_on',
      'vcpu0:vm_enter',
      'sender0:pi_test_and_set_pir',
      'sender0:pi_test_and_set_on',
      'sender0:kvm_vcpu_trigger_posted_interrupt',
    ]);
    const steps = r.violation.trace!.steps;
    expect(steps[1]!.buffered).toEqual(['vcpu->mode = IN_GUEST_MODE']);
    expect(steps[2]!.reads).toEqual(['pi_desc.control = 0']);
    expect(steps[6]!.reads).toEqual(['vcpu->mode = OUTSIDE_GUEST_MODE']);
  });
});
