/**
 * TLB flush when an spte goes writable -> read-only outside mmu_lock.
 *
 * Follows locking.rst §2 "3) flush tlbs due to spte updated" (seed 000), patches 4/5 ("flush tlb
 * if the spte can be locklessly modified") and 5/5 ("flush tlb out of mmu lock when write-protect
 * the sptes") of the 2014 series and Paolo Bonzini's rewording of its comment (seed 003), and
 * ../shared/PROTOCOLS.md §4 (actors D1, D2, P, V/F; properties 4A, 4B; races 4A, 4B, 4C).
 *
 * Two kinds of write protection meet on one spte (gfn g, a guest page-table page that is also
 * dirty-logged): dirty logging (D1 enabling it, D2 harvesting the bitmap) clears only W and
 * flushes after dropping mmu_lock, serialized by slots_lock; shadowing (P, a vCPU in
 * kvm_mmu_get_page) clears MMU_W too and flushes under mmu_lock, then relies on "no vCPU can
 * write g without a fault". The guest vCPU V writes g through its TLB; on a write fault,
 * fast_page_fault sets W again without mmu_lock when MMU_W and HOST_W allow it.
 *
 * The spte is one shared word (W, MMU_W = SPTE_MMU_WRITEABLE, HOST_W = SPTE_HOST_WRITEABLE). V's
 * TLB is one entry per vCPU caching W: CPU-internal state, so a direct-access slot rather than
 * memory; it survives until a flush clears it. kvm_flush_remote_tlbs is one synchronous step
 * that clears every vCPU's entry (after smp_mb(), as kvm_make_all_cpus_request orders the
 * flusher's earlier stores): its KVM_REQUEST_WAIT semantics are that it returns only once every
 * vCPU has left the guest and will flush before re-entry, and none of these races depends on
 * the request/kick handshake (that is the vcpu-requests model); they are about whether a flush
 * is issued at all, and whether it is still pending when somebody relies on it.
 *
 * Configurations (`setup`), each from the state at the beginning of its seed table:
 *   4A  get_dirty_log + vcpu0 (P) + vcpu1 (V); logging on, g dirty, spte and V's TLB writable.
 *   4B  enable_dirty_log (D1) + get_dirty_log + vcpu1 (V); logging off, spte and TLB writable.
 *   4C  vcpu0 (P) + vcpu1 (V/F); logging on, spte write-protected by dirty logging and flushed.
 *   all every actor, from 4B's beginning (each race's window is reachable in it).
 * `auto` picks the broken variant's own configuration (PROTOCOLS.md §10, smallest), and `all`
 * for `fixed`, which must hold in every one of them.
 *
 * Simplified: one gfn and one spte (no rmap walk, no large sptes); mark_page_dirty sets the bit
 * without testing memslot->dirty_bitmap (a bit set while logging is off only makes the next
 * harvest report g, which no property forbids); the slow page-fault path on a write-protected
 * page table is one step that emulates the write (kvm_write_guest marks the page dirty).
 */
import { BOOL, defineModel, int, intDomain, oneOf } from '../checker/index.ts';
import {
  cmpxchg,
  mutex_lock,
  mutex_unlock,
  READ_ONCE,
  set_bit,
  smp_mb,
  smp_store_release,
  spin_lock,
  spin_unlock,
  WRITE_ONCE,
  xchg,
} from '../checker/kernel/index.ts';
import type { Context } from '../checker/memory/context.ts';
import type { ProcessBuilder } from '../checker/model/builder.ts';
import { bitfieldDomain, has } from './_spte-fields.ts';

/** PT_WRITABLE_MASK, SPTE_MMU_WRITEABLE, SPTE_HOST_WRITEABLE (bit order of the spte slot). */
const W = 1;
const MMU_W = 2;
const HOST_W = 4;
const SPTE = bitfieldDomain(['W', 'MMU_W', 'HOST_W']);

type Setup = '4A' | '4B' | '4C' | 'all';
const OWN_SETUP: Record<string, Setup> = {
  fixed: 'all',
  'w-only-decision': '4A',
  'dirty-log-unserialized': '4B',
  'stale-w': '4C',
};

export default defineModel({
  name: 'tlb-flush-ro',
  title: 'TLB flush when an spte goes writable to read-only (dirty logging vs shadowing vs fast page fault)',
  source:
    'locking.rst §2 "3) flush tlbs due to spte updated"; 003 patches 4/5, 5/5 and review; PROTOCOLS.md §4',
  params: {
    setup: oneOf(
      ['auto', 'all', '4A', '4B', '4C'],
      'auto',
      "actors and initial state: 4A/4B/4C the race's smallest configuration, all every actor; auto = the variant's own (all for fixed)",
    ),
    writes: int(1, 3, 1, 'guest writes to g that vcpu1 makes'),
  },
  variants: {
    fixed:
      'SPTE_MMU_WRITEABLE rule: shadowing clears MMU_W and flushes when the old spte had MMU_W; xchg of volatile sptes; dirty-log flushes inside slots_lock',
    'w-only-decision':
      '4A: mmu_spte_update decides the flush from W of the old spte (before patch 4/5), so shadowing skips it after an unflushed dirty-log protection',
    'dirty-log-unserialized':
      '4B: the dirty-log paths flush after dropping slots_lock, so a harvest can return while an earlier flush is pending',
    'stale-w':
      '4C: mmu_spte_update stores non-atomically and decides the flush from W of the spte it read earlier',
  },
  build(b, { params, variant }) {
    const setup: Setup = params.setup === 'auto' ? OWN_SETUP[variant]! : (params.setup as Setup);
    const writes = params.writes as number;
    const hasD1 = setup === '4B' || setup === 'all';
    const hasD2 = setup !== '4C';
    const hasP = setup !== '4B';
    const loggingAtStart = setup === '4A' || setup === '4C';
    const wOnly = variant === 'w-only-decision';
    const staleW = variant === 'stale-w';
    const flushOutsideSlotsLock = variant === 'dirty-log-unserialized';

    const spte = b.shared('spte', SPTE, setup === '4C' ? HOST_W | MMU_W : HOST_W | MMU_W | W);
    const mmuLock = b.lock('kvm->mmu_lock');
    const slotsLock = hasD1 || hasD2 ? b.lock('kvm->slots_lock') : -1;
    const logging = hasD2 ? b.shared('memslot->dirty_bitmap', BOOL, loggingAtStart ? 1 : 0) : -1;
    const dirty = b.shared('dirty_bitmap[g]', BOOL, setup === '4A' ? 1 : 0);
    const tlbW = b.ghost('vcpu1.tlb[g].W', BOOL, setup === '4C' ? 0 : 1);
    // History: P has finished write-protecting g and relies on it; KVM has told userspace that
    // from now on every write to g is logged (a harvest or the enabling ioctl returned); g was
    // written since then.
    const wpDone = b.ghost('shadow_wp_done');
    const promised = b.ghost('log_promised');
    const writtenSincePromise = b.ghost('written_since_promise');

    /** kvm_flush_remote_tlbs(kvm), synchronous: returns when no vCPU can use an old entry. */
    // kvm_flush_remote_tlbs() waits until vcpu1 has flushed: vcpu1 ran the flush as a full
    // barrier, so under a memory model with stale loads its later page walk sees the new spte.
    const flushRemoteTlbs = (c: Context) => {
      smp_mb(c);
      c.set(tlbW, 0);
      c.remoteFence(V.index);
    };

    /**
     * spte_write_protect(kvm, sptep, pt_protect) then mmu_spte_update(): a read of the spte and
     * the update, one step each (fast_page_fault can run between them: the 4C window). Returns
     * the local holding the spte read; `afterUpdate` gets mmu_spte_update's flush decision.
     */
    const writeProtectSteps = (
      P: ProcessBuilder,
      ptProtect: boolean,
      skipTo: () => number,
      afterUpdate: (c: Context, flush: boolean) => number | undefined,
    ) => {
      const old = P.local('spte', SPTE);
      P.step(
        'spte_write_protect',
        `spte = *sptep  /* spte_write_protect(pt_protect=${ptProtect}) */`,
        (c) => {
          const s = READ_ONCE(c, spte);
          c.set(old, s);
          return !has(s, W) && !(ptProtect && has(s, MMU_W | HOST_W)) ? skipTo() : undefined;
        },
      );
      const clear = ptProtect ? W | MMU_W : W;
      if (staleW) {
        P.step(
          'mmu_spte_update',
          `mmu_spte_update(): *sptep = spte & ~${ptProtect ? '(W|MMU_W)' : 'W'} (plain store); flush = is_writable_pte(spte)`,
          (c) => {
            const o = c.get(old);
            WRITE_ONCE(c, spte, o & ~clear);
            return afterUpdate(c, has(o, W));
          },
        );
      } else {
        P.step(
          'mmu_spte_update',
          wOnly
            ? `mmu_spte_update(): old = xchg(sptep, spte & ~${ptProtect ? '(W|MMU_W)' : 'W'}); flush = is_writable_pte(old)`
            : `mmu_spte_update(): old = xchg(sptep, spte & ~${ptProtect ? '(W|MMU_W)' : 'W'}); flush = spte_is_locklessly_modifiable(old)`,
          (c) => {
            const o = xchg(c, spte, c.get(old) & ~clear);
            return afterUpdate(c, wOnly ? has(o, W) : has(o, MMU_W | HOST_W));
          },
        );
      }
      return old;
    };

    // D1: KVM_SET_USER_MEMORY_REGION turning on KVM_MEM_LOG_DIRTY_PAGES; kvm_set_memory_region
    // holds slots_lock, install_new_memslots publishes the slot with its dirty bitmap, then
    // kvm_arch_commit_memory_region -> kvm_mmu_slot_remove_write_access.
    const D1 = hasD1 ? b.process('enable_dirty_log') : undefined;
    let d1FlushPendingAt: number[] = [];
    if (D1) {
      const L = {
        spinUnlock: D1.label('spin_unlock'),
        flush: D1.label('kvm_flush_remote_tlbs'),
      };
      D1.step('mutex_lock', 'mutex_lock(&kvm->slots_lock)  /* kvm_set_memory_region */', (c) => {
        mutex_lock(c, slotsLock);
      });
      D1.step(
        'install_new_memslots',
        'rcu_assign_pointer(kvm->memslots, slots)  /* with dirty_bitmap */',
        (c) => {
          smp_store_release(c, logging, 1);
        },
      );
      D1.step('spin_lock', 'spin_lock(&kvm->mmu_lock)  /* kvm_mmu_slot_remove_write_access */', (c) => {
        spin_lock(c, mmuLock);
      });
      writeProtectSteps(
        D1,
        false,
        () => L.spinUnlock,
        () => undefined,
      );
      D1.step('spin_unlock', 'spin_unlock(&kvm->mmu_lock)', (c) => {
        spin_unlock(c, mmuLock);
      });
      const returnToUser = (c: Context) => {
        c.set(promised, 1);
        c.set(writtenSincePromise, 0);
        return D1.done;
      };
      if (flushOutsideSlotsLock) {
        D1.step('mutex_unlock', 'mutex_unlock(&kvm->slots_lock)  /* flush still to come */', (c) => {
          mutex_unlock(c, slotsLock);
        });
        D1.step('kvm_flush_remote_tlbs', 'kvm_flush_remote_tlbs(kvm)  /* slots_lock not held */', (c) => {
          flushRemoteTlbs(c);
        });
        D1.step('return', 'ioctl returns: dirty logging is on', returnToUser);
        d1FlushPendingAt = [L.flush, D1.label('mutex_unlock')];
      } else {
        D1.step(
          'kvm_flush_remote_tlbs',
          'lockdep_assert_held(&kvm->slots_lock); kvm_flush_remote_tlbs(kvm)',
          (c) => {
            flushRemoteTlbs(c);
          },
        );
        D1.step('mutex_unlock', 'mutex_unlock(&kvm->slots_lock); ioctl returns: dirty logging is on', (c) => {
          mutex_unlock(c, slotsLock);
          return returnToUser(c);
        });
        d1FlushPendingAt = [L.flush];
      }
    }

    // D2: KVM_GET_DIRTY_LOG (x86 kvm_vm_ioctl_get_dirty_log, 3.17): harvest the bitmap word,
    // write-protect what it held (W only), flush after dropping mmu_lock if anything was dirty.
    const D2 = hasD2 ? b.process('get_dirty_log') : undefined;
    let d2Mask = -1;
    let d2FlushPendingAt: number[] = [];
    let d2BeforeHarvest: number[] = [];
    if (D2) {
      const mask = D2.local('mask');
      d2Mask = mask;
      const L = {
        spinUnlock: D2.label('spin_unlock'),
        noent: D2.label('out_enoent'),
        flush: D2.label('kvm_flush_remote_tlbs'),
        copy: D2.label('copy_to_user'),
        mutexUnlock: flushOutsideSlotsLock ? D2.label('mutex_unlock') : -1,
      };
      D2.step('mutex_lock', 'mutex_lock(&kvm->slots_lock)', (c) => {
        mutex_lock(c, slotsLock);
      });
      D2.step('check_memslot', 'if (!memslot->dirty_bitmap) return -ENOENT', (c) =>
        READ_ONCE(c, logging) === 0 ? L.noent : undefined,
      );
      D2.step('spin_lock', 'spin_lock(&kvm->mmu_lock)', (c) => {
        spin_lock(c, mmuLock);
      });
      d2BeforeHarvest = ['mutex_lock', 'check_memslot', 'spin_lock', 'xchg_dirty_bitmap'].map((l) =>
        D2.label(l),
      );
      D2.step('xchg_dirty_bitmap', 'mask = xchg(&dirty_bitmap[i], 0); is_dirty = mask != 0', (c) => {
        const m = xchg(c, dirty, 0);
        c.set(mask, m);
        return m === 0 ? L.spinUnlock : undefined;
      });
      writeProtectSteps(
        D2,
        false,
        () => L.spinUnlock,
        () => undefined,
      );
      D2.step('spin_unlock', 'spin_unlock(&kvm->mmu_lock)', (c) => {
        spin_unlock(c, mmuLock);
        if (flushOutsideSlotsLock) return L.mutexUnlock;
        return c.get(mask) !== 0 ? L.flush : L.copy;
      });
      if (flushOutsideSlotsLock) {
        D2.step('mutex_unlock', 'mutex_unlock(&kvm->slots_lock)  /* flush still to come */', (c) => {
          mutex_unlock(c, slotsLock);
          return c.get(mask) !== 0 ? L.flush : L.copy;
        });
      }
      D2.step(
        'kvm_flush_remote_tlbs',
        flushOutsideSlotsLock
          ? 'if (is_dirty) kvm_flush_remote_tlbs(kvm)  /* slots_lock not held */'
          : 'lockdep_assert_held(&kvm->slots_lock); if (is_dirty) kvm_flush_remote_tlbs(kvm)',
        (c) => {
          flushRemoteTlbs(c);
        },
      );
      D2.step(
        'copy_to_user',
        flushOutsideSlotsLock
          ? 'copy_to_user(log->dirty_bitmap, mask); ioctl returns'
          : 'copy_to_user(log->dirty_bitmap, mask); mutex_unlock(&kvm->slots_lock)',
        (c) => {
          if (!flushOutsideSlotsLock) mutex_unlock(c, slotsLock);
          c.set(promised, 1);
          // Userspace copies every page the returned mask reports, after every write so far.
          if (c.get(mask) !== 0) c.set(writtenSincePromise, 0);
          c.set(mask, 0);
          return D2.done;
        },
      );
      D2.step('out_enoent', 'mutex_unlock(&kvm->slots_lock); return -ENOENT  /* logging is off */', (c) => {
        mutex_unlock(c, slotsLock);
        return D2.done;
      });
      d2FlushPendingAt = [L.flush, ...(flushOutsideSlotsLock ? [L.mutexUnlock] : [])];
    }

    // P: vcpu0 shadows guest page table g (kvm_mmu_get_page, mmu_lock held by the fault path):
    // if (rmap_write_protect(vcpu, gfn)) kvm_flush_remote_tlbs(kvm), all under mmu_lock.
    const P = hasP ? b.process('vcpu0') : undefined;
    let pOld = -1;
    let pRead = -1;
    let pUpdate = -1;
    if (P) {
      const L = { flush: P.label('kvm_flush_remote_tlbs'), unlock: P.label('spin_unlock') };
      P.step(
        'spin_lock',
        'spin_lock(&kvm->mmu_lock)  /* kvm_mmu_get_page: shadow guest page table g */',
        (c) => {
          spin_lock(c, mmuLock);
        },
      );
      pRead = P.label('spte_write_protect');
      pUpdate = P.label('mmu_spte_update');
      pOld = writeProtectSteps(
        P,
        true,
        () => L.unlock,
        (_c, flush) => (flush ? L.flush : L.unlock),
      );
      P.step('kvm_flush_remote_tlbs', 'kvm_flush_remote_tlbs(kvm)  /* under mmu_lock */', (c) => {
        flushRemoteTlbs(c);
      });
      P.step(
        'spin_unlock',
        'spin_unlock(&kvm->mmu_lock); g is write-protected: the shadow page is in sync',
        (c) => {
          spin_unlock(c, mmuLock);
          c.set(wpDone, 1);
          return P.done;
        },
      );
    }

    // V: vcpu1 in the guest, writing g; fast_page_fault on a write fault (direct sp, level 1).
    const V = b.process('vcpu1');
    {
      const left = V.local('writes_left', intDomain(0, writes), writes);
      const seen = V.local('spte', SPTE);
      const L = {
        write: V.label('guest_write'),
        fault: V.label('fast_page_fault'),
        fix: V.label('fast_pf_fix_direct_spte'),
        dirty: V.label('mark_page_dirty'),
        slow: V.label('slow_path'),
      };
      const wrote = (c: Context) => {
        if (c.get(promised) === 1) c.set(writtenSincePromise, 1);
        const n = c.get(left) - 1;
        c.set(left, n);
        return n > 0 ? L.write : V.done;
      };
      V.step('guest_write', 'guest writes g through its writable TLB entry (no fault)', wrote, {
        guard: (c) => c.get(tlbW) === 1,
      });
      V.step(
        'guest_write',
        'guest writes g: TLB miss, the walk reads the spte (writable: cache it; else EPT violation)',
        (c) => {
          if (!has(READ_ONCE(c, spte), W)) return L.fault;
          c.set(tlbW, 1);
          return wrote(c);
        },
        { guard: (c) => c.get(tlbW) === 0 },
      );
      V.step('fast_page_fault', 'fast_page_fault(): spte = mmu_spte_get_lockless(sptep)', (c) => {
        const s = READ_ONCE(c, spte);
        c.set(seen, s);
        if (has(s, W)) return L.write; // fixed by someone else meanwhile: retry the access
        return has(s, MMU_W | HOST_W) ? L.fix : L.slow;
      });
      V.step('fast_pf_fix_direct_spte', 'cmpxchg64(sptep, spte, spte | PT_WRITABLE_MASK)', (c) =>
        cmpxchg(c, spte, c.get(seen), c.get(seen) | W) === c.get(seen) ? L.dirty : L.write,
      );
      V.step('mark_page_dirty', 'mark_page_dirty(kvm, gfn): set_bit(g, memslot->dirty_bitmap)', (c) => {
        set_bit(c, 0, dirty);
        return L.write;
      });
      V.step('slow_path', 'slow path: g is a shadowed page table, emulate the write (marks g dirty)', (c) => {
        set_bit(c, 0, dirty);
        return wrote(c);
      });
    }

    if (hasP) {
      b.invariant(
        'shadowConsistent',
        '4A: once vcpu0 has write-protected g for shadowing, no vCPU can write g without a fault: ' +
          'no TLB entry and no spte grants W',
        (s) => s[wpDone] === 0 || (s[tlbW] === 0 && !has(s[spte]!, W)),
      );
    }
    if (hasD2) {
      b.invariant(
        'dirtyLogComplete',
        '4B: every write to g after KVM promised userspace to log it (a harvest or the enabling ioctl ' +
          'returned) is in the dirty bitmap, or in the mask a harvest is about to return',
        (s) => s[writtenSincePromise] === 0 || s[dirty] === 1 || s[d2Mask] === 1,
      );
    }

    const d1FlushPending = (s: Int32Array) => D1 !== undefined && d1FlushPendingAt.includes(s[D1.pcSlot]!);
    const d2FlushPending = (s: Int32Array) =>
      D2 !== undefined && s[d2Mask] === 1 && d2FlushPendingAt.includes(s[D2.pcSlot]!);
    if (P && (hasD1 || hasD2)) {
      b.reachable(
        'protectDuringDeferredFlush',
        '4A window: vcpu0 write-protects g while a dirty-log flush is still pending and vcpu1 still ' +
          'caches W',
        (s) => s[P.pcSlot] === pRead && s[tlbW] === 1 && (d1FlushPending(s) || d2FlushPending(s)),
      );
    }
    if (D1 && D2) {
      b.reachable(
        'harvestDuringDeferredFlush',
        "4B window: a harvest is under way or waiting for slots_lock while enable_dirty_log's flush " +
          'is pending and vcpu1 still caches W',
        (s) => d1FlushPending(s) && s[tlbW] === 1 && d2BeforeHarvest.includes(s[D2.pcSlot]!),
      );
    }
    if (P) {
      b.reachable(
        'fastPfInsideProtect',
        '4C window: fast_page_fault sets W between vcpu0 reading the spte and updating it',
        (s) => s[P.pcSlot] === pUpdate && !has(s[pOld]!, W) && has(s[spte]!, W),
      );
    }
  },
});
