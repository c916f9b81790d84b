/**
 * Lockless access tracking (EPT without A/D bits): aging, the fast-path restore and zapping.
 *
 * Follows Documentation/virt/kvm/locking.rst §2 "Lockless Access Tracking" and case 1 of the
 * fast page fault list (seed 000), and ../shared/PROTOCOLS.md §9. Without hardware A/D bits,
 * `aging` (kvm_mmu_notifier_clear_flush_young -> mmu_spte_age, under mmu_lock) marks the spte
 * for access tracking: it clears R/X/W, keeps R/X in ignored bits, and must capture dirtiness
 * first because W is not saved. The `vcpu`'s next access faults and fast_page_fault() restores
 * the saved bits with a lockless cmpxchg64 (adding W on a write fault when MMU_W && HOST_W). The
 * `zapper` (invalidate_range_start -> mmu_spte_clear_track_bits, under mmu_lock) clears the spte
 * with xchg, flushes TLBs, and the host then frees the page.
 *
 * Variants (PROTOCOLS.md §9 (d), each a single change to `fixed`):
 * - `fixed`: every lock holder writes the volatile spte with xchg and acts on the value it
 *   returns (aging takes dirtiness from the old value the xchg removed); the fast path uses
 *   cmpxchg against the exact value it read, and retries when that fails.
 * - `plain-restore` (V1): the fast path restores with a plain store; a zap between its read and
 *   its store is undone, and the spte maps a freed page.
 * - `plain-age` (V2): aging decides dirtiness from the value it read and writes the
 *   access-tracked spte with a plain store (as the TDP MMU did before ba3a6120a4e7), wiping a W
 *   the fast path set in between.
 * - `stale-dirty-capture` (V3, open in PROTOCOLS.md): mmu_spte_age() as in v4.12..v6.x: the
 *   update is atomic (mmu_spte_update_no_track -> xchg) but kvm_set_pfn_dirty() is decided from
 *   the pre-read spte and the old value the xchg returns is ignored.
 *
 * Simplified: one spte and one pfn; R and X are one bit; kvm_flush_remote_tlbs() clears the
 * vCPU's TLB entry in one step (the request/IPI handshake is the vcpu-requests model's job);
 * the slow page fault path is not modelled (a fault the fast path cannot fix ends the vCPU);
 * the fast path's mark_page_dirty() (dirty logging) is not part of these properties.
 */
import { BOOL, type Context, defineModel, enumDomain, int, intDomain } from '../checker/index.ts';
import {
  cmpxchg,
  LOCK_DOMAIN,
  READ_ONCE,
  set_bit,
  smp_mb,
  spin_lock,
  spin_unlock,
  WRITE_ONCE,
  xchg,
} from '../checker/kernel/index.ts';
import { bitfieldDomain, has } from './_spte-fields.ts';

/** EPT spte of pfn1 with A/D bits disabled; RX = hardware R/X, savedRX = R/X kept in ignored bits. */
const SPTE = bitfieldDomain(['RX', 'W', 'savedRX', 'MMU_W', 'HOST_W'], 'pfn1');
const RX = 1;
const W = 2;
const SAVED_RX = 4;
const MMU_W = 8;
const HOST_W = 16;
/** Aging has already marked the spte for access tracking: not present, R/X saved. */
const INITIAL_SPTE = SAVED_RX | MMU_W | HOST_W;

const TLB = enumDomain(['empty', 'RX', 'RX|W']);
const TLB_EMPTY = 0;
const TLB_R = 1;
const TLB_RW = 2;

const PG_dirty = 0;

const isAccessTrack = (s: number): boolean => s !== 0 && !has(s, RX);
/** mark_spte_for_access_track(): save R/X, clear R/X/W (W is not saved). */
const markForAccessTrack = (s: number): number => (s & ~(RX | W)) | (has(s, RX) ? SAVED_RX : 0);
/** restore_acc_track_spte(): R/X back from the saved bits, which are cleared. */
const restoreAccTrack = (s: number): number => (s & ~SAVED_RX) | (has(s, SAVED_RX) ? RX : 0);
/**
 * The guest runs only after a VM-entry, which is serializing: the host's stores (a fast-path fix
 * still in the store buffer) are visible before any guest access.
 */
const vmEntrySerializes = (c: Context): void => smp_mb(c);
const accessAllowed = (write: boolean, s: number): boolean => has(s, write ? RX | W : RX);

export default defineModel({
  name: 'access-tracking',
  title: 'Lockless access tracking: aging, fast-path restore and zap of an A/D-disabled spte',
  source: 'locking.rst §2 "Lockless Access Tracking" (and "Fast page fault" case 1); PROTOCOLS.md §9',
  params: {
    accesses: int(1, 3, 2, 'guest accesses (each a read or a write) the vCPU makes'),
  },
  variants: {
    fixed:
      'aging: old = xchg(sptep, mark_spte_for_access_track(spte)); dirtiness from old. Fast path: cmpxchg64, retried',
    'plain-restore': 'V1: the fast path writes the restored spte with a plain store instead of cmpxchg64',
    'plain-age':
      'V2: aging captures dirtiness from its pre-read spte and writes the access-tracked spte with a plain store',
    'stale-dirty-capture':
      'V3: mmu_spte_age() as shipped: xchg, but kvm_set_pfn_dirty() decided from the pre-read spte ' +
      '(the old value the xchg returns is ignored)',
  },
  build(b, { params, variant }) {
    const accesses = params.accesses as number;
    const captureFirst = variant === 'plain-age' || variant === 'stale-dirty-capture';

    const spte = b.shared('spte', SPTE, INITIAL_SPTE);
    const mmuLock = b.shared('mmu_lock', LOCK_DOMAIN);
    const pageDirty = b.shared('page(pfn1)->flags.PG_dirty', BOOL);
    // Hardware state: the vCPU's TLB entry for the page; it survives until a flush.
    const tlb = b.ghost('tlb(vcpu)', TLB, TLB_EMPTY);
    // History for the properties.
    const written = b.ghost('guest wrote pfn1', BOOL);
    const freed = b.ghost('pfn1 freed', BOOL);
    const zapInsideFix = b.ghost('zap inside a fast-path fix', BOOL);
    const upgradeInsideAging = b.ghost('W set inside aging', BOOL);

    // ---- aging: kvm_mmu_notifier_clear_flush_young -> kvm_age_gfn -> mmu_spte_age.
    const A = b.process('aging');
    const aSpte = A.local('spte', SPTE);
    const aOld = A.local('old_spte', SPTE);
    const AL = {
      update: A.label('update'),
      capture: A.label('capture'),
      flush: A.label('flush'),
      unlock: A.label('spin_unlock'),
    };
    A.step('spin_lock', 'spin_lock(&kvm->mmu_lock)', (c) => {
      spin_lock(c, mmuLock);
    });
    A.step('read', 'mmu_spte_age(): spte = mmu_spte_get_lockless(sptep)', (c) => {
      const s = READ_ONCE(c, spte);
      c.set(aSpte, s);
      // !is_accessed_spte(): nothing to age (not present, or already access-tracked).
      if (s === 0 || isAccessTrack(s)) return AL.unlock;
      return captureFirst ? AL.capture : AL.update;
    });
    const captureStep = (text: string, from: number) =>
      A.step('capture', text, (c) => {
        if (has(c.get(from), W)) set_bit(c, PG_dirty, pageDirty);
        return captureFirst ? AL.update : AL.flush;
      });
    if (captureFirst) captureStep('if (is_writable_pte(spte)) kvm_set_pfn_dirty(spte_to_pfn(spte))', aSpte);
    if (variant === 'plain-age') {
      A.step(
        'update',
        'mmu_spte_update_no_track(sptep, mark_spte_for_access_track(spte))  /* plain store */',
        (c) => {
          WRITE_ONCE(c, spte, markForAccessTrack(c.get(aSpte)));
          return AL.flush;
        },
      );
    } else {
      A.step(
        'update',
        variant === 'stale-dirty-capture'
          ? 'mmu_spte_update_no_track(sptep, mark_spte_for_access_track(spte))  /* volatile: xchg, old ignored */'
          : 'old_spte = xchg(sptep, mark_spte_for_access_track(spte))',
        (c) => {
          c.set(aOld, xchg(c, spte, markForAccessTrack(c.get(aSpte))));
          return captureFirst ? AL.flush : AL.capture;
        },
      );
    }
    if (!captureFirst)
      captureStep('if (is_writable_pte(old_spte)) kvm_set_pfn_dirty(spte_to_pfn(old_spte))', aOld);
    A.step('flush', 'kvm_flush_remote_tlbs(kvm)  /* clear_flush_young */', (c) => {
      c.set(tlb, TLB_EMPTY);
    });
    A.step('spin_unlock', 'spin_unlock(&kvm->mmu_lock)', (c) => {
      spin_unlock(c, mmuLock);
      return A.done;
    });
    /** Aging has read the spte and not yet written it back: a W set now is the racy window. */
    const agingHoldsRead = (s: Int32Array): boolean =>
      A.at(s, AL.update) || (captureFirst && A.at(s, AL.capture));

    // ---- zapper: invalidate_range_start -> kvm_unmap_gfn_range -> mmu_spte_clear_track_bits.
    const Z = b.process('zapper');
    const zOld = Z.local('old_spte', SPTE);
    const ZL = { capture: Z.label('capture') };
    Z.step('spin_lock', 'spin_lock(&kvm->mmu_lock)', (c) => {
      spin_lock(c, mmuLock);
    });
    Z.step(
      'clear',
      'mmu_spte_clear_track_bits(): old_spte = __update_clear_spte_slow(sptep, 0ull)  /* xchg */',
      (c) => {
        c.set(zOld, xchg(c, spte, 0));
        // (V, VL and vOld are declared below; effects run only once the model is built.)
        if (V.at(c.s, VL.fix) && isAccessTrack(c.get(vOld))) c.set(zapInsideFix, 1);
      },
    );
    Z.step('capture', 'if (is_dirty_spte(old_spte)) kvm_set_pfn_dirty(pfn)  /* A/D disabled: W */', (c) => {
      if (has(c.get(zOld), W)) set_bit(c, PG_dirty, pageDirty);
    });
    Z.step('flush', 'kvm_flush_remote_tlbs(kvm)', (c) => {
      c.set(tlb, TLB_EMPTY);
    });
    Z.step('spin_unlock', 'spin_unlock(&kvm->mmu_lock)', (c) => {
      spin_unlock(c, mmuLock);
    });
    Z.step('free', 'invalidate_range_end(); the host frees pfn1', (c) => {
      c.set(freed, 1);
      return Z.done;
    });

    // ---- vcpu: the guest's accesses through its TLB, and fast_page_fault() on EPT violations.
    const V = b.process('vcpu');
    const left = V.local('accesses_left', intDomain(0, accesses), accesses);
    const isWrite = V.local('write_fault', BOOL);
    const vOld = V.local('spte', SPTE);
    const vNew = V.local('new_spte', SPTE);
    const VL = {
      guest: V.label('guest'),
      fastPf: V.label('fast_page_fault'),
      fix: V.label('fast_pf_fix'),
      retry: V.label('retry'),
    };
    /**
     * One guest access through the TLB: a hit needs no walk; a miss walks the spte and fills the
     * TLB, or takes an EPT violation (which also drops the stale entry) into fast_page_fault().
     */
    const access = (c: Context, write: boolean): number => {
      vmEntrySerializes(c);
      c.set(isWrite, write ? 1 : 0);
      const hit = write ? c.get(tlb) === TLB_RW : c.get(tlb) !== TLB_EMPTY;
      if (!hit) {
        const s = READ_ONCE(c, spte);
        if (!accessAllowed(write, s)) {
          c.set(tlb, TLB_EMPTY);
          return VL.fastPf;
        }
        c.set(tlb, has(s, W) ? TLB_RW : TLB_R);
      }
      if (write) c.set(written, 1);
      const n = c.get(left) - 1;
      c.set(left, n);
      return n > 0 ? VL.guest : V.done;
    };
    V.step('guest', 'guest reads pfn1', (c) => access(c, false));
    V.step('guest', 'guest writes pfn1', (c) => access(c, true));
    // After a fault the guest re-executes the same instruction.
    V.step('retry', 'guest retries the read', (c) => access(c, false), {
      guard: (c) => c.get(isWrite) === 0,
    });
    V.step('retry', 'guest retries the write', (c) => access(c, true), {
      guard: (c) => c.get(isWrite) === 1,
    });
    V.step('fast_page_fault', 'fast_page_fault(): spte = mmu_spte_get_lockless(sptep)', (c) => {
      const s = READ_ONCE(c, spte);
      const write = c.get(isWrite) === 1;
      c.set(vOld, s);
      if (s === 0) return V.done; // not shadow-present: the slow path, not modelled
      if (accessAllowed(write, s)) return VL.retry; // spurious: the guest retries
      let n = isAccessTrack(s) ? restoreAccTrack(s) : s;
      if (write && has(s, MMU_W | HOST_W)) n |= W; // spte_can_locklessly_be_made_writable()
      if (n === s || !accessAllowed(write, n)) return V.done; // slow path
      c.set(vNew, n);
    });
    if (variant === 'plain-restore') {
      V.step(
        'fast_pf_fix',
        'fast_pf_fix_direct_spte(): WRITE_ONCE(*sptep, new_spte)  /* plain store */',
        (c) => {
          WRITE_ONCE(c, spte, c.get(vNew));
          if (has(c.get(vNew), W) && !has(c.get(vOld), W) && agingHoldsRead(c.s))
            c.set(upgradeInsideAging, 1);
          return VL.retry;
        },
      );
    } else {
      V.step('fast_pf_fix', 'fast_pf_fix_direct_spte(): cmpxchg64(sptep, spte, new_spte)', (c) => {
        if (cmpxchg(c, spte, c.get(vOld), c.get(vNew)) !== c.get(vOld)) return VL.fastPf; // retry
        if (has(c.get(vNew), W) && !has(c.get(vOld), W) && agingHoldsRead(c.s)) c.set(upgradeInsideAging, 1);
        return VL.retry;
      });
    }

    b.invariant(
      'noResurrection',
      'I1: once the zapper cleared the spte and the host freed pfn1, neither the spte nor a TLB maps it',
      (s) => s[freed] !== 1 || (s[spte] === 0 && s[tlb] === TLB_EMPTY),
    );
    b.invariant(
      'noLostDirty',
      'I2: a page the guest wrote is PG_dirty by the time no writable mapping of it (spte W or TLB W) is left, ' +
        'unless a lock holder that removed W is still about to capture it',
      (s) =>
        s[written] !== 1 ||
        s[pageDirty] === 1 ||
        has(s[spte]!, W) ||
        s[tlb] === TLB_RW ||
        (!captureFirst && A.at(s, AL.capture)) ||
        Z.at(s, ZL.capture),
    );
    b.invariant(
      'restoreGrantsOnlySaved',
      'I3: an access-tracked spte is not present to hardware, and W is only ever set with R/X, MMU_W and HOST_W',
      (s) => {
        const v = s[spte]!;
        return !(has(v, RX) && has(v, SAVED_RX)) && (!has(v, W) || has(v, RX | MMU_W | HOST_W));
      },
    );
    b.reachable(
      'zapInsideRestore',
      'the zapper clears the spte while the fast path holds the access-tracked value it is about to restore',
      (s) => s[zapInsideFix] === 1,
    );
    b.reachable(
      'writeUpgradeInsideAging',
      'the fast path sets W while aging holds the spte it read and has not yet written it back',
      (s) => s[upgradeInsideAging] === 1,
    );
  },
});
