/**
 * Marking indirect shadow pages unsync from TDP MMU page faults, which hold mmu_lock for read.
 *
 * Follows commit ce25681d59ff "KVM: x86/mmu: Protect marking SPs unsync when using TDP MMU with
 * spinlock" (seed 004, which adds kvm->arch.mmu_unsync_pages_lock) and ../shared/PROTOCOLS.md §8
 * (actors V0, V1, S; properties I1-I3; the lost-increment and lost-bit counterexamples; the
 * smp_wmb() between sp->unsync = 1 and the spte becoming writable, with the 1.x/2.x diagram of
 * the comment in mmu_try_to_unsync_pages()).
 *
 * L1 runs L2 with nested EPT, so L1's EPT table pages gfn0 and gfn1 are shadowed by indirect
 * shadow pages child0 and child1, both children (index 0 and 1, one bitmap word) of the root
 * `parent`. vcpu0 and vcpu1 take TDP MMU write faults on gfn0 and gfn1 with read_lock(mmu_lock):
 * mmu_try_to_unsync_pages() marks the child unsync and, through mark_unsync(), sets its bit in
 * parent->unsync_child_bitmap (__test_and_set_bit) and bumps parent->unsync_children, both plain
 * read-modify-writes; then smp_wmb() and the spte of gfn_i becomes writable. vcpu2 is a vCPU of
 * L1 that writes an EPT entry of gfn_i through that writable spte (no fault), then flushes
 * (INVEPT exit -> kvm_mmu_sync_roots()): the lockless is_unsync_root() check, then
 * write_lock(mmu_lock) and mmu_sync_children(parent), which syncs each child whose bit is set
 * and clears the bit (clear_unsync_child_bit: --unsync_children, WARN_ON(< 0), __clear_bit).
 *
 * Every plain read-modify-write is a load step and a store step: the races are exactly those
 * two accesses of two vCPUs interleaving. mmu_lock is an rwlock (checker/kernel/rwlock.ts).
 *
 * Simplified: the parent is the root (mark_unsync stops there; the root is never unsync, so
 * is_unsync_root reads unsync_children only); each vCPU marks one child once; sync_page's
 * re-write-protection of the synced page and its TLB flush are left out (vcpu2 writes once);
 * the spte store is a plain store, as the legacy MMU's mmu_spte_update of a non-volatile spte
 * (the TDP MMU's tdp_mmu_set_spte_atomic is a cmpxchg64, fully ordered when it succeeds, which
 * would also order sp->unsync before it on that path).
 */
import { BOOL, defineModel, intDomain } from '../checker/index.ts';
import {
  DEFINE_RWLOCK,
  READ_ONCE,
  read_lock,
  read_unlock,
  smp_rmb,
  smp_wmb,
  spin_lock,
  spin_unlock,
  WRITE_ONCE,
  write_lock,
  write_unlock,
} from '../checker/kernel/index.ts';
import type { ProcessBuilder } from '../checker/model/builder.ts';

const CHILDREN = 2;
const BITMAP = { ...intDomain(0, 3), names: ['0b00', '0b01', '0b10', '0b11'] };

export default defineModel({
  name: 'tdp-unsync',
  title: 'TDP MMU faults marking shadow pages unsync under read mmu_lock (mmu_unsync_pages_lock)',
  source: 'commit ce25681d59ff (seed 004, mmu_unsync_pages_lock); PROTOCOLS.md §8',
  params: {},
  variants: {
    fixed:
      'mmu_try_to_unsync_pages takes mmu_unsync_pages_lock (and rechecks sp->unsync) around marking; smp_wmb() before the spte becomes writable',
    'no-unsync-lock':
      'before ce25681d59ff: vCPUs holding mmu_lock for read update unsync_child_bitmap and unsync_children with plain read-modify-writes concurrently',
    'no-wmb': 'no smp_wmb() between marking the page unsync and making the spte writable (relaxed-only race)',
  },
  build(b, { variant }) {
    const locked = variant !== 'no-unsync-lock';

    const mmuLock = DEFINE_RWLOCK(b, 'kvm->mmu_lock', CHILDREN + 1);
    const unsyncLock = locked ? b.lock('kvm->arch.mmu_unsync_pages_lock') : -1;
    const unsync = b.sharedArray('child->unsync', CHILDREN, BOOL);
    const bitmap = b.shared('parent->unsync_child_bitmap', BITMAP, 0);
    const count = b.shared('parent->unsync_children', intDomain(-2, CHILDREN), 0);
    const spteW = b.sharedArray('spte(gfn).W', CHILDREN, BOOL);
    // History: vcpu2 changed an EPT entry in gfn_i and child_i has not been synced since.
    const stale = b.ghostArray('shadow_stale', CHILDREN, BOOL);

    const markers: ProcessBuilder[] = [];
    const unsyncWindow: number[][] = [];
    for (let i = 0; i < CHILDREN; i++) {
      const V = b.process(`vcpu${i}`);
      markers.push(V);
      const word = V.local('word', BITMAP);
      const n = V.local('unsync_children', intDomain(-2, CHILDREN));
      const L = {
        wmb: V.label('make_spte_writable'),
        unlock: locked ? V.label('spin_unlock') : -1,
      };
      const doneMarking = locked ? L.unlock : L.wmb;
      V.step(
        'read_lock',
        `read_lock(&kvm->mmu_lock)  /* kvm_tdp_mmu_page_fault(): write to gfn${i} */`,
        (c) => {
          read_lock(c, mmuLock);
        },
      );
      V.step('check_unsync', 'mmu_try_to_unsync_pages(): if (sp->unsync) continue', (c) =>
        READ_ONCE(c, unsync[i]!) === 1 ? L.wmb : undefined,
      );
      if (locked) {
        V.step('spin_lock', 'spin_lock(&kvm->arch.mmu_unsync_pages_lock)', (c) => {
          spin_lock(c, unsyncLock);
        });
        V.step('recheck_unsync', 'if (READ_ONCE(sp->unsync)) continue', (c) =>
          READ_ONCE(c, unsync[i]!) === 1 ? L.unlock : undefined,
        );
      }
      V.step('kvm_unsync_page', 'kvm_unsync_page(): sp->unsync = 1', (c) => {
        WRITE_ONCE(c, unsync[i]!, 1);
      });
      V.step(
        'tas_bit_load',
        `mark_unsync(): __test_and_set_bit(${i}, parent->unsync_child_bitmap)  (load)`,
        (c) => {
          c.set(word, READ_ONCE(c, bitmap));
        },
      );
      V.step(
        'tas_bit_store',
        `__test_and_set_bit  (store old | BIT(${i})); if the bit was set: return`,
        (c) => {
          const w = c.get(word);
          WRITE_ONCE(c, bitmap, w | (1 << i));
          return (w & (1 << i)) !== 0 ? doneMarking : undefined;
        },
      );
      V.step('inc_load', 'if (parent->unsync_children++)  (load)', (c) => {
        c.set(n, READ_ONCE(c, count));
      });
      V.step(
        'inc_store',
        'parent->unsync_children++  (store); the parent is the root: no parents to mark',
        (c) => {
          WRITE_ONCE(c, count, c.get(n) + 1);
        },
      );
      if (locked) {
        V.step('spin_unlock', 'spin_unlock(&kvm->arch.mmu_unsync_pages_lock)', (c) => {
          spin_unlock(c, unsyncLock);
        });
      }
      V.step(
        'make_spte_writable',
        variant === 'no-wmb'
          ? `make the spte of gfn${i} writable  /* no smp_wmb() */`
          : `smp_wmb(); make the spte of gfn${i} writable`,
        (c) => {
          if (variant !== 'no-wmb') smp_wmb(c);
          WRITE_ONCE(c, spteW[i]!, 1);
        },
      );
      V.step('read_unlock', 'read_unlock(&kvm->mmu_lock)', (c) => {
        read_unlock(c, mmuLock);
        return V.done;
      });
      unsyncWindow.push(
        [
          ...(locked ? ['spin_lock', 'recheck_unsync'] : []),
          'kvm_unsync_page',
          'tas_bit_load',
          'tas_bit_store',
          'inc_load',
          'inc_store',
          ...(locked ? ['spin_unlock'] : []),
        ].map((l) => V.label(l)),
      );
    }

    // vcpu2: writes an EPT entry of L1 through a writable spte, then INVEPT -> kvm_mmu_sync_roots.
    const G = b.process('vcpu2');
    const idx = G.local('i', intDomain(0, CHILDREN - 1));
    const word = G.local('word', BITMAP);
    const n = G.local('unsync_children', intDomain(-2, CHILDREN));
    const L = {
      check: G.label('is_unsync_root'),
      walk: G.label('mmu_unsync_walk'),
      sync: G.label('kvm_sync_page'),
      dec: G.label('dec_load'),
      unlock: G.label('write_unlock'),
    };
    for (let i = 0; i < CHILDREN; i++) {
      G.step(
        'guest_write_gpte',
        `guest writes an EPT entry in gfn${i}: the walk reads the spte, writable: no fault`,
        (c) => {
          c.await(READ_ONCE(c, spteW[i]!) === 1);
          c.set(stale[i]!, 1);
          return L.check;
        },
      );
    }
    G.step(
      'is_unsync_root',
      'INVEPT exit -> kvm_mmu_sync_roots(): smp_rmb(); if (!is_unsync_root(root)) return',
      (c) => {
        smp_rmb(c);
        return READ_ONCE(c, count) !== 0 ? undefined : G.done;
      },
    );
    G.step('write_lock', 'write_lock(&kvm->mmu_lock)', (c) => {
      write_lock(c, mmuLock);
    });
    G.step(
      'mmu_unsync_walk',
      'mmu_sync_children(): for_each_set_bit(i, parent->unsync_child_bitmap)',
      (c) => {
        const w = READ_ONCE(c, bitmap);
        c.set(word, w);
        if (w === 0) return L.unlock;
        c.set(idx, (w & 1) !== 0 ? 0 : 1);
      },
    );
    G.step('child_unsync', 'if (child->unsync)  /* else only clear its bit */', (c) =>
      READ_ONCE(c, unsync[c.get(idx)]!) === 1 ? L.sync : L.dec,
    );
    G.step('kvm_sync_page', 'kvm_sync_page(child): shadow synced with the guest; child->unsync = 0', (c) => {
      WRITE_ONCE(c, unsync[c.get(idx)]!, 0);
      c.set(stale[c.get(idx)]!, 0);
    });
    G.step(
      'dec_load',
      'mmu_pages_clear_parents(): clear_unsync_child_bit(): --parent->unsync_children  (load)',
      (c) => {
        c.set(n, READ_ONCE(c, count));
      },
    );
    G.step(
      'dec_store',
      '--parent->unsync_children  (store); WARN_ON((int)parent->unsync_children < 0)',
      (c) => {
        WRITE_ONCE(c, count, c.get(n) - 1);
      },
    );
    // Under the write lock nobody else writes the word, so the walk's read of it is current.
    G.step('clear_bit', '__clear_bit(i, parent->unsync_child_bitmap)', (c) => {
      WRITE_ONCE(c, bitmap, c.get(word) & ~(1 << c.get(idx)));
      return L.walk;
    });
    G.step('write_unlock', 'write_unlock(&kvm->mmu_lock); the guest resumes on its EPT entries', (c) => {
      write_unlock(c, mmuLock);
      return G.done;
    });

    /**
     * mmu_lock is free (as memory shows it): no vCPU is inside its update of the parent's
     * bookkeeping, and, since read_unlock is an RMW and write_unlock the writer's last store,
     * none of their stores is still in a store buffer.
     */
    const quiescent = (s: Int32Array): boolean => s[mmuLock.readers] === 0 && s[mmuLock.writer] === 0;
    const popcount = (w: number) => (w & 1) + ((w >> 1) & 1);

    b.invariant(
      'unsyncChildrenConsistent',
      'I1: whenever mmu_lock is free, parent->unsync_children equals ' +
        'the number of bits set in parent->unsync_child_bitmap',
      (s) => !quiescent(s) || s[count] === popcount(s[bitmap]!),
    );
    b.invariant(
      'unsyncChildTracked',
      "I2: whenever mmu_lock is free, every unsync child has its bit in the parent's bitmap, " +
        'so mmu_sync_children visits it',
      (s) => {
        if (!quiescent(s)) return true;
        for (let i = 0; i < CHILDREN; i++)
          if (s[unsync[i]!] === 1 && (s[bitmap]! & (1 << i)) === 0) return false;
        return true;
      },
    );
    b.invariant(
      'noUnsyncChildrenUnderflow',
      'I3: (int)parent->unsync_children never goes below 0 (the WARN_ON in clear_unsync_child_bit)',
      (s) => s[count]! >= 0,
    );
    b.invariant(
      'noStaleShadowAfterFlush',
      'after its TLB flush (kvm_mmu_sync_roots) vcpu2 resumes only once every EPT entry it wrote is ' +
        'synced into the shadow page (else L2 runs on a stale mapping: guest memory corruption)',
      (s) => {
        if (s[G.pcSlot] !== G.done) return true;
        for (let i = 0; i < CHILDREN; i++) if (s[stale[i]!] === 1) return false;
        return true;
      },
    );

    b.reachable(
      'parallelUnsync',
      'both vCPUs hold mmu_lock for read and are past the lockless sp->unsync check, marking at once',
      (s) => unsyncWindow.every((w, i) => w.includes(s[markers[i]!.pcSlot]!)),
    );
    b.reachable(
      'flushAfterUnsyncedWrite',
      'vcpu2 has written an EPT entry through a spte made writable by the unsync and checks the root',
      (s) => s[G.pcSlot] === L.check && (s[stale[0]!] === 1 || s[stale[1]!] === 1),
    );
  },
});
