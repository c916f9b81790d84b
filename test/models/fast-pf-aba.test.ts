import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/fast-pf-aba.ts';
import { changes, labels } from './shortest-trace.ts';

const run = (variant: string, memory: string, params = {}) =>
  explore(instantiate(def, { variant, memory, params }));

describe('fast-pf-aba (locking.rst §2 "1) The mapping from gfn to pfn"; seed 003 patch 3/5)', () => {
  it('fixed (direct sp) and pin hold under sc and tso, with the ABA window and the large-spte fault entered', async () => {
    for (const variant of ['fixed', 'pin']) {
      for (const memory of ['sc', 'tso']) {
        const r = await run(variant, memory);
        expect(r.verdict, `${variant}/${memory}`).toBe('holds');
        expect(r.properties).toEqual(
          expect.arrayContaining(['dirtyLogComplete', 'abaCmpxchgSucceeds', 'largeSpteWriteFault']),
        );
      }
    }
  });

  it('indirect-no-pin reproduces the locking.rst table: gfn1 is logged, the write to gfn2 is lost', async () => {
    const r = await run('indirect-no-pin', 'sc');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('dirtyLogComplete');
    expect(labels(r)).toEqual([
      'cpu0:read_spte',
      'cpu0:kvm_mmu_page_get_gfn',
      'cpu1:zap',
      'cpu1:unmap',
      'cpu1:free',
      'cpu1:alloc_page',
      'cpu1:set_pte',
      'cpu1:guest_gpte',
      'cpu1:fetch',
      'cpu1:mmu_set_spte',
      'cpu0:cmpxchg',
      'cpu0:mark_page_dirty',
      'cpu0:guest_write',
    ]);
    const steps = r.violation.trace!.steps;
    expect(steps[1]!.reads).toEqual(['sp->gfns[idx] = gfn1']);
    // The re-created spte has the same bits as the one CPU 0 read: the cmpxchg cannot tell.
    expect(steps[10]!.reads).toEqual(['sp->spt[idx] = pfn1|MMU_W|HOST_W']);
    expect(changes(r, 11)).toEqual(['dirty_bitmap[gfn1]: false -> true']);
    expect(changes(r, 12)).toEqual(['guest wrote gfn2: false -> true']);
  });

  it('indirect-no-pin with the v5.9 read order (gfn after the cmpxchg) also loses a write: gfn1 this time', async () => {
    const r = await run('indirect-no-pin', 'sc', { gfn_read: 'after-cmpxchg' });
    expect(r.verdict).toBe('violated');
    expect(labels(r)).toEqual([
      'cpu0:read_spte',
      'cpu0:cmpxchg',
      'vcpu1:guest_write',
      'cpu1:zap',
      'cpu1:unmap',
      'cpu1:free',
      'cpu1:alloc_page',
      'cpu1:set_pte',
      'cpu1:guest_gpte',
      'cpu1:fetch',
      'cpu0:kvm_mmu_page_get_gfn_after',
      'cpu0:mark_page_dirty',
    ]);
    expect(changes(r, 2)).toEqual(['guest wrote gfn1: false -> true']);
    expect(changes(r, 11)).toEqual(['dirty_bitmap[gfn2]: false -> true']);
  });

  it('large-spte-fast-fix: a single vCPU logs only the first page of the 2M spte', async () => {
    const r = await run('large-spte-fast-fix', 'sc');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('dirtyLogComplete');
    expect(labels(r)).toEqual([
      'cpu0:read_spte',
      'cpu0:kvm_mmu_page_get_gfn',
      'cpu0:cmpxchg',
      'cpu0:mark_page_dirty',
      'cpu0:guest_write',
    ]);
    expect(changes(r, 3)).toEqual(['dirty_bitmap[gfn3]: false -> true']);
    expect(changes(r, 4)).toEqual(['guest wrote gfn4: false -> true']);
  });

  it('both broken variants are violated under tso as well', async () => {
    for (const variant of ['indirect-no-pin', 'large-spte-fast-fix']) {
      const r = await run(variant, 'tso');
      expect(r.verdict, variant).toBe('violated');
      if (r.verdict === 'violated') expect(r.violation.property).toBe('dirtyLogComplete');
    }
  });
});
