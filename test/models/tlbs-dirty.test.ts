import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/tlbs-dirty.ts';
import { labels } from './shortest-trace.ts';

const run = (variant: string, memory: string) => explore(instantiate(def, { variant, memory }));

describe('tlbs-dirty (003 patch 1/5; PROTOCOLS.md §5)', () => {
  it('the counter with cmpxchg holds under sc and tso, and the flush does race with sync_page', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual(['noStaleTlbAtFree', 'syncRacesFlush', 'deadlock']);
    }
  });

  it('the barrier-less counters are relaxed-only races: they hold under sc and tso', async () => {
    for (const variant of ['no-wmb', 'no-acquire'])
      for (const memory of ['sc', 'tso']) {
        const r = await run(variant, memory);
        expect(r.verdict).toBe('holds');
        expect(r.properties).toContain('syncRacesFlush');
      }
  });

  it('the bool loses the flush already under sc: the flusher clears the mark sync_page just set', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('bool', memory);
      expect(r.verdict).toBe('violated');
      if (r.verdict === 'violated') expect(r.violation.property).toBe('noStaleTlbAtFree');
    }
    const r = await run('bool', 'sc');
    expect(labels(r)).toEqual([
      'flusher:kvm_make_request',
      'vcpu1:guest',
      'flusher:wait_ack',
      'vcpu1:guest',
      'vcpu0:spin_lock',
      'vcpu0:drop_spte',
      'vcpu0:tlbs_dirty_set',
      'flusher:clear_tlbs_dirty',
      'vcpu0:spin_unlock',
      'mmu_notifier:spin_lock',
      'mmu_notifier:kvm_unmap_hva_range',
      'mmu_notifier:need_tlb_flush',
      'mmu_notifier:spin_unlock',
      'mmu_notifier:put_page',
    ]);
    if (r.verdict !== 'violated') return;
    const steps = r.violation.trace!.steps;
    // vcpu1 flushes for the flusher's request, then re-caches the translation before the drop
    expect(steps[1]!.name).toMatch(/^IPI -> VM-exit; kvm_check_request/);
    expect(steps[3]!.name).toMatch(/^guest access: TLB miss/);
    expect(steps[7]!.changes.map((c) => `${c.name}: ${c.from} -> ${c.to}`)).toEqual([
      'kvm->tlbs_dirty: true -> false',
    ]);
    expect(steps[11]!.reads).toEqual(['kvm->tlbs_dirty = false']);
  });
});
