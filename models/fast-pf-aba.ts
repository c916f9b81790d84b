/**
 * Fast page fault: the gfn->pfn mapping can change under the lockless cmpxchg (ABA), and a
 * large spte made writable by the fast path dirties only its first page.
 *
 * Follows Documentation/virt/kvm/locking.rst §2 "Fast page fault", case "1) The mapping from gfn
 * to pfn" (seed 000), patch 3/5 "KVM: MMU: lazily drop large spte" of the 2014 series (seed 003),
 * and ../shared/PROTOCOLS.md §2. Dirty logging is on throughout, so every spte starts read-only
 * and a write must be logged in the dirty bitmap before (or, for the fast path, right after) the
 * spte becomes writable.
 *
 * CPU 0 is a vCPU whose guest write faults: fast_page_fault() reads the spte, makes it writable
 * with cmpxchg64 and logs the gfn with mark_page_dirty(); then the guest retries the write. CPU 1
 * is the host and another vCPU, as in the locking.rst table: pfn1 is swapped out (the MMU notifier
 * zaps the spte), freed, and allocated again, to gfn2 (or back to gfn1); the guest points its gpte
 * at gfn2 and the shadow fault re-creates the *same* spte slot, read-only, for the new gfn.
 * vCPU 1 is the guest on another vCPU, which writes through the spte whenever it is writable.
 *
 * Variants: `fixed` is a direct shadow page (the gfn is sp->gfn + index, a fixed function of the
 * spte slot, so a recurring pfn cannot change which gfn is logged) with 4K-only fast fixes;
 * `indirect-no-pin` takes the fast path on an indirect sp (the gfn is sp->gfns[idx], which the
 * guest can re-point), the doc's ABA; `pin` is the doc's proposed fix for indirect sps: pin the
 * gfn's page with kvm_vcpu_gfn_to_pfn_atomic() before the cmpxchg, so the pfn cannot be freed
 * and reused (the host reclaims a page only with page_ref_freeze(), which fails while it is
 * pinned); `large-spte-fast-fix` is direct but fast-fixes a 2M spte (the bug c126d94f2c90 fixed
 * by the `sp->role.level > PT_PAGE_TABLE_LEVEL` check).
 *
 * Simplified: one pfn (pfn1) is swapped and reused; the 2M spte stands for a huge page of two
 * 4K pages, gfn3 and gfn4, whose backing never changes; the slow page fault is not modelled (a
 * fault the fast path leaves to it ends that CPU's activity); TLBs are left out because the
 * host zaps and flushes before it frees a page, so a stale TLB entry never outlives the page it
 * maps; a failed cmpxchg goes to the slow path (the 2012 code, before the retry loop of
 * 97dceba29a6a).
 */
import { BOOL, type Context, defineModel, enumDomain, oneOf } from '../checker/index.ts';
import {
  atomic_dec,
  cmpxchg,
  READ_ONCE,
  set_bit,
  smp_mb,
  WRITE_ONCE,
  xchg,
} from '../checker/kernel/index.ts';
import { bitfieldDomain, has } from './_spte-fields.ts';

const GFNS = ['none', 'gfn1', 'gfn2', 'gfn3', 'gfn4'] as const;
const GFN1 = 1;
const GFN2 = 2;
const GFN3 = 3;
const GFN4 = 4;
const NONE = 0;
/** The gfns pfn1 can back: gfn1 at the start, gfn2 after reuse. */
const OWNERS = enumDomain(['none', 'gfn1', 'gfn2']);
const HOST_PTE = enumDomain(['none', 'pfn1']);
const PFN1 = 1;

/** The 4K spte: bit 0 "present, maps pfn1". */
const SPTE_4K = bitfieldDomain(['pfn1', 'W', 'MMU_W', 'HOST_W']);
/** The 2M spte: bit 0 "present, maps the huge page of gfn3..gfn4". */
const SPTE_2M = bitfieldDomain(['pfn2(2M)', 'W', 'MMU_W', 'HOST_W']);
const PRESENT = 1;
const W = 2;
const MMU_W = 4;
const HOST_W = 8;
/** Read-only because dirty logging write-protects the slot; MMU- and host-writable. */
const LOGGED_RO = PRESENT | MMU_W | HOST_W;

/** Guest accesses follow a VM-entry, which is serializing: the CPU's earlier stores are visible. */
const vmEntrySerializes = (c: Context): void => smp_mb(c);

/** page(pfn1)->_refcount: 1 while allocated (the mapping's reference), +1 per pin, 0 when freed. */
const REFCOUNT = enumDomain(['0', '1', '2']);

export default defineModel({
  name: 'fast-pf-aba',
  title: 'Fast page fault: gfn->pfn ABA on indirect shadow pages, and fast fix of a large spte',
  source:
    'locking.rst §2 "Fast page fault", "1) The mapping from gfn to pfn"; seed 003 patch 3/5 ' +
    '"lazily drop large spte"; PROTOCOLS.md §2',
  params: {
    gfn_read: oneOf(
      ['before-cmpxchg', 'after-cmpxchg'],
      'before-cmpxchg',
      'indirect-no-pin only: when kvm_mmu_page_get_gfn() reads sp->gfns[idx] (2012 code: before; v5.9: after)',
    ),
  },
  variants: {
    fixed: 'direct sp: the gfn is sp->gfn + index, fixed per spte slot; only 4K sptes are fast-fixed',
    'indirect-no-pin':
      'the fast path also runs on indirect sps, whose gfn (sp->gfns[idx]) the guest can re-point: ' +
      'pfn1 reused for gfn2 makes the cmpxchg succeed and gfn1 is logged instead of gfn2',
    pin:
      'indirect sp, but the gfn is pinned with kvm_vcpu_gfn_to_pfn_atomic() before the cmpxchg: ' +
      'the host may free and reuse pfn1 only while its refcount holds no pin',
    'large-spte-fast-fix':
      'direct sp, but a read-only 2M spte is made writable by the fast path, which logs only its first page',
  },
  build(b, { params, variant }) {
    const indirect = variant === 'indirect-no-pin' || variant === 'pin';
    const pin = variant === 'pin';
    const levelCheck = variant !== 'large-spte-fast-fix';
    const gfnAfter = variant === 'indirect-no-pin' && params.gfn_read === 'after-cmpxchg';

    const spte = b.shared('sp->spt[idx]', SPTE_4K, LOGGED_RO);
    const spteLarge = b.shared('sp2M->spt[idx]', SPTE_2M, LOGGED_RO);
    // Only indirect sps record the gfn per spte; a direct sp's gfn is implied by the slot.
    const spGfns = indirect ? b.shared('sp->gfns[idx]', OWNERS, GFN1) : -1;
    const hostPte = [
      -1,
      b.shared('host pte(gfn1)', HOST_PTE, PFN1),
      b.shared('host pte(gfn2)', HOST_PTE, NONE),
    ];
    const refcount = b.shared('page(pfn1)->_refcount', REFCOUNT, 1);
    const bitmap = [-1, ...[1, 2, 3, 4].map((g) => b.shared(`dirty_bitmap[${GFNS[g]}]`, BOOL))];

    // History: which gfn's memory pfn1 is, and which gfns the guest has written.
    const owner = b.ghost('pfn1 backs', OWNERS, GFN1);
    const written = [-1, ...[1, 2, 3, 4].map((g) => b.ghost(`guest wrote ${GFNS[g]}`, BOOL))];
    const zappedSinceRead = b.ghost('spte zapped since CPU 0 read it', BOOL);
    const abaTaken = b.ghost('cmpxchg succeeded on a re-created spte', BOOL);
    const largeFault = b.ghost('write fault reached a read-only 2M spte', BOOL);

    // ---- CPU 0: fast_page_fault() for a guest write, then the guest retries the write.
    const F = b.process('cpu0');
    const large = F.local('large', BOOL);
    const faultGfn = F.local('fault_gfn', enumDomain(GFNS));
    const old = F.local('old_spte', SPTE_4K);
    const oldLarge = F.local('old_spte(2M)', SPTE_2M);
    const gfn = F.local('gfn', enumDomain(GFNS));
    const fixedIt = F.local('fixed', BOOL);
    const pte = F.local('pte', HOST_PTE);
    // Labels a variant does not use stay -1 (a label must have a step once it is named).
    const FL = {
      getGfn: gfnAfter ? -1 : F.label('kvm_mmu_page_get_gfn'),
      gupPte: pin ? F.label('gup_pte') : -1,
      cmpxchg: F.label('cmpxchg'),
      getGfnAfter: gfnAfter ? F.label('kvm_mmu_page_get_gfn_after') : -1,
      mark: F.label('mark_page_dirty'),
      put: pin ? F.label('put_page') : -1,
      write: F.label('guest_write'),
    };

    /** The checks fast_page_fault() makes on the spte it read; false: not for the fast path. */
    const fastPathApplies = (s: number): boolean => has(s, PRESENT) && !has(s, W) && has(s, HOST_W | MMU_W);

    F.step('read_spte', 'fast_page_fault(): old_spte = mmu_spte_get_lockless(sptep)  /* 4K */', (c) => {
      const s = READ_ONCE(c, spte);
      c.set(old, s);
      c.set(zappedSinceRead, 0);
      return fastPathApplies(s) ? (gfnAfter ? FL.cmpxchg : FL.getGfn) : F.done;
    });
    for (const g of [GFN3, GFN4]) {
      F.step(
        'read_spte',
        `fast_page_fault(): old_spte = mmu_spte_get_lockless(sptep)  /* 2M spte, fault on ${GFNS[g]} */`,
        (c) => {
          const s = READ_ONCE(c, spteLarge);
          c.set(large, 1);
          c.set(faultGfn, g);
          c.set(oldLarge, s);
          if (!fastPathApplies(s)) return F.done;
          c.set(largeFault, 1);
          // c126d94f2c90: "Do not fix write-permission on the large spte" -> slow path.
          if (levelCheck) return F.done;
          return gfnAfter ? FL.cmpxchg : FL.getGfn;
        },
      );
    }
    if (!gfnAfter) {
      F.step(
        'kvm_mmu_page_get_gfn',
        indirect
          ? 'gfn = kvm_mmu_page_get_gfn(sp, idx)  /* indirect: sp->gfns[idx] */'
          : 'gfn = kvm_mmu_page_get_gfn(sp, idx)  /* direct: sp->gfn + (idx << level bits) */',
        (c) => {
          // A direct 2M spte's gfn is the first page of the huge page, whatever page faulted.
          if (c.get(large) === 1) c.set(gfn, GFN3);
          else c.set(gfn, indirect ? READ_ONCE(c, spGfns) : GFN1);
          return pin ? FL.gupPte : FL.cmpxchg;
        },
      );
    }
    if (pin) {
      F.step('gup_pte', 'kvm_vcpu_gfn_to_pfn_atomic(gfn): gup-fast: pte = READ_ONCE(*ptep)', (c) => {
        const p = READ_ONCE(c, hostPte[c.get(gfn)]!);
        c.set(pte, p);
        return p === NONE ? F.done : undefined;
      });
      // The refcount is 0 (freed) or 1 (allocated, unpinned) here: only CPU 0 pins.
      F.step(
        'gup_get',
        'gup-fast: get_page_unless_zero(page)  /* atomic_add_unless(&_refcount, 1, 0) */',
        (c) => {
          if (cmpxchg(c, refcount, 1, 2) !== 1) return F.done;
        },
      );
      F.step(
        'gup_recheck',
        'gup-fast: if (pte_val(pte) != pte_val(*ptep)) put_page(); if (pfn != spte_to_pfn(old_spte)) bail',
        (c) => {
          const now = READ_ONCE(c, hostPte[c.get(gfn)]!);
          // Only one pfn exists, so spte_to_pfn(old_spte) == pfn whenever both are present.
          if (now !== c.get(pte) || !has(c.get(old), PRESENT)) return FL.put;
          return FL.cmpxchg;
        },
      );
    }
    F.step(
      'cmpxchg',
      'fast_pf_fix_direct_spte(): cmpxchg64(sptep, old_spte, old_spte | PT_WRITABLE_MASK)',
      (c) => {
        const isLarge = c.get(large) === 1;
        const o = isLarge ? c.get(oldLarge) : c.get(old);
        if (cmpxchg(c, isLarge ? spteLarge : spte, o, o | W) !== o) return pin ? FL.put : F.done;
        c.set(fixedIt, 1);
        if (!isLarge && c.get(zappedSinceRead) === 1) c.set(abaTaken, 1);
        return gfnAfter ? FL.getGfnAfter : FL.mark;
      },
    );
    if (gfnAfter) {
      F.step(
        'kvm_mmu_page_get_gfn_after',
        'gfn = kvm_mmu_page_get_gfn(sp, idx)  /* v5.9: after the cmpxchg */',
        (c) => {
          c.set(gfn, c.get(large) === 1 ? GFN3 : READ_ONCE(c, spGfns));
          return FL.mark;
        },
      );
    }
    F.step('mark_page_dirty', 'mark_page_dirty(kvm, gfn)  /* set_bit in the dirty bitmap */', (c) => {
      set_bit(c, 0, bitmap[c.get(gfn)]!);
      return pin ? FL.put : FL.write;
    });
    if (pin) {
      F.step('put_page', 'kvm_release_pfn_clean(pfn): put_page()  /* drop the pin */', (c) => {
        atomic_dec(c, refcount);
        return c.get(fixedIt) === 1 ? FL.write : F.done;
      });
    }
    F.step('guest_write', 'guest retries the write: no fault, the spte is writable now', (c) => {
      vmEntrySerializes(c);
      const isLarge = c.get(large) === 1;
      const s = READ_ONCE(c, isLarge ? spteLarge : spte);
      if (!has(s, PRESENT | W)) return; // it faults again: the slow path, not modelled
      const g = isLarge ? c.get(faultGfn) : c.get(owner);
      if (g !== NONE) c.set(written[g]!, 1);
    });

    // ---- CPU 1: host reclaim and reuse of pfn1, the guest re-pointing its gpte, the shadow fault.
    const H = b.process('cpu1');
    const target = H.local('alloc_for', OWNERS);
    const gpte = H.local('gpte', OWNERS, GFN1);
    const HL = {
      alloc: H.label('alloc_page'),
      gpte: indirect ? H.label('guest_gpte') : -1,
      setSpte: H.label('mmu_set_spte'),
      idle: H.label('idle'),
    };
    H.step(
      'zap',
      'pfn1 swapped out: kvm_unmap_gfn_range(): mmu_spte_clear_track_bits(): xchg(sptep, 0)',
      (c) => {
        xchg(c, spte, 0);
        c.set(zappedSinceRead, 1);
      },
    );
    H.step('unmap', 'try_to_unmap(): host pte(gfn1) = none', (c) => {
      WRITE_ONCE(c, hostPte[GFN1]!, NONE);
    });
    H.step(
      'free',
      'shrink_page_list(): page_ref_freeze(pfn1, 1); free pfn1  /* fails while pinned */',
      (c) => {
        if (cmpxchg(c, refcount, 1, 0) !== 1) return HL.idle; // pinned: reclaim gives up
        c.set(owner, NONE);
        return HL.alloc;
      },
    );
    for (const g of [GFN1, GFN2]) {
      H.step('alloc_page', `pfn1 is re-alloced for ${GFNS[g]}: alloc_page(); set_page_refcounted()`, (c) => {
        WRITE_ONCE(c, refcount, 1);
        c.set(target, g);
      });
    }
    H.step('set_pte', 'set_pte_at(host pte(gfn), pfn1)', (c) => {
      const g = c.get(target);
      WRITE_ONCE(c, hostPte[g]!, PFN1);
      c.set(owner, g);
      if (indirect) return HL.gpte;
      // Direct sp: the slot stands for gfn1; with pfn1 gone to gfn2, gfn1 has no page to map.
      return g === GFN1 ? HL.setSpte : HL.idle;
    });
    if (indirect) {
      H.step('guest_gpte', 'guest: gpte = gfn2  /* the guest re-points the gva */', (c) => {
        c.set(gpte, GFN2);
      });
      H.step('guest_gpte', 'guest keeps gpte = gfn1 and touches the gva again', () => {});
      H.step('fetch', 'FNAME(fetch): sp->gfns[idx] = gfn of the gpte', (c) => {
        const g = c.get(gpte);
        if (g !== c.get(target)) return HL.idle; // that gfn has no page: not modelled
        WRITE_ONCE(c, spGfns, g);
      });
    }
    H.step('mmu_set_spte', 'mmu_set_spte(): spte = pfn1, read-only (dirty logging)', (c) => {
      WRITE_ONCE(c, spte, LOGGED_RO);
      return HL.idle;
    });
    H.endAt(HL.idle);

    // ---- vCPU 1: the guest on another vCPU writes the gva whenever the spte is writable (a write
    // through a read-only spte would fault; that path is CPU 0's).
    const G = b.process('vcpu1');
    const guestLoop = G.label('guest_write');
    G.step('guest_write', 'guest writes the gva through the spte (no fault: it is writable)', (c) => {
      vmEntrySerializes(c);
      if (!c.await(has(READ_ONCE(c, spte), PRESENT | W))) return;
      const g = c.get(owner);
      if (g !== NONE) c.set(written[g]!, 1);
      return guestLoop;
    });
    G.endAt(guestLoop);

    b.invariant(
      'dirtyLogComplete',
      'every gfn the guest wrote while dirty logging is on is in the dirty bitmap, unless the fast path ' +
        'that made its spte writable has not yet reached mark_page_dirty()',
      (s) => {
        if (F.at(s, FL.mark) || F.at(s, FL.getGfnAfter)) return true;
        for (let g = 1; g <= 4; g++) if (s[written[g]!] === 1 && s[bitmap[g]!] !== 1) return false;
        return true;
      },
    );
    b.reachable(
      'abaCmpxchgSucceeds',
      "the fast path's cmpxchg succeeds on a 4K spte that was zapped and re-created after it read it",
      (s) => s[abaTaken] === 1,
    );
    b.reachable(
      'largeSpteWriteFault',
      'a write fault reaches the fast path on a read-only, MMU-writable 2M spte',
      (s) => s[largeFault] === 1,
    );
  },
});
