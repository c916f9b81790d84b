/*
 * mn-invalidate (fixed variant) under x86-TSO, written to have exactly the reachable states of
 * kvmcheck's models/mn-invalidate.ts with reductions off: the same variables (shared, locals,
 * ghosts, one pc per process), one d_step per kvmcheck step (so SPIN's own control state never
 * adds states), FIFO store buffers of depth 2 with unused entries zero, the four invariants
 * checked in every state (a never claim) and deadlocks reported (a watchdog on timeout).
 *
 * Compile with -DNOTIFIERS=<1..3> -DINVALIDATIONS=<0..2> (0: forever, needs FAULTS=0)
 * -DUPDATES=<1..2> -DFAULTS=<0..2>; the defaults are kvmcheck's --set notifiers=2,invalidations=1,
 * updates=1,faults=1.
 *   spin -DNOTIFIERS=2 -a mn-invalidate.pml && cc -O2 -DNOREDUCE -o pan pan.c && ./pan -m100000
 *
 * Processes as in kvmcheck: notifier0..N-1 (pids 0..N-1), the updater (pid N), the vCPU (pid
 * N+1, if it faults). Locks hold 0 or holder+1; an srcu reader slot holds its nesting depth plus
 * bit 2+p for each process p whose grace period waits for it; mmu_lock is a readers bitmask plus
 * a writer. Buffered addresses are the A_* numbers below (kvmcheck uses slot numbers: a renaming).
 */
#ifndef NOTIFIERS
#define NOTIFIERS 2
#endif
#ifndef INVALIDATIONS
#define INVALIDATIONS 1
#endif
#ifndef UPDATES
#define UPDATES 1
#endif
#ifndef FAULTS
#define FAULTS 1
#endif
#if UPDATES < 1 || UPDATES > 2
#error "UPDATES must be 1 or 2"
#endif
#if INVALIDATIONS == 0 && FAULTS > 0
#error "INVALIDATIONS=0 (forever) needs FAULTS=0"
#endif

#define N NOTIFIERS
#if INVALIDATIONS == 0
#define FOREVER 1
#define ROUNDS 1
#else
#define FOREVER 0
#define ROUNDS INVALIDATIONS
#endif
#define UPD N
#if FAULTS > 0
#define VCPU (N + 1)
#define NP (N + 2)
#else
#define NP (N + 1)
#endif
#if UPDATES == 1
#define MAXGEN 2
#else
#define MAXGEN 3
#endif
#define DEPTH 2

/* addresses of the shared variables a plain store may leave in a store buffer (0: unused) */
#define A_MEMSLOTS 1
#define A_SLOTS_LOCK 2
#define A_ARCH_LOCK 3
#define A_MMU_WRITER 4
#define A_MN_LOCK 5
#define A_MN_COUNT 6
#define A_TASK 7
#define A_IN_PROGRESS 8
#define A_SEQ 9
#define A_SPTE 10

/* notifier labels, in kvmcheck's declaration order */
#define N_START_MN_LOCK 0
#define N_START_COUNT_INC 1
#define N_START_MN_UNLOCK 2
#define N_START_SRCU_LOCK 3
#define N_START_MEMSLOTS 4
#define N_START_MMU_LOCK 5
#define N_START_COUNT 6
#define N_START_UNMAP 7
#define N_START_MMU_UNLOCK 8
#define N_START_SRCU_UNLOCK 9
#define N_HOST_CHANGE_PTE 10
#define N_END_SRCU_LOCK 11
#define N_END_MEMSLOTS 12
#define N_END_MMU_LOCK 13
#define N_END_SEQ_INC 14
#define N_END_COUNT 15
#define N_END_MMU_UNLOCK 16
#define N_END_SRCU_UNLOCK 17
#define N_END_MN_LOCK 18
#define N_END_COUNT_DEC 19
#define N_END_MN_UNLOCK 20
#define N_END_WAKE_UP 21
#define N_END_WAKE_UP_PROCESS 22
#define N_NEXT 23
#define N_DONE 24

/* updater labels */
#define U_SLOTS_LOCK 0
#define U_ARCH_LOCK 1
#define U_MN_LOCK 2
#define U_PREPARE 3
#define U_CHECK_COUNT 4
#define U_SET_STATE 5
#define U_WAIT_MN_UNLOCK 6
#define U_SCHEDULE 7
#define U_WAIT_MN_LOCK 8
#define U_FINISH 9
#define U_PUBLISH 10
#define U_MN_UNLOCK 11
#define U_ARCH_UNLOCK 12
#define U_SYNC 13
#define U_SYNC_WAIT 14
#define U_FLUSH_LOCK 15
#define U_FLUSH 16
#define U_FLUSH_UNLOCK 17
#define U_SLOTS_UNLOCK 18
#define U_DONE 19

/* vCPU labels */
#define V_SRCU_LOCK 0
#define V_MEMSLOT 1
#define V_READ_SEQ 2
#define V_GFN_TO_PFN 3
#define V_MMU_LOCK 4
#define V_RETRY_COUNT 5
#define V_RETRY_SEQ 6
#define V_INSTALL 7
#define V_UNLOCK 8
#define V_SRCU_UNLOCK 9
#define V_RETRY_UNLOCK 10
#define V_RETRY_SRCU_UNLOCK 11
#define V_DONE 12

/* shared memory */
byte memslots;               /* generation: 0 slot, 1 slot invalid, 2 no slot, 3 slot re-created */
byte srcu[NP];               /* kvm->srcu reader slots */
byte slots_lock;
byte arch_lock;              /* kvm->slots_arch_lock */
byte mmu_readers;            /* kvm->mmu_lock: readers (bit p) */
byte mmu_writer;             /* kvm->mmu_lock: writer + 1 */
byte mn_lock;                /* kvm->mn_invalidate_lock */
byte mn_count;               /* kvm->mn_active_invalidate_count */
byte rw_task;                /* kvm->mn_memslots_update_rcuwait.task: process + 1 */
bit task_state[NP];          /* TASK_RUNNING 0, TASK_UNINTERRUPTIBLE 1 */
short in_progress;           /* kvm->mmu_notifier_count */
byte seq;                    /* kvm->mmu_notifier_seq */
byte spte;
byte host_pte = 1;
/* ghosts */
short in_progress_g;
byte host_page = 1;
byte freed;                  /* pages freed (bit per page) */
short start_gen[N] = -1;     /* memslots seen by range_start */
short end_gen[N] = -1;       /* memslots seen by range_end */
bit invalidating[N];
bit bad_install;
/* locals */
byte inv_left[N] = INVALIDATIONS;
bit wake[N];
short ntask[N] = -1;
byte published;
#ifdef VCPU
byte faults_left = FAULTS;
byte mmu_seq;
byte pfn;
#endif
/* program counters */
byte npc[N];
byte upc;
#ifdef VCPU
byte vpc;
#endif
/* store buffers: count, then (addr, value) pairs, entry 0 the oldest */
byte sb_count[NP];
byte sb_addr[NP * DEPTH];
short sb_val[NP * DEPTH];

hidden short tmp;            /* scratch within one d_step: not part of the state */
hidden byte q;

#define SB(p, k) ((p) * DEPTH + (k))
#define EMPTY(p) (sb_count[p] == 0)
#define ROOM(p) (sb_count[p] < DEPTH)
/* a load: the CPU's newest buffered store to the address, else memory (unused entries hold 0) */
#define LD(p, a, mem) (sb_addr[SB(p, 1)] == a -> sb_val[SB(p, 1)] : (sb_addr[SB(p, 0)] == a -> sb_val[SB(p, 0)] : mem))

/* a plain store: joins the buffer (the step is enabled only with ROOM) */
inline store(p, a, v) {
  sb_addr[SB(p, sb_count[p])] = a; sb_val[SB(p, sb_count[p])] = v; sb_count[p]++
}

/* the oldest buffered store of process p becomes visible */
inline drain(p) {
  if
  :: sb_addr[SB(p, 0)] == A_MEMSLOTS -> memslots = sb_val[SB(p, 0)]
  :: sb_addr[SB(p, 0)] == A_SLOTS_LOCK -> slots_lock = sb_val[SB(p, 0)]
  :: sb_addr[SB(p, 0)] == A_ARCH_LOCK -> arch_lock = sb_val[SB(p, 0)]
  :: sb_addr[SB(p, 0)] == A_MMU_WRITER -> mmu_writer = sb_val[SB(p, 0)]
  :: sb_addr[SB(p, 0)] == A_MN_LOCK -> mn_lock = sb_val[SB(p, 0)]
  :: sb_addr[SB(p, 0)] == A_MN_COUNT -> mn_count = sb_val[SB(p, 0)]
  :: sb_addr[SB(p, 0)] == A_TASK -> rw_task = sb_val[SB(p, 0)]
  :: sb_addr[SB(p, 0)] == A_IN_PROGRESS -> in_progress = sb_val[SB(p, 0)]
  :: sb_addr[SB(p, 0)] == A_SEQ -> seq = sb_val[SB(p, 0)]
  :: sb_addr[SB(p, 0)] == A_SPTE -> spte = sb_val[SB(p, 0)]
  fi;
  sb_addr[SB(p, 0)] = sb_addr[SB(p, 1)]; sb_val[SB(p, 0)] = sb_val[SB(p, 1)];
  sb_addr[SB(p, 1)] = 0; sb_val[SB(p, 1)] = 0;
  sb_count[p]--
}

/* srcu_read_unlock(): atomic (empty buffer); the outermost unlock clears the grace-period marks */
inline srcu_read_unlock(p) {
  if
  :: (srcu[p] & 3) == 1 -> srcu[p] = 0
  :: else -> srcu[p] = srcu[p] - 1
  fi
}

/* write_lock(&kvm->mmu_lock): an atomic, so it waits for an empty buffer */
#define WRITE_LOCK_ENABLED(p) (EMPTY(p) && mmu_writer == 0 && mmu_readers == 0)

/* some srcu reader slot still carries the grace-period mark of process p (unrolled over NP) */
#define MARKED(q, p) ((srcu[q] & (1 << ((p) + 2))) != 0)
#if NP == 2
#define GP_WAITS(p) (MARKED(0, p) || MARKED(1, p))
#elif NP == 3
#define GP_WAITS(p) (MARKED(0, p) || MARKED(1, p) || MARKED(2, p))
#elif NP == 4
#define GP_WAITS(p) (MARKED(0, p) || MARKED(1, p) || MARKED(2, p) || MARKED(3, p))
#else
#define GP_WAITS(p) (MARKED(0, p) || MARKED(1, p) || MARKED(2, p) || MARKED(3, p) || MARKED(4, p))
#endif

/* the invariants, unrolled so SPIN evaluates them as one expression per state (never claim) */
#define SAME(i) (end_gen[i] == -1 || end_gen[i] == start_gen[i])
#define BUSY(i) (npc[i] != N_START_MN_LOCK && npc[i] != N_NEXT && npc[i] != N_DONE)
#if N == 1
#define SAME_ALL SAME(0)
#define BUSY_ANY BUSY(0)
#define INVALIDATING_ANY invalidating[0]
#define NOTIFIERS_DONE (npc[0] == N_DONE)
#elif N == 2
#define SAME_ALL (SAME(0) && SAME(1))
#define BUSY_ANY (BUSY(0) || BUSY(1))
#define INVALIDATING_ANY (invalidating[0] || invalidating[1])
#define NOTIFIERS_DONE (npc[0] == N_DONE && npc[1] == N_DONE)
#else
#define SAME_ALL (SAME(0) && SAME(1) && SAME(2))
#define BUSY_ANY (BUSY(0) || BUSY(1) || BUSY(2))
#define INVALIDATING_ANY (invalidating[0] || invalidating[1] || invalidating[2])
#define NOTIFIERS_DONE (npc[0] == N_DONE && npc[1] == N_DONE && npc[2] == N_DONE)
#endif
#define BALANCED (in_progress_g >= 0 && (in_progress_g == 0 || BUSY_ANY))
#define NO_STALE (spte == 0 || (freed & (1 << spte)) == 0)
#define INV (SAME_ALL && BALANCED && !bad_install && NO_STALE)
#ifdef VCPU
#define ALL_DONE (NOTIFIERS_DONE && upc == U_DONE && vpc == V_DONE)
#else
#define ALL_DONE (NOTIFIERS_DONE && upc == U_DONE)
#endif

/* sameMemslots, inProgressBalanced, noInstallDuringInvalidation and noStaleSpte in every state */
never {
  do
  :: assert(INV)
  od
}

active [N] proctype notifier() {
  byte me = _pid;
end:
  do
  /* kvm_mmu_notifier_invalidate_range_start() */
  :: d_step { npc[me] == N_START_MN_LOCK && EMPTY(me) && mn_lock == 0;
       mn_lock = me + 1; npc[me] = N_START_COUNT_INC }
  :: d_step { npc[me] == N_START_COUNT_INC && ROOM(me);
       tmp = LD(me, A_MN_COUNT, mn_count) + 1; store(me, A_MN_COUNT, tmp); npc[me] = N_START_MN_UNLOCK }
  :: d_step { npc[me] == N_START_MN_UNLOCK && ROOM(me);
       store(me, A_MN_LOCK, 0); npc[me] = N_START_SRCU_LOCK }
  :: d_step { npc[me] == N_START_SRCU_LOCK && EMPTY(me);
       srcu[me] = srcu[me] + 1; npc[me] = N_START_MEMSLOTS }
  :: d_step { npc[me] == N_START_MEMSLOTS;
       tmp = LD(me, A_MEMSLOTS, memslots); start_gen[me] = tmp;
       if :: tmp != 2 -> npc[me] = N_START_MMU_LOCK :: else -> npc[me] = N_START_SRCU_UNLOCK fi }
  :: d_step { npc[me] == N_START_MMU_LOCK && WRITE_LOCK_ENABLED(me);
       mmu_writer = me + 1; npc[me] = N_START_COUNT }
  :: d_step { npc[me] == N_START_COUNT && ROOM(me);
       tmp = LD(me, A_IN_PROGRESS, in_progress) + 1; store(me, A_IN_PROGRESS, tmp);
       in_progress_g = in_progress_g + 1; npc[me] = N_START_UNMAP }
  :: d_step { npc[me] == N_START_UNMAP && ROOM(me);
       store(me, A_SPTE, 0); invalidating[me] = 1; npc[me] = N_START_MMU_UNLOCK }
  :: d_step { npc[me] == N_START_MMU_UNLOCK && ROOM(me);
       store(me, A_MMU_WRITER, 0); npc[me] = N_START_SRCU_UNLOCK }
  :: d_step { npc[me] == N_START_SRCU_UNLOCK && EMPTY(me);
       srcu_read_unlock(me); npc[me] = N_HOST_CHANGE_PTE }
  /* the primary MMU maps a fresh page (xchg) and frees the old one */
  :: d_step { npc[me] == N_HOST_CHANGE_PTE && EMPTY(me);
#if FOREVER
       tmp = 3 - host_page;
#else
       tmp = 2 + me * INVALIDATIONS + (INVALIDATIONS - inv_left[me]);
#endif
       host_pte = tmp; freed = (freed | (1 << host_page)) & ~(1 << tmp); host_page = tmp;
       npc[me] = N_END_SRCU_LOCK }
  /* kvm_mmu_notifier_invalidate_range_end() */
  :: d_step { npc[me] == N_END_SRCU_LOCK && EMPTY(me);
       srcu[me] = srcu[me] + 1; npc[me] = N_END_MEMSLOTS }
  :: d_step { npc[me] == N_END_MEMSLOTS;
       tmp = LD(me, A_MEMSLOTS, memslots); end_gen[me] = tmp;
       if :: tmp != 2 -> npc[me] = N_END_MMU_LOCK :: else -> npc[me] = N_END_SRCU_UNLOCK fi }
  :: d_step { npc[me] == N_END_MMU_LOCK && WRITE_LOCK_ENABLED(me);
       mmu_writer = me + 1; npc[me] = N_END_SEQ_INC }
  :: d_step { npc[me] == N_END_SEQ_INC && ROOM(me);
#if FOREVER
       tmp = (LD(me, A_SEQ, seq) + 1) % 2;
#else
       tmp = LD(me, A_SEQ, seq) + 1;
#endif
       store(me, A_SEQ, tmp); npc[me] = N_END_COUNT }
  :: d_step { npc[me] == N_END_COUNT && ROOM(me);
       tmp = LD(me, A_IN_PROGRESS, in_progress) - 1; store(me, A_IN_PROGRESS, tmp);
       in_progress_g = in_progress_g - 1; invalidating[me] = 0; npc[me] = N_END_MMU_UNLOCK }
  :: d_step { npc[me] == N_END_MMU_UNLOCK && ROOM(me);
       store(me, A_MMU_WRITER, 0); npc[me] = N_END_SRCU_UNLOCK }
  :: d_step { npc[me] == N_END_SRCU_UNLOCK && EMPTY(me);
       srcu_read_unlock(me); npc[me] = N_END_MN_LOCK }
  :: d_step { npc[me] == N_END_MN_LOCK && EMPTY(me) && mn_lock == 0;
       mn_lock = me + 1; npc[me] = N_END_COUNT_DEC }
  :: d_step { npc[me] == N_END_COUNT_DEC && ROOM(me);
       tmp = LD(me, A_MN_COUNT, mn_count) - 1; store(me, A_MN_COUNT, tmp);
       wake[me] = (tmp == 0 -> 1 : 0); npc[me] = N_END_MN_UNLOCK }
  :: d_step { npc[me] == N_END_MN_UNLOCK && ROOM(me);
       store(me, A_MN_LOCK, 0);
       if :: wake[me] -> npc[me] = N_END_WAKE_UP :: else -> npc[me] = N_NEXT fi }
  /* rcuwait_wake_up(): smp_mb(); task = w->task */
  :: d_step { npc[me] == N_END_WAKE_UP && EMPTY(me);
       ntask[me] = rw_task - 1;
       if :: ntask[me] >= 0 -> npc[me] = N_END_WAKE_UP_PROCESS :: else -> npc[me] = N_NEXT fi }
  :: d_step { npc[me] == N_END_WAKE_UP_PROCESS && EMPTY(me);
       task_state[ntask[me]] = 0; ntask[me] = -1; npc[me] = N_NEXT }
  :: d_step { npc[me] == N_NEXT;
#if FOREVER
       inv_left[me] = 0;
#else
       inv_left[me] = inv_left[me] - 1;
#endif
       start_gen[me] = -1; end_gen[me] = -1; wake[me] = 0;
       if :: FOREVER || inv_left[me] > 0 -> npc[me] = N_START_MN_LOCK :: else -> npc[me] = N_DONE fi }
  :: d_step { sb_count[me] > 0; drain(me) }
  od
}

/* KVM_SET_USER_MEMORY_REGION */
active proctype updater() {
  byte me = _pid;
end:
  do
  :: d_step { upc == U_SLOTS_LOCK && EMPTY(me) && slots_lock == 0; slots_lock = me + 1; upc = U_ARCH_LOCK }
  :: d_step { upc == U_ARCH_LOCK && EMPTY(me) && arch_lock == 0; arch_lock = me + 1; upc = U_MN_LOCK }
  /* install_new_memslots(): wait for mn_active_invalidate_count == 0 */
  :: d_step { upc == U_MN_LOCK && EMPTY(me) && mn_lock == 0; mn_lock = me + 1; upc = U_PREPARE }
  :: d_step { upc == U_PREPARE && ROOM(me); store(me, A_TASK, me + 1); upc = U_CHECK_COUNT }
  :: d_step { upc == U_CHECK_COUNT;
       if :: LD(me, A_MN_COUNT, mn_count) == 0 -> upc = U_FINISH :: else -> upc = U_SET_STATE fi }
  :: d_step { upc == U_SET_STATE && EMPTY(me); task_state[me] = 1; upc = U_WAIT_MN_UNLOCK }
  :: d_step { upc == U_WAIT_MN_UNLOCK && ROOM(me); store(me, A_MN_LOCK, 0); upc = U_SCHEDULE }
  :: d_step { upc == U_SCHEDULE && task_state[me] == 0; upc = U_WAIT_MN_LOCK }
  :: d_step { upc == U_WAIT_MN_LOCK && EMPTY(me) && mn_lock == 0; mn_lock = me + 1; upc = U_CHECK_COUNT }
  :: d_step { upc == U_FINISH && ROOM(me); store(me, A_TASK, 0); upc = U_PUBLISH }
  :: d_step { upc == U_PUBLISH && ROOM(me);
       published = published + 1; store(me, A_MEMSLOTS, published); upc = U_MN_UNLOCK }
  :: d_step { upc == U_MN_UNLOCK && ROOM(me); store(me, A_MN_LOCK, 0); upc = U_ARCH_UNLOCK }
  :: d_step { upc == U_ARCH_UNLOCK && ROOM(me); store(me, A_ARCH_LOCK, 0); upc = U_SYNC }
  /* synchronize_srcu_expedited(): mark the readers inside now, then wait for them to leave */
  :: d_step { upc == U_SYNC && EMPTY(me);
       q = 0;
       do
       :: q < NP -> if :: (srcu[q] & 3) != 0 -> srcu[q] = srcu[q] | (1 << (me + 2)) :: else -> skip fi; q++
       :: else -> break
       od;
       q = 0; upc = U_SYNC_WAIT }
  :: d_step { upc == U_SYNC_WAIT && EMPTY(me) && !GP_WAITS(me);
       if :: published == 1 -> upc = U_FLUSH_LOCK :: else -> upc = U_SLOTS_UNLOCK fi }
  /* kvm_arch_flush_shadow_memslot() */
  :: d_step { upc == U_FLUSH_LOCK && WRITE_LOCK_ENABLED(me); mmu_writer = me + 1; upc = U_FLUSH }
  :: d_step { upc == U_FLUSH && ROOM(me); store(me, A_SPTE, 0); upc = U_FLUSH_UNLOCK }
  :: d_step { upc == U_FLUSH_UNLOCK && ROOM(me); store(me, A_MMU_WRITER, 0); upc = U_ARCH_LOCK }
  :: d_step { upc == U_SLOTS_UNLOCK && ROOM(me);
       store(me, A_SLOTS_LOCK, 0);
       if :: published < MAXGEN -> upc = U_SLOTS_LOCK :: else -> upc = U_DONE fi }
  :: d_step { sb_count[me] > 0; drain(me) }
  od
}

#ifdef VCPU
/* the vCPU's page fault (direct_page_fault) */
active proctype vcpu() {
  byte me = _pid;
end:
  do
  :: d_step { vpc == V_SRCU_LOCK && EMPTY(me); srcu[me] = srcu[me] + 1; vpc = V_MEMSLOT }
  :: d_step { vpc == V_MEMSLOT;
       tmp = LD(me, A_MEMSLOTS, memslots);
       if :: tmp == 0 || tmp == 3 -> vpc = V_READ_SEQ :: else -> vpc = V_SRCU_UNLOCK fi }
  :: d_step { vpc == V_READ_SEQ; mmu_seq = LD(me, A_SEQ, seq); vpc = V_GFN_TO_PFN }
  :: d_step { vpc == V_GFN_TO_PFN; pfn = host_pte; vpc = V_MMU_LOCK }
  /* read_lock(&kvm->mmu_lock) */
  :: d_step { vpc == V_MMU_LOCK && EMPTY(me) && mmu_writer == 0;
       mmu_readers = mmu_readers | (1 << me); vpc = V_RETRY_COUNT }
  /* mmu_notifier_retry() */
  :: d_step { vpc == V_RETRY_COUNT;
       if :: LD(me, A_IN_PROGRESS, in_progress) != 0 -> vpc = V_RETRY_UNLOCK :: else -> vpc = V_RETRY_SEQ fi }
  :: d_step { vpc == V_RETRY_SEQ;
       if :: LD(me, A_SEQ, seq) != mmu_seq -> vpc = V_RETRY_UNLOCK :: else -> vpc = V_INSTALL fi }
  :: d_step { vpc == V_INSTALL && ROOM(me);
       if :: INVALIDATING_ANY -> bad_install = 1 :: else -> skip fi;
       store(me, A_SPTE, pfn); pfn = 0; mmu_seq = 0; vpc = V_UNLOCK }
  :: d_step { vpc == V_UNLOCK && EMPTY(me); mmu_readers = mmu_readers & ~(1 << me); vpc = V_SRCU_UNLOCK }
  :: d_step { vpc == V_SRCU_UNLOCK && EMPTY(me);
       srcu_read_unlock(me); faults_left = faults_left - 1;
       if :: faults_left > 0 -> vpc = V_SRCU_LOCK :: else -> vpc = V_DONE fi }
  :: d_step { vpc == V_RETRY_UNLOCK && EMPTY(me);
       mmu_readers = mmu_readers & ~(1 << me); pfn = 0; mmu_seq = 0; vpc = V_RETRY_SRCU_UNLOCK }
  :: d_step { vpc == V_RETRY_SRCU_UNLOCK && EMPTY(me); srcu_read_unlock(me); vpc = V_SRCU_LOCK }
  :: d_step { sb_count[me] > 0; drain(me) }
  od
}
#endif

/* deadlock (kvmcheck's I4): nothing can move and some process has not finished */
active proctype watchdog() {
end:
  do
  :: timeout && !ALL_DONE -> assert(false)
  od
}
