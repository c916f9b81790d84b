/**
 * Dirty bit lost by a non-atomic spte clear: mmu_spte_clear_track_bits() vs fast page fault.
 *
 * Follows Documentation/virt/kvm/locking.rst §2 "Fast page fault", case "2) Dirty bit tracking"
 * (seed 000) and ../shared/PROTOCOLS.md §3. CPU 0 zaps a leaf spte under mmu_lock with
 * mmu_spte_clear_track_bits() (v4.2 shape); CPU 1 is a vCPU whose fast page fault sets W with a
 * lockless cmpxchg64 and whose guest then writes the page, the page walker setting the Dirty
 * bit. Before fast page fault existed, a read-only spte with Accessed set was "not volatile":
 * its A and D bits could not change, so it was cleared with a plain store. Since the fast path
 * can make it writable between the read and the store, that plain store drops the D bit the
 * guest's write set, and kvm_set_pfn_dirty() is never called (`plain-clear`). The fix treats
 * every spte the fast path may change (HOST_W && MMU_W) as volatile and clears it with xchg, so
 * the value it acts on is the value it removed (`fixed`).
 *
 * Simplified: A/D bits enabled only (with A/D disabled a write through W counts as dirtying, the
 * same race with W in place of D); one spte, one pfn; mmu_lock is omitted because only CPU 0
 * takes it; the fast path's mark_page_dirty() (the dirty log) is not part of this property and
 * is left out; a failed cmpxchg goes to the slow path, which is not modelled.
 */
import { BOOL, defineModel } from '../checker/index.ts';
import { cmpxchg, READ_ONCE, set_bit, WRITE_ONCE, xchg } from '../checker/kernel/index.ts';
import { bitfieldDomain, has } from './_spte-fields.ts';

/** Spte fields, bit i = i-th name. A present spte maps pfn1 (the only page in the model). */
const SPTE = bitfieldDomain(['pfn1', 'W', 'A', 'D', 'MMU_W', 'HOST_W']);
const PRESENT = 1;
const W = 2;
const A = 4;
const D = 8;
const MMU_W = 16;
const HOST_W = 32;

/** "At the beginning: spte.W = 0, spte.Accessed = 1" (the slot is MMU- and host-writable). */
const INITIAL_SPTE = PRESENT | A | MMU_W | HOST_W;

/** struct page flag bits of pfn1 touched by kvm_set_pfn_accessed/dirty. */
const PG_referenced = 0;
const PG_dirty = 0;

export default defineModel({
  name: 'dirty-bit',
  title:
    'Dirty bit lost when mmu_spte_clear_track_bits() clears a lockless-modifiable spte with a plain store',
  source: 'locking.rst §2 "Fast page fault", "2) Dirty bit tracking"; PROTOCOLS.md §3',
  params: {},
  variants: {
    fixed:
      'spte_has_volatile_bits() is true for an spte the fast path may make writable (HOST_W && MMU_W): ' +
      'it is cleared with xchg and its returned value decides kvm_set_pfn_dirty()',
    'plain-clear':
      'pre-fast-pf spte_has_volatile_bits(): a read-only spte with Accessed set is cleared with a plain ' +
      'store (__update_clear_spte_fast) and the D bit is taken from the value read before it',
  },
  build(b, { variant }) {
    const spte = b.shared('spte', SPTE, INITIAL_SPTE);
    const pageReferenced = b.shared('page(pfn1)->flags.PG_referenced', BOOL);
    const pageDirty = b.shared('page(pfn1)->flags.PG_dirty', BOOL);
    // History: the guest's write reached pfn1 through this spte.
    const guestWrote = b.ghost('guest wrote pfn1', BOOL);
    // History: the fast path set W while CPU 0 was between its read and its clear of the spte.
    const fixInsideClear = b.ghost('W set inside clear_track_bits', BOOL);

    const spte_has_volatile_bits = (s: number): boolean => {
      // The fix (c7ba5b48cc8d era, v4.2 text): an spte the fast path may change is volatile.
      if (variant === 'fixed' && has(s, HOST_W | MMU_W)) return true;
      if (!has(s, PRESENT)) return false;
      if (has(s, A) && (!has(s, W) || has(s, D))) return false;
      return true;
    };

    // CPU 0: drop_spte() -> mmu_spte_clear_track_bits(), under mmu_lock.
    const C = b.process('cpu0');
    const old = C.local('old_spte', SPTE);
    const CL = { clear: C.label('clear'), accessed: C.label('accessed'), dirty: C.label('dirty') };
    C.step('read', 'mmu_spte_clear_track_bits(): old_spte = *sptep', (c) => {
      c.set(old, READ_ONCE(c, spte));
    });
    C.step(
      'clear',
      'if (!spte_has_volatile_bits(old_spte)) __update_clear_spte_fast(sptep, 0ull)',
      (c) => {
        WRITE_ONCE(c, spte, 0);
      },
      { guard: (c) => !spte_has_volatile_bits(c.get(old)) },
    );
    C.step(
      'clear',
      'else old_spte = __update_clear_spte_slow(sptep, 0ull)  /* xchg */',
      (c) => {
        c.set(old, xchg(c, spte, 0));
      },
      { guard: (c) => spte_has_volatile_bits(c.get(old)) },
    );
    C.step('accessed', 'if (old_spte & shadow_accessed_mask) kvm_set_pfn_accessed(pfn)', (c) => {
      if (has(c.get(old), A)) set_bit(c, PG_referenced, pageReferenced);
    });
    C.step('dirty', 'if (old_spte & shadow_dirty_mask) kvm_set_pfn_dirty(pfn)', (c) => {
      if (has(c.get(old), D)) set_bit(c, PG_dirty, pageDirty);
    });

    // CPU 1: a vCPU's fast page fault on a write (lockless), then the guest's write.
    const F = b.process('cpu1');
    const fpOld = F.local('spte', SPTE);
    const fpNew = F.local('new_spte', SPTE);
    F.step('fast_page_fault', 'fast_page_fault(): spte = mmu_spte_get_lockless(sptep)', (c) => {
      const s = READ_ONCE(c, spte);
      c.set(fpOld, s);
      // Not present, already writable, or not MMU/host-writable: not a fast-path fault.
      if (!has(s, PRESENT) || has(s, W) || !has(s, HOST_W | MMU_W)) return F.done;
      c.set(fpNew, s | W);
    });
    F.step(
      'fast_pf_fix',
      'fast_pf_fix_direct_spte(): cmpxchg64(sptep, spte, spte | PT_WRITABLE_MASK)',
      (c) => {
        if (cmpxchg(c, spte, c.get(fpOld), c.get(fpNew)) !== c.get(fpOld)) return F.done; // slow path
        if (C.at(c.s, CL.clear)) c.set(fixInsideClear, 1);
      },
    );
    // With A/D bits the page walker sets D by a locked update of the entry it walked; if the
    // entry is no longer the writable one it loaded, the write faults instead.
    F.step('guest_write', 'guest writes the page: the page walker sets spte.Dirty (locked update)', (c) => {
      const s = c.get(fpNew);
      if (cmpxchg(c, spte, s, s | D) === s) c.set(guestWrote, 1);
    });

    b.invariant(
      'noLostDirty',
      'once mmu_spte_clear_track_bits() has finished, a page the guest wrote through the spte is dirty: ' +
        'PG_dirty is set, or the D bit is still in the spte for a later clear to find',
      (s) =>
        s[guestWrote] !== 1 ||
        s[pageDirty] === 1 ||
        has(s[spte]!, D) ||
        C.at(s, CL.clear) ||
        C.at(s, CL.accessed) ||
        C.at(s, CL.dirty),
    );
    b.reachable(
      'fastFixInsideClear',
      'the fast path makes the spte writable between CPU 0 reading and clearing it (the racy window)',
      (s) => s[fixInsideClear] === 1,
    );
  },
});
