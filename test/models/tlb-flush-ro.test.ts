import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/tlb-flush-ro.ts';
import { changes, labels } from './shortest-trace.ts';

const run = (variant: string, memory: string, params = {}) =>
  explore(instantiate(def, { variant, memory, params }));

describe('tlb-flush-ro (locking.rst §2 "3) flush tlbs due to spte updated"; PROTOCOLS.md §4)', () => {
  it('the fixed protocol holds under sc and tso in every configuration, each race window entered', async () => {
    for (const memory of ['sc', 'tso']) {
      const all = await run('fixed', memory);
      expect(all.verdict).toBe('holds');
      expect(all.properties).toEqual([
        'shadowConsistent',
        'dirtyLogComplete',
        'protectDuringDeferredFlush',
        'harvestDuringDeferredFlush',
        'fastPfInsideProtect',
        'deadlock',
      ]);
      for (const setup of ['4A', '4B', '4C'])
        expect((await run('fixed', memory, { setup })).verdict).toBe('holds');
    }
    expect((await run('fixed', 'sc', { writes: 3 })).verdict).toBe('holds');
  });

  it('4A (flush decided from W): the A/B interleaving of 6dbf79e7164e and of patch 4/5', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('w-only-decision', memory);
      expect(r.verdict).toBe('violated');
      if (r.verdict === 'violated') expect(r.violation.property).toBe('shadowConsistent');
    }
    const r = await run('w-only-decision', 'sc');
    // A (get_dirty_log): lock; clear pte.w; unlock -- B (vcpu0): lock; pte.w already clear, no flush; unlock
    expect(labels(r)).toEqual([
      'get_dirty_log:mutex_lock',
      'get_dirty_log:check_memslot',
      'get_dirty_log:spin_lock',
      'get_dirty_log:xchg_dirty_bitmap',
      'get_dirty_log:spte_write_protect',
      'get_dirty_log:mmu_spte_update',
      'get_dirty_log:spin_unlock',
      'vcpu0:spin_lock',
      'vcpu0:spte_write_protect',
      'vcpu0:mmu_spte_update',
      'vcpu0:spin_unlock',
    ]);
    expect(changes(r, 5)).toEqual(['spte: W|MMU_W|HOST_W -> MMU_W|HOST_W']);
    expect(changes(r, 9)).toEqual(['spte: MMU_W|HOST_W -> HOST_W']);
    // the dirty-log flush is still pending: vcpu1's TLB entry keeps W after vcpu0 returns
    const tlbW = instantiate(def, { variant: 'w-only-decision', memory: 'sc' }).layout.slots.find(
      (x) => x.name === 'vcpu1.tlb[g].W',
    )!.index;
    if (r.verdict === 'violated') expect(r.violation.trace!.states.at(-1)![tlbW]).toBe(1);
  });

  it('4B (dirty-log flush outside slots_lock): a harvest returns while the enabling flush is pending', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('dirty-log-unserialized', memory);
      expect(r.verdict).toBe('violated');
      if (r.verdict === 'violated') expect(r.violation.property).toBe('dirtyLogComplete');
    }
    const r = await run('dirty-log-unserialized', 'sc');
    expect(labels(r)).toEqual([
      'enable_dirty_log:mutex_lock',
      'enable_dirty_log:install_new_memslots',
      'enable_dirty_log:spin_lock',
      'enable_dirty_log:spte_write_protect',
      'enable_dirty_log:mmu_spte_update',
      'enable_dirty_log:spin_unlock',
      'enable_dirty_log:mutex_unlock',
      'get_dirty_log:mutex_lock',
      'get_dirty_log:check_memslot',
      'get_dirty_log:spin_lock',
      'get_dirty_log:xchg_dirty_bitmap',
      'get_dirty_log:spin_unlock',
      'get_dirty_log:mutex_unlock',
      'get_dirty_log:copy_to_user',
      'vcpu1:guest_write',
    ]);
    // D2 found nothing to harvest, so it neither protected nor flushed
    if (r.verdict === 'violated')
      expect(r.violation.trace!.steps[10]!.reads).toEqual(['dirty_bitmap[g] = false']);
  });

  it('4C (non-atomic update, flush from the stale W): fast_page_fault sets W inside the update', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('stale-w', memory);
      expect(r.verdict).toBe('violated');
      if (r.verdict === 'violated') expect(r.violation.property).toBe('shadowConsistent');
    }
    const r = await run('stale-w', 'sc');
    expect(labels(r)).toEqual([
      'vcpu0:spin_lock',
      'vcpu0:spte_write_protect',
      'vcpu1:guest_write',
      'vcpu1:fast_page_fault',
      'vcpu1:fast_pf_fix_direct_spte',
      'vcpu1:mark_page_dirty',
      'vcpu1:guest_write',
      'vcpu0:mmu_spte_update',
      'vcpu0:spin_unlock',
    ]);
    expect(changes(r, 4)).toEqual(['spte: MMU_W|HOST_W -> W|MMU_W|HOST_W']);
    expect(changes(r, 6)).toContain('vcpu1.tlb[g].W: false -> true');
    // under tso the plain store of the read-only spte is still buffered when vcpu0 returns
    const t = await run('stale-w', 'tso');
    expect(labels(t)).toEqual([
      'vcpu0:spin_lock',
      'vcpu0:spte_write_protect',
      'vcpu0:mmu_spte_update',
      'vcpu0:spin_unlock',
      'vcpu1:guest_write',
      'vcpu1:fast_page_fault',
      'vcpu1:fast_pf_fix_direct_spte',
    ]);
  });

  it('each rule matters on its own: the W decision alone is safe against fast_page_fault', async () => {
    expect((await run('w-only-decision', 'sc', { setup: '4C' })).verdict).toBe('holds');
    expect((await run('dirty-log-unserialized', 'sc', { setup: '4A' })).verdict).toBe('holds');
    for (const variant of ['w-only-decision', 'dirty-log-unserialized', 'stale-w'])
      expect((await run(variant, 'sc', { setup: 'all' })).verdict).toBe('violated');
  });
});
