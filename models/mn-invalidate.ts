/**
 * MMU-notifier invalidations vs memslot updates (`mn_active_invalidate_count`) and the page
 * fault's `mmu_invalidate_seq` retry check.
 *
 * Follows the 2021 patch "KVM: Block memslot updates across range_start() and range_end()"
 * (commit 52ac8b358b0c, seed 002), locking.rst §1 (its mn_active_invalidate_count bullet and the
 * kvm->mn_invalidate_lock entry, seed 000) and ../shared/PROTOCOLS.md section 6 (actors N, U, V;
 * properties I1-I4; variants B1-B7). Notifier threads run kvm_mmu_notifier_invalidate_range_start
 * / _end with 071064f14d87's conditional locking (mmu_lock and mmu_notifier_count only if a
 * memslot overlaps the range, so start and end must see the same memslots); between them the
 * primary MMU points the host PTE at a new page and frees the old one. The updater runs
 * KVM_SET_USER_MEMORY_REGION: slots_lock, slots_arch_lock, install_new_memslots' wait for
 * mn_active_invalidate_count == 0 (mn_invalidate_lock + rcuwait), the publish, then
 * synchronize_srcu. The vCPU takes page faults as x86 direct_page_fault: mmu_seq, GUP,
 * mmu_lock, mmu_notifier_retry, install the spte.
 *
 * Memslots (kvm_set_memslot, 2021): deleting the slot publishes twice: first a copy with the
 * slot marked KVM_MEMSLOT_INVALID (notifiers still see it overlap the range, faults cannot map
 * through it), then, after synchronize_srcu and kvm_arch_flush_shadow_memslot, the array
 * without it; slots_arch_lock is dropped before each synchronize_srcu and taken again. A second
 * update re-creates the slot (one publish).
 *
 * Properties: sameMemslots (I2), inProgressBalanced (I1: never negative, 0 when no invalidation
 * is between start and end), noInstallDuringInvalidation and noStaleSpte (I3: no spte installed
 * while the range is being invalidated, none left mapping a freed page), deadlock (I4, and the
 * lost wake-up: a task asleep forever). History is kept in ghosts, so `--property` can select
 * any of them.
 *
 * mmu_lock is an rwlock (x86 since v5.12): notifiers and the memslot flush take it for write,
 * the TDP MMU's page fault for read; the retry check is v5.9's mmu_notifier_retry with its
 * smp_rmb (today's range-aware check differs only when ranges are disjoint).
 *
 * Simplified: one hva range, one gfn, one spte; no TLBs (a zap is the spte write); the host's
 * PTE change is one atomic step (it runs under the page-table lock); a plain `x++` of a counter
 * only written under its lock is one step (no other writer can come between its load and its
 * store, and readers see the value before or after it either way). The fixed protocol's
 * starvation (L1: notifiers can keep the count above 0 forever) is the liveness property
 * updaterProgress: it holds while the workload is bounded, and with invalidations=0 (notifiers
 * that never stop; pages 1 and 2 then take turns and mmu_notifier_seq wraps, so no vCPU faults)
 * it fails with a fair lasso in which the count never drops to 0 for the updater.
 */
import {
  BOOL,
  bool,
  defineModel,
  enumDomain,
  int,
  intDomain,
  type ProcessBuilder,
} from '../checker/index.ts';
import {
  DEFINE_RWLOCK,
  down_read,
  down_write,
  down_write_wait,
  finish_rcuwait,
  mutex_lock,
  mutex_unlock,
  prepare_to_rcuwait,
  READ_ONCE,
  rcuwait,
  rcuwait_wake_up,
  read_lock,
  read_unlock,
  rw_semaphore,
  schedule,
  set_current_state,
  smp_rmb,
  smp_store_release,
  smp_wmb,
  spin_lock,
  spin_unlock,
  srcu_read_lock,
  srcu_read_unlock,
  srcu_struct,
  synchronize_srcu,
  synchronize_srcu_wait,
  TASK_UNINTERRUPTIBLE,
  up_read,
  up_write,
  WRITE_ONCE,
  wake_up_process,
  write_lock,
  write_unlock,
  xchg,
} from '../checker/kernel/index.ts';
import type { Context } from '../checker/memory/context.ts';
import { ParamError } from '../checker/model/params.ts';
import { processMaskNames } from '../checker/state/lock-class.ts';

/**
 * The memslots generations the updater publishes: deleting the slot is two publishes
 * (kvm_set_memslot: first the slot marked KVM_MEMSLOT_INVALID, which notifiers still see but
 * faults cannot use; then, after synchronize_srcu and the flush, the array without it); a
 * second update re-creates it.
 */
const GENERATIONS = ['M0 (slot)', 'M1 (slot KVM_MEMSLOT_INVALID)', 'M2 (no slot)', 'M3 (slot re-created)'];
/** __kvm_handle_hva_range: does a slot of generation g overlap the invalidated range? */
const overlaps = (g: number): boolean => g !== 2;
/** __gfn_to_hva_many: can a fault map the gfn through generation g (no slot or invalid: no)? */
const usable = (g: number): boolean => g === 0 || g === 3;
/** The generation published last by `updates` updates. */
const lastGeneration = (updates: number): number => (updates === 0 ? 0 : updates === 1 ? 2 : 3);

export default defineModel({
  name: 'mn-invalidate',
  title: 'MMU-notifier range start/end vs memslot updates, and the mmu_invalidate_seq retry',
  source:
    'patch "KVM: Block memslot updates across range_start() and range_end()" (2021); locking.rst §1; PROTOCOLS.md §6',
  params: {
    notifiers: int(1, 3, 1, 'threads running invalidate_range_start/end (rwsem: at least 2)'),
    invalidations: int(
      0,
      2,
      1,
      'invalidations each notifier runs; 0: forever (the L1 starvation of updaterProgress; needs faults=0)',
    ),
    updates: int(
      0,
      2,
      1,
      'memslot updates: the first deletes the slot (two publishes), the second re-creates it',
    ),
    faults: int(0, 2, 1, 'page faults the vCPU takes on the range'),
    fair: bool(true, 'rwsem variant: writer-preferring rwsem (false: readers join past a queued writer)'),
    pseudo_lock: bool(
      false,
      "treat mm's lockdep pseudo-lock mmu_notifier_invalidate_range_start as a mutex (always in rwsem)",
    ),
  },
  variants: {
    fixed: 'mn_active_invalidate_count under mn_invalidate_lock; install_new_memslots waits with rcuwait',
    'no-wait': 'B1: conditional mmu_lock in start/end, but memslot updates are not blocked between them',
    rwsem:
      'B2: the earlier version: start down_read, end up_read, the update down_write on a fair rwsem; ' +
      "mm's pseudo-lock around each callback is a mutex (the deadlock needs two notifiers; with one, " +
      '--lock-graph still flags the cycle)',
    'notifier-takes-slots-lock': 'B3: a notifier takes kvm->slots_lock between range_start and range_end',
    'lost-wakeup':
      'B4: install_new_memslots sets TASK_UNINTERRUPTIBLE only after dropping mn_invalidate_lock',
    'no-retry-check': 'B5: the page fault installs the spte without mmu_notifier_retry()',
    'no-rmb-seq': 'B6 (relaxed only): no smp_rmb() between reading mmu_notifier_seq and GUP',
    'no-wmb-seq':
      'B7 (relaxed only): a reader checks count/seq without mmu_lock (per-page rmap lock, as PowerPC ' +
      'Book3S HV), with no smp_wmb() in range_end and no smp_rmb() in the check',
  },
  // Each variant defaults to the smallest configuration that shows it (PROTOCOLS.md §10). For the
  // fixed protocol that is the seed's starvation: two notifiers that never stop, no page fault.
  variantParams: {
    fixed: { notifiers: 2, invalidations: 0, faults: 0 },
    rwsem: { notifiers: 2, faults: 0 },
    'notifier-takes-slots-lock': { faults: 0 },
    'lost-wakeup': { faults: 0 },
    'no-retry-check': { updates: 0 },
  },
  build(b, { params, variant }) {
    const N = params.notifiers as number;
    const I = params.invalidations as number;
    const updates = params.updates as number;
    const faults = params.faults as number;
    // invalidations=0: notifiers invalidate forever (L1). mmu_notifier_seq then wraps and host
    // pages are reused, which a fault's retry check would misread, so no vCPU may fault then.
    const forever = I === 0;
    if (forever && faults > 0) {
      throw new ParamError(
        'invalidations=0 (notifiers invalidate forever) needs faults=0: mmu_notifier_seq would wrap under a fault',
      );
    }
    const rounds = forever ? 1 : I; // sizes counters and pages: one round in flight per notifier
    const rwsem = variant === 'rwsem';
    const counted = variant !== 'no-wait' && !rwsem;
    const pseudo = rwsem || (params.pseudo_lock as boolean);
    const lockless = variant === 'no-wmb-seq';
    const retryCheck = variant !== 'no-retry-check';

    // processes: notifier0..N-1, then the updater (if it updates), then the vCPU (if it faults)
    const nprocs = N + (updates > 0 ? 1 : 0) + (faults > 0 ? 1 : 0);
    const pages = 2 + N * rounds; // page 1 is mapped at first; each invalidation maps a fresh one
    const maxGen = lastGeneration(updates);
    const gens = GENERATIONS.slice(0, maxGen + 1);

    const memslots = b.shared('kvm->memslots[0]', enumDomain(gens), 0);
    const srcu = srcu_struct(b, 'kvm->srcu', nprocs);
    const slotsLock = b.lock('kvm->slots_lock');
    const slotsArchLock = b.lock('kvm->slots_arch_lock');
    const mmuLock = DEFINE_RWLOCK(b, 'kvm->mmu_lock', nprocs);
    const rmapLock = lockless ? b.lock('rmap lock (per page)') : -1;
    const pseudoLock = pseudo ? b.lock('mmu_notifier_invalidate_range_start') : -1;
    const mnLock = counted ? b.lock('kvm->mn_invalidate_lock') : -1;
    const mnCount = counted ? b.shared('kvm->mn_active_invalidate_count', intDomain(0, N), 0) : -1;
    const wait = counted ? rcuwait(b, 'kvm->mn_memslots_update_rcuwait', nprocs) : null;
    const sem = rwsem
      ? rw_semaphore(b, 'kvm->mmu_notifier_slots_lock', { processes: nprocs, fair: params.fair as boolean })
      : null;
    const inProgress = b.shared('kvm->mmu_notifier_count', intDomain(-N * rounds, N * rounds), 0);
    const seq = b.shared('kvm->mmu_notifier_seq', intDomain(0, N * rounds), 0);
    const spte = b.shared('spte', intDomain(0, pages - 1), 0);
    const hostPte = b.shared('host_pte', intDomain(1, pages - 1), 1);

    // ghosts: the count as program order sees it, the page the host maps, pages freed, and
    // per notifier the memslots its start saw and whether its zap is done and its end not
    const inProgressG = b.ghost('in_progress (program order)', intDomain(-N * rounds, N * rounds), 0);
    const hostPage = b.ghost('host page', intDomain(1, pages - 1), 1);
    const freed = b.ghost(
      'pages freed',
      { ...intDomain(0, (1 << pages) - 1), names: processMaskNames(pages) },
      0,
    );
    const startGen = b.ghostArray('memslots seen by range_start', N, intDomain(-1, maxGen), -1);
    const endGen = b.ghostArray('memslots seen by range_end', N, intDomain(-1, maxGen), -1);
    const invalidating = b.ghostArray('range being invalidated', N, BOOL, 0);
    const badInstall = b.ghost('spte installed while the range was being invalidated', BOOL, 0);

    /** `x += d` of a counter that only holders of its lock write: one load and one store. */
    const add = (c: Context, ref: number, d: number): number => {
      const v = READ_ONCE(c, ref) + d;
      WRITE_ONCE(c, ref, v);
      return v;
    };

    /** Zap the spte: under mmu_lock; the lockless reader's variant also takes the rmap lock. */
    const zapSteps = (P: ProcessBuilder, prefix: string, text: string, onZap?: (c: Context) => void) => {
      if (lockless) P.step(`${prefix}_rmap_lock`, 'lock_rmap()', (c) => mutex_lock(c, rmapLock));
      P.step(`${prefix}`, text, (c) => {
        WRITE_ONCE(c, spte, 0);
        onZap?.(c);
      });
      if (lockless) P.step(`${prefix}_rmap_unlock`, 'unlock_rmap()', (c) => mutex_unlock(c, rmapLock));
    };

    const notifierProcs: ProcessBuilder[] = [];
    const restingAt: number[][] = [];
    for (let i = 0; i < N; i++) {
      const P = b.process(`notifier${i}`);
      notifierProcs.push(P);
      const left = P.local('invalidations_left', intDomain(0, I), I);
      const wake = counted ? P.local('wake', BOOL) : -1;
      const task = counted ? P.local('task', intDomain(-1, nprocs - 1), -1) : -1;
      const L = {
        startSrcuUnlock: P.label('start_srcu_unlock'),
        startMmuLock: P.label('start_mmu_lock'),
        endMmuLock: P.label('end_mmu_lock'),
        endSrcuUnlock: P.label('end_srcu_unlock'),
        endWake: counted ? P.label('end_rcuwait_wake_up') : -1,
        endWakeProcess: counted ? P.label('end_wake_up_process') : -1,
        endTail: P.label(pseudo ? 'end_lock_map_release' : 'next'),
        next: P.label('next'),
      };

      // kvm_mmu_notifier_invalidate_range_start()
      if (pseudo) {
        P.step('start_lock_map', 'lock_map_acquire(&__mmu_notifier_invalidate_range_start_map)', (c) =>
          mutex_lock(c, pseudoLock),
        );
      }
      if (counted) {
        P.step('start_mn_lock', 'spin_lock(&kvm->mn_invalidate_lock)', (c) => spin_lock(c, mnLock));
        P.step('start_count_inc', 'kvm->mn_active_invalidate_count++', (c) => {
          add(c, mnCount, 1);
        });
        P.step('start_mn_unlock', 'spin_unlock(&kvm->mn_invalidate_lock)', (c) => spin_unlock(c, mnLock));
      }
      if (rwsem) {
        P.step('start_down_read', 'down_read(&kvm->mmu_notifier_slots_lock)', (c) => down_read(c, sem!));
      }
      P.step('start_srcu_lock', '__kvm_handle_hva_range(): idx = srcu_read_lock(&kvm->srcu)', (c) =>
        srcu_read_lock(c, srcu),
      );
      P.step('start_memslots', 'slots = __kvm_memslots(kvm, 0); does a slot overlap [start, end)?', (c) => {
        const g = READ_ONCE(c, memslots);
        c.set(startGen[i]!, g);
        return overlaps(g) ? L.startMmuLock : L.startSrcuUnlock;
      });
      P.step('start_mmu_lock', 'KVM_MMU_LOCK(kvm): write_lock(&kvm->mmu_lock)', (c) =>
        write_lock(c, mmuLock),
      );
      P.step('start_count', 'kvm_inc_notifier_count(): kvm->mmu_notifier_count++', (c) => {
        add(c, inProgress, 1);
        c.set(inProgressG, c.get(inProgressG) + 1);
      });
      zapSteps(P, 'start_unmap', 'kvm_unmap_gfn_range(): zap the spte', (c) => c.set(invalidating[i]!, 1));
      P.step('start_mmu_unlock', 'KVM_MMU_UNLOCK(kvm)', (c) => write_unlock(c, mmuLock));
      P.step('start_srcu_unlock', 'srcu_read_unlock(&kvm->srcu, idx)', (c) => srcu_read_unlock(c, srcu));
      if (pseudo) {
        P.step(
          'start_lock_map_release',
          'lock_map_release(&__mmu_notifier_invalidate_range_start_map)',
          (c) => mutex_unlock(c, pseudoLock),
        );
      }

      // the primary MMU changes the PTE and frees the page it mapped
      // under the page-table lock, so one atomic step (PTE updates of the range are serialized)
      P.step(
        'host_change_pte',
        'primary MMU: ptep_get_and_clear + set_pte_at(new page); the old page is freed',
        (c) => {
          // forever: pages 1 and 2 take turns, the freed one reallocated
          const fresh = forever ? 3 - c.get(hostPage) : 2 + i * I + (I - c.get(left));
          xchg(c, hostPte, fresh);
          c.set(freed, (c.get(freed) | (1 << c.get(hostPage))) & ~(1 << fresh));
          c.set(hostPage, fresh);
        },
      );
      if (variant === 'notifier-takes-slots-lock') {
        P.step('mutex_lock_slots', 'mutex_lock(&kvm->slots_lock)  /* forbidden in a notifier */', (c) =>
          mutex_lock(c, slotsLock),
        );
        P.step('mutex_unlock_slots', 'mutex_unlock(&kvm->slots_lock)', (c) => mutex_unlock(c, slotsLock));
      }

      // kvm_mmu_notifier_invalidate_range_end()
      if (pseudo) {
        P.step('end_lock_map', 'lock_map_acquire(&__mmu_notifier_invalidate_range_start_map)', (c) =>
          mutex_lock(c, pseudoLock),
        );
      }
      P.step('end_srcu_lock', '__kvm_handle_hva_range(): idx = srcu_read_lock(&kvm->srcu)', (c) =>
        srcu_read_lock(c, srcu),
      );
      P.step('end_memslots', 'slots = __kvm_memslots(kvm, 0); does a slot overlap [start, end)?', (c) => {
        const g = READ_ONCE(c, memslots);
        c.set(endGen[i]!, g);
        return overlaps(g) ? L.endMmuLock : L.endSrcuUnlock;
      });
      P.step('end_mmu_lock', 'KVM_MMU_LOCK(kvm): write_lock(&kvm->mmu_lock)', (c) => write_lock(c, mmuLock));
      P.step(
        'end_seq_inc',
        lockless ? 'kvm->mmu_notifier_seq++  /* no smp_wmb() */' : 'kvm->mmu_notifier_seq++; smp_wmb()',
        (c) => {
          // forever: no fault reads it, so it only needs to change
          if (forever) WRITE_ONCE(c, seq, (READ_ONCE(c, seq) + 1) % 2);
          else add(c, seq, 1);
          if (!lockless) smp_wmb(c);
        },
      );
      P.step('end_count', 'kvm_dec_notifier_count(): kvm->mmu_notifier_count--', (c) => {
        add(c, inProgress, -1);
        c.set(inProgressG, c.get(inProgressG) - 1);
        c.set(invalidating[i]!, 0);
      });
      P.step('end_mmu_unlock', 'KVM_MMU_UNLOCK(kvm)', (c) => write_unlock(c, mmuLock));
      P.step('end_srcu_unlock', 'srcu_read_unlock(&kvm->srcu, idx)', (c) => {
        srcu_read_unlock(c, srcu);
      });
      if (rwsem) {
        P.step('end_up_read', 'up_read(&kvm->mmu_notifier_slots_lock)', (c) => {
          up_read(c, sem!);
          return L.endTail;
        });
      }
      if (counted) {
        P.step('end_mn_lock', 'spin_lock(&kvm->mn_invalidate_lock)', (c) => spin_lock(c, mnLock));
        P.step('end_count_dec', 'wake = (--kvm->mn_active_invalidate_count == 0)', (c) => {
          c.set(wake, add(c, mnCount, -1) === 0 ? 1 : 0);
        });
        P.step('end_mn_unlock', 'spin_unlock(&kvm->mn_invalidate_lock); if (wake) ...', (c) => {
          spin_unlock(c, mnLock);
          return c.get(wake) === 1 ? L.endWake : L.endTail;
        });
        P.step(
          'end_rcuwait_wake_up',
          'rcuwait_wake_up(&kvm->mn_memslots_update_rcuwait): smp_mb(); task = w->task',
          (c) => {
            const t = rcuwait_wake_up(c, wait!);
            c.set(task, t);
            return t >= 0 ? L.endWakeProcess : L.endTail;
          },
        );
        P.step('end_wake_up_process', 'wake_up_process(task)', (c) => {
          wake_up_process(c, wait!, c.get(task));
          c.set(task, -1);
          return L.endTail;
        });
      }
      if (pseudo) {
        P.step('end_lock_map_release', 'lock_map_release(&__mmu_notifier_invalidate_range_start_map)', (c) =>
          mutex_unlock(c, pseudoLock),
        );
      }
      P.step('next', 'the next invalidation, if any', (c) => {
        const n = forever ? 0 : c.get(left) - 1;
        c.set(left, n);
        c.set(startGen[i]!, -1);
        c.set(endGen[i]!, -1);
        if (counted) c.set(wake, 0);
        if (forever) return P.firstLabel;
        return n > 0 ? P.firstLabel : P.done;
      });
      restingAt.push([P.firstLabel, L.next, P.done]);
    }

    // KVM_SET_USER_MEMORY_REGION
    let U: ProcessBuilder | null = null;
    const U_wait: number[] = [];
    if (updates > 0) {
      const P = b.process('updater');
      U = P;
      const published = P.local('generation published', intDomain(0, maxGen), 0);
      const L = {
        archLock: P.label('slots_arch_lock'),
        check: counted ? P.label('check_count') : -1,
        setState: counted ? P.label('set_current_state') : -1,
        waitUnlock: counted ? P.label('wait_mn_unlock') : -1,
        schedule: counted ? P.label('schedule') : -1,
        finish: counted ? P.label('finish_rcuwait') : -1,
        downWait: rwsem ? P.label('down_write_wait') : -1,
        publish: P.label('publish'),
        flushLock: P.label('flush_mmu_lock'),
        slotsUnlock: P.label('slots_unlock'),
      };
      P.step('slots_lock', 'mutex_lock(&kvm->slots_lock)  /* kvm_set_memory_region */', (c) =>
        mutex_lock(c, slotsLock),
      );
      P.step('slots_arch_lock', 'kvm_set_memslot(): mutex_lock(&kvm->slots_arch_lock)', (c) =>
        mutex_lock(c, slotsArchLock),
      );
      if (counted) {
        const late = variant === 'lost-wakeup';
        P.step('mn_lock', 'install_new_memslots(): spin_lock(&kvm->mn_invalidate_lock)', (c) =>
          spin_lock(c, mnLock),
        );
        P.step('prepare_to_rcuwait', 'prepare_to_rcuwait(&kvm->mn_memslots_update_rcuwait)', (c) =>
          prepare_to_rcuwait(c, wait!),
        );
        P.step('check_count', 'while (kvm->mn_active_invalidate_count)', (c) =>
          READ_ONCE(c, mnCount) === 0 ? L.finish : late ? L.waitUnlock : L.setState,
        );
        P.step(
          'set_current_state',
          late
            ? 'set_current_state(TASK_UNINTERRUPTIBLE)  /* after the unlock: too late */'
            : 'set_current_state(TASK_UNINTERRUPTIBLE)',
          (c) => {
            set_current_state(c, wait!, TASK_UNINTERRUPTIBLE);
            return late ? L.schedule : L.waitUnlock;
          },
        );
        P.step('wait_mn_unlock', 'spin_unlock(&kvm->mn_invalidate_lock)', (c) => {
          spin_unlock(c, mnLock);
          return late ? L.setState : L.schedule;
        });
        P.step('schedule', 'schedule()', (c) => schedule(c, wait!));
        P.step('wait_mn_lock', 'spin_lock(&kvm->mn_invalidate_lock)', (c) => {
          spin_lock(c, mnLock);
          return L.check;
        });
        P.step('finish_rcuwait', 'finish_rcuwait(&kvm->mn_memslots_update_rcuwait)', (c) =>
          finish_rcuwait(c, wait!),
        );
        U_wait.push(L.schedule);
      }
      if (rwsem) {
        P.step('down_write', 'down_write(&kvm->mmu_notifier_slots_lock)', (c) =>
          down_write(c, sem!) ? L.publish : L.downWait,
        );
        P.step('down_write_wait', 'down_write(): wait for the readers to leave', (c) =>
          down_write_wait(c, sem!),
        );
        U_wait.push(L.downWait);
      }
      P.step('publish', 'rcu_assign_pointer(kvm->memslots[as_id], slots)', (c) => {
        const g = c.get(published) + 1;
        c.set(published, g);
        smp_store_release(c, memslots, g);
      });
      if (counted)
        P.step('mn_unlock', 'spin_unlock(&kvm->mn_invalidate_lock)', (c) => spin_unlock(c, mnLock));
      if (rwsem) P.step('up_write', 'up_write(&kvm->mmu_notifier_slots_lock)', (c) => up_write(c, sem!));
      P.step(
        'slots_arch_unlock',
        'mutex_unlock(&kvm->slots_arch_lock)  /* released before synchronize_srcu */',
        (c) => mutex_unlock(c, slotsArchLock),
      );
      P.step('synchronize_srcu', 'synchronize_srcu_expedited(&kvm->srcu)', (c) => synchronize_srcu(c, srcu));
      P.step('synchronize_srcu_wait', 'synchronize_srcu_expedited(): wait for older readers', (c) => {
        synchronize_srcu_wait(c, srcu);
        // the slot is now invalid and no reader still sees it valid: zap it, then remove it
        return c.get(published) === 1 ? L.flushLock : L.slotsUnlock;
      });
      P.step('flush_mmu_lock', 'kvm_arch_flush_shadow_memslot(): KVM_MMU_LOCK(kvm)', (c) =>
        write_lock(c, mmuLock),
      );
      zapSteps(P, 'flush_shadow_memslot', "zap the deleted slot's spte");
      P.step('flush_mmu_unlock', 'KVM_MMU_UNLOCK(kvm)', (c) => {
        write_unlock(c, mmuLock);
        return L.archLock;
      });
      P.step('slots_unlock', 'mutex_unlock(&kvm->slots_lock)', (c) => {
        mutex_unlock(c, slotsLock);
        return c.get(published) < maxGen ? P.firstLabel : P.done;
      });
    }

    // the vCPU's page fault (direct_page_fault)
    let V: ProcessBuilder | null = null;
    const V_retry: number[] = [];
    if (faults > 0) {
      const P = b.process('vcpu0');
      V = P;
      const left = P.local('faults_left', intDomain(0, faults), faults);
      const mmuSeq = P.local('mmu_seq', intDomain(0, N * I), 0);
      const pfn = P.local('pfn', intDomain(0, pages - 1), 0);
      const L = {
        srcuLock: P.label('srcu_read_lock'),
        srcuUnlock: P.label('srcu_read_unlock'),
        install: P.label('install_spte'),
        retry: P.label('retry_unlock'),
      };
      // the TDP MMU fault takes mmu_lock for read; the lockless reader of B7 a per-page lock
      const lockLabel = lockless ? 'lock_rmap' : 'mmu_lock';
      const lockText = lockless ? 'lock_rmap()  /* mmu_lock not held */' : 'read_lock(&vcpu->kvm->mmu_lock)';
      const drop = lockless ? 'unlock_rmap()' : 'read_unlock(&vcpu->kvm->mmu_lock)';
      const take = (c: Context) => (lockless ? mutex_lock(c, rmapLock) : read_lock(c, mmuLock));
      const release = (c: Context) => (lockless ? mutex_unlock(c, rmapLock) : read_unlock(c, mmuLock));
      P.step('srcu_read_lock', 'kvm_vcpu_srcu_read_lock(): srcu_read_lock(&kvm->srcu)', (c) =>
        srcu_read_lock(c, srcu),
      );
      P.step('memslot', 'slot = kvm_vcpu_gfn_to_memslot(vcpu, gfn)  /* none: emulated MMIO */', (c) =>
        usable(READ_ONCE(c, memslots)) ? undefined : L.srcuUnlock,
      );
      P.step(
        'read_seq',
        variant === 'no-rmb-seq'
          ? 'mmu_seq = kvm->mmu_notifier_seq  /* no smp_rmb() */'
          : 'mmu_seq = kvm->mmu_notifier_seq; smp_rmb()',
        (c) => {
          c.set(mmuSeq, READ_ONCE(c, seq));
          if (variant !== 'no-rmb-seq') smp_rmb(c);
        },
      );
      P.step('gfn_to_pfn', 'pfn = gfn_to_pfn(): GUP reads the host PTE', (c) => {
        c.set(pfn, READ_ONCE(c, hostPte));
      });
      P.step(lockLabel, lockText, take);
      if (retryCheck) {
        P.step('retry_check_count', 'mmu_notifier_retry(): if (kvm->mmu_notifier_count) return 1', (c) =>
          READ_ONCE(c, inProgress) !== 0 ? L.retry : undefined,
        );
        P.step(
          'retry_check_seq',
          lockless
            ? 'if (kvm->mmu_notifier_seq != mmu_seq) return 1  /* no smp_rmb() */'
            : 'smp_rmb(); if (kvm->mmu_notifier_seq != mmu_seq) return 1',
          (c) => {
            if (!lockless) smp_rmb(c);
            return READ_ONCE(c, seq) !== c.get(mmuSeq) ? L.retry : undefined;
          },
        );
      }
      P.step('install_spte', '__direct_map(): spte = pfn', (c) => {
        for (let i = 0; i < N; i++) if (c.get(invalidating[i]!) === 1) c.set(badInstall, 1);
        WRITE_ONCE(c, spte, c.get(pfn));
        c.set(pfn, 0); // dead from here: cleared so equal states hash equal
        c.set(mmuSeq, 0);
      });
      P.step('unlock', drop, release);
      P.step('srcu_read_unlock', 'kvm_vcpu_srcu_read_unlock(): srcu_read_unlock(&kvm->srcu)', (c) => {
        srcu_read_unlock(c, srcu);
        const n = c.get(left) - 1;
        c.set(left, n);
        return n > 0 ? L.srcuLock : P.done;
      });
      P.step('retry_unlock', `${drop}; kvm_release_pfn_clean(pfn): retry the fault`, (c) => {
        release(c);
        c.set(pfn, 0);
        c.set(mmuSeq, 0);
      });
      P.step(
        'retry_srcu_unlock',
        'srcu_read_unlock(&kvm->srcu); back to the guest, which faults again',
        (c) => {
          srcu_read_unlock(c, srcu);
          return L.srcuLock;
        },
      );
      V_retry.push(L.retry);
    }

    b.invariant('sameMemslots', 'I2: range_start and its range_end read the same kvm->memslots', (s) => {
      for (let i = 0; i < N; i++) if (s[endGen[i]!] !== -1 && s[endGen[i]!] !== s[startGen[i]!]) return false;
      return true;
    });
    b.invariant(
      'inProgressBalanced',
      'I1: mmu_notifier_count never goes negative, and is 0 whenever no invalidation is between start and end',
      (s) => {
        const v = s[inProgressG]!;
        if (v < 0) return false;
        if (v === 0) return true;
        for (let i = 0; i < N; i++) if (!restingAt[i]!.includes(s[notifierProcs[i]!.pcSlot]!)) return true;
        return false;
      },
    );
    b.invariant(
      'noInstallDuringInvalidation',
      'a page fault never installs an spte while an invalidation of its range is between its zap and its end',
      (s) => s[badInstall] === 0,
    );
    b.invariant(
      'noStaleSpte',
      'I3: the spte never maps a page the host has unmapped and freed',
      (s) => s[spte] === 0 || (s[freed]! & (1 << s[spte]!)) === 0,
    );
    if (U) {
      // L1: from entering KVM_SET_USER_MEMORY_REGION (or going back for the second publish of a
      // delete) to the publish. Fails for the fixed protocol when notifiers never stop
      // (invalidations=0): the documented starvation, fair even under strong fairness. Strong
      // by default because the kernel's spinlocks and rwlocks queue their waiters (qspinlock,
      // qrwlock) and the model's do not: under weak fairness the vCPU's retry loop can keep
      // mmu_lock read-held forever and starve a notifier's write_lock even with bounded work.
      const Up = U;
      const upto = Up.definedLabels.indexOf(Up.label('publish'));
      const updating = new Uint8Array(Up.labels.length + 1);
      for (const l of Up.definedLabels.slice(0, upto + 1)) updating[l] = 1;
      b.leadsTo(
        'updaterProgress',
        'L1: a memslot update that has begun eventually publishes its memslots (install_new_memslots returns)',
        (s) => updating[s[Up.pcSlot]!] === 1,
        (s) => updating[s[Up.pcSlot]!] !== 1,
        { fairness: 'strong' },
      );
    }
    if (U && U_wait.length > 0) {
      const Up = U;
      b.reachable(
        'updaterWaitsForInvalidation',
        'the memslot update waits while an invalidation is between range_start and range_end',
        (s) => U_wait.includes(s[Up.pcSlot]!) && (counted ? s[mnCount]! > 0 : s[sem!.readers]! !== 0),
      );
    }
    if (V && V_retry.length > 0) {
      const Vp = V;
      b.reachable('faultRetries', 'a page fault sees an invalidation and retries', (s) =>
        V_retry.includes(s[Vp.pcSlot]!),
      );
    }
  },
});
