/**
 * `kvm->tlbs_dirty`: the remote TLB flush that FNAME(sync_page) defers, and how a flush outside
 * mmu_lock can lose it.
 *
 * Follows patch 1/5 of the 2014 series "KVM: x86: flush tlb out of mmu-lock after write
 * protection" (seed 003: Revert "KVM: Simplify kvm->tlbs_dirty handling", which turns the bool
 * back into a counter cleared by cmpxchg "since we will allow flush tlb out of mmu-lock in the
 * later patch") and ../shared/PROTOCOLS.md §5 (actors S, Vx, Fl, N; the bool's lost flush; the
 * two barrier-less counters).
 *
 * vcpu0 runs FNAME(sync_page) under mmu_lock: a guest PTE changed, so it drops the spte mapping
 * page p and, instead of flushing remote TLBs, bumps tlbs_dirty (its own TLB is flushed locally:
 * sync runs on a guest TLB flush). vcpu1 runs the guest and caches the translation to p. The
 * flusher runs kvm_flush_remote_tlbs outside mmu_lock (e.g. KVM_GET_DIRTY_LOG after patch 5/5).
 * The MMU notifier invalidates p under mmu_lock, flushes if it dropped an spte or tlbs_dirty is
 * set, and then the host frees p.
 *
 * kvm_flush_remote_tlbs is modelled with its request: take the tlbs_dirty snapshot, make
 * KVM_REQ_TLB_FLUSH for vcpu1 (set_bit), wait until vcpu1 has handled it (KVM_REQUEST_WAIT: the
 * IPI is acknowledged once vcpu1 has left the guest, and it flushes before re-entering; the
 * model lets vcpu1 handle the request as one step), then clear tlbs_dirty. The request is a
 * store of its own because the `no-acquire` variant's race (PROTOCOLS.md §5) is that store
 * overtaking the snapshot load, which a synchronous flush step could not show.
 *
 * Simplified: one spte and one page; vcpu0 drops it once; vCPU modes, kicks and the IPI are the
 * vcpu-requests model's business, so vcpu1 is always ready to take the request; vcpu0's own
 * request and TLB are left out (sync_page's vCPU flushes locally); when vcpu1's walk finds the
 * spte dropped it would fault and re-map through the MMU, which is not modelled (it stops).
 */
import { BOOL, defineModel, intDomain } from '../checker/index.ts';
import {
  cmpxchg,
  READ_ONCE,
  set_bit,
  smp_mb,
  smp_wmb,
  spin_lock,
  spin_unlock,
  test_and_clear_bit,
  WRITE_ONCE,
  xchg,
} from '../checker/kernel/index.ts';
import type { ProcessBuilder } from '../checker/model/builder.ts';

const KVM_REQ_TLB_FLUSH = 0;

export default defineModel({
  name: 'tlbs-dirty',
  title: 'tlbs_dirty: the remote TLB flush deferred by sync_page, and flushes outside mmu_lock',
  source: '003 patch 1/5 (Revert "KVM: Simplify kvm->tlbs_dirty handling"); PROTOCOLS.md §5',
  params: {},
  variants: {
    fixed:
      'counter: sync_page does smp_wmb(); tlbs_dirty++; kvm_flush_remote_tlbs snapshots it, smp_mb(), flushes, cmpxchg(snapshot -> 0)',
    bool: 'the reverted bool: sync_page sets tlbs_dirty = true, kvm_flush_remote_tlbs sets it false after flushing',
    'no-wmb': 'counter without the smp_wmb() between drop_spte and tlbs_dirty++ (relaxed-only race)',
    'no-acquire':
      'counter, but the snapshot is a plain load with no barrier before the flush request (relaxed-only race)',
  },
  build(b, { variant }) {
    const isBool = variant === 'bool';

    const spte = b.shared('sp->spt[i]', { ...BOOL, names: ['0', 'pfn p'] }, 1);
    const tlbsDirty = b.shared('kvm->tlbs_dirty', isBool ? BOOL : intDomain(0, 1), 0);
    const requests = b.shared('vcpu1->requests', BOOL, 0);
    const mmuLock = b.lock('kvm->mmu_lock');
    // vcpu1's TLB entry for the translation to p: CPU-internal, survives until vcpu1 flushes.
    const tlb = b.ghost('vcpu1.tlb -> p', BOOL, 1);
    const freed = b.ghost('page p freed');

    /**
     * kvm_flush_remote_tlbs(kvm) as steps of `P`, continuing at `after`. Returns the label of
     * its last step (the clear of tlbs_dirty) and the snapshot local.
     */
    const flushSteps = (P: ProcessBuilder, after: () => number) => {
      const snapshot = isBool ? -1 : P.local('dirty_count', intDomain(0, 1));
      if (variant === 'no-acquire') {
        P.step(
          'tlbs_dirty_snapshot',
          'long dirty_count = READ_ONCE(kvm->tlbs_dirty);  /* no barrier */',
          (c) => {
            c.set(snapshot, READ_ONCE(c, tlbsDirty));
          },
        );
      } else if (!isBool) {
        P.step('tlbs_dirty_snapshot', 'long dirty_count = kvm->tlbs_dirty; smp_mb();', (c) => {
          c.set(snapshot, READ_ONCE(c, tlbsDirty));
          smp_mb(c);
        });
      }
      P.step(
        'kvm_make_request',
        'make_all_cpus_request(): kvm_make_request(KVM_REQ_TLB_FLUSH, vcpu1)',
        (c) => {
          set_bit(c, KVM_REQ_TLB_FLUSH, requests);
        },
      );
      P.step(
        'wait_ack',
        'smp_call_function_many(.., wait): vcpu1 has left the guest, flushes before entry',
        (c) => {
          c.await(READ_ONCE(c, requests) === 0);
        },
      );
      const clear = P.label('clear_tlbs_dirty');
      if (isBool) {
        P.step('clear_tlbs_dirty', 'kvm->tlbs_dirty = false', (c) => {
          WRITE_ONCE(c, tlbsDirty, 0);
          return after();
        });
      } else {
        P.step('clear_tlbs_dirty', 'cmpxchg(&kvm->tlbs_dirty, dirty_count, 0)', (c) => {
          cmpxchg(c, tlbsDirty, c.get(snapshot), 0);
          return after();
        });
      }
      return { clear, snapshot };
    };

    // The flusher: kvm_flush_remote_tlbs() outside mmu_lock.
    const F = b.process('flusher');
    const fl = flushSteps(F, () => F.done);

    // vcpu1: in the guest with a TLB; takes the flush request whenever it is made.
    const V = b.process('vcpu1');
    {
      const guest = V.label('guest');
      V.step(
        'guest',
        'guest access: TLB miss, the walk reads sp->spt[i] and caches the translation to p',
        (c) => {
          c.await(READ_ONCE(c, spte) === 1);
          c.set(tlb, 1);
          return guest;
        },
        { guard: (c) => c.get(tlb) === 0 },
      );
      V.step(
        'guest',
        'IPI -> VM-exit; kvm_check_request(KVM_REQ_TLB_FLUSH): kvm_vcpu_flush_tlb(); re-enter',
        (c) => {
          c.await(test_and_clear_bit(c, KVM_REQ_TLB_FLUSH, requests));
          c.set(tlb, 0);
          return guest;
        },
      );
      V.endAt(guest);
    }

    // vcpu0: kvm_mmu_sync_page -> FNAME(sync_page), mmu_lock held.
    const S = b.process('vcpu0');
    {
      const seen = S.local('tlbs_dirty', intDomain(0, 1));
      S.step('spin_lock', 'spin_lock(&kvm->mmu_lock)  /* kvm_sync_page -> FNAME(sync_page) */', (c) => {
        spin_lock(c, mmuLock);
      });
      S.step('drop_spte', 'gfn != sp->gfns[i]: drop_spte(kvm, &sp->spt[i])', (c) => {
        WRITE_ONCE(c, spte, 0);
      });
      if (isBool) {
        S.step('tlbs_dirty_set', 'vcpu->kvm->tlbs_dirty = true', (c) => {
          WRITE_ONCE(c, tlbsDirty, 1);
        });
      } else {
        // tlbs_dirty++ is a plain increment under mmu_lock: a load and a store.
        S.step(
          'tlbs_dirty_inc',
          variant === 'no-wmb'
            ? 'vcpu->kvm->tlbs_dirty++  (load)  /* no smp_wmb() */'
            : 'smp_wmb(); vcpu->kvm->tlbs_dirty++  (load)',
          (c) => {
            if (variant !== 'no-wmb') smp_wmb(c);
            c.set(seen, READ_ONCE(c, tlbsDirty));
          },
        );
        S.step('tlbs_dirty_store', 'vcpu->kvm->tlbs_dirty++  (store)', (c) => {
          WRITE_ONCE(c, tlbsDirty, c.get(seen) + 1);
        });
      }
      S.step('spin_unlock', 'spin_unlock(&kvm->mmu_lock)', (c) => {
        spin_unlock(c, mmuLock);
        return S.done;
      });
    }

    // The MMU notifier: invalidate_range_start for p, then the host frees p.
    const N = b.process('mmu_notifier');
    {
      const need = N.local('need_tlb_flush');
      const L = { unlock: N.label('spin_unlock') };
      N.step('spin_lock', 'spin_lock(&kvm->mmu_lock)  /* kvm_mmu_notifier_invalidate_range_start */', (c) => {
        spin_lock(c, mmuLock);
      });
      N.step(
        'kvm_unmap_hva_range',
        'need_tlb_flush = kvm_unmap_hva_range(): drop the spte if still mapped',
        (c) => {
          c.set(need, xchg(c, spte, 0));
        },
      );
      const first = N.label(isBool ? 'kvm_make_request' : 'tlbs_dirty_snapshot');
      N.step(
        'need_tlb_flush',
        'need_tlb_flush |= kvm->tlbs_dirty; if (need_tlb_flush) kvm_flush_remote_tlbs()',
        (c) => (READ_ONCE(c, tlbsDirty) !== 0 || c.get(need) === 1 ? first : L.unlock),
      );
      flushSteps(N, () => L.unlock);
      N.step('spin_unlock', 'spin_unlock(&kvm->mmu_lock)', (c) => {
        spin_unlock(c, mmuLock);
      });
      N.step('put_page', 'invalidate_range_start returned: the host frees p', (c) => {
        c.set(freed, 1);
        return N.done;
      });
    }

    b.invariant(
      'noStaleTlbAtFree',
      'when the host frees p, no vCPU TLB still maps it (else the guest reaches freed memory)',
      (s) => s[freed] === 0 || s[tlb] === 0,
    );
    b.reachable(
      'syncRacesFlush',
      "sync_page drops the spte and marks tlbs_dirty while the flusher's flush is under way: the flusher " +
        'is about to clear tlbs_dirty and vcpu1 still caches the dropped translation',
      (s) => F.at(s, fl.clear) && s[tlbsDirty] !== 0 && s[tlb] === 1 && s[spte] === 0,
    );
  },
});
