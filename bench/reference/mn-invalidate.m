-- mn-invalidate (fixed variant) under x86-TSO for Rumur/Murphi, written to have exactly the
-- reachable states of kvmcheck's models/mn-invalidate.ts with reductions off: the same variables
-- (shared, locals, ghosts, one pc per process), one rule per kvmcheck step, FIFO store buffers of
-- depth 2 with unused entries zero, the four invariants, and deadlocks reported as kvmcheck does
-- (a no-op rule keeps the final states from counting as stuck: run rumur with
-- --deadlock-detection stuck).
--
-- bench/compare.ts substitutes NOTIFIERS (1..3), INVALIDATIONS (0..2; 0: forever, needs
-- FAULTS = 0), UPDATES (1..2) and FAULTS (0..2); the values below are kvmcheck's
-- --set notifiers=2,invalidations=1,updates=1,faults=1.
--
-- Processes as in kvmcheck: notifier0..N-1 (0..N-1), the updater (N), the vCPU (N+1, if it
-- faults; with FAULTS = 0 its variables stay constant and add no state). Locks hold 0 or
-- holder+1; an srcu reader slot holds its nesting depth plus bit 2+p for each process p whose
-- grace period waits for it; mmu_lock is a readers bitmask plus a writer. Buffered addresses
-- are the A_* numbers below (kvmcheck uses slot numbers: a renaming).

const
  NOTIFIERS: 2;
  INVALIDATIONS: 1;
  UPDATES: 1;
  FAULTS: 1;

  FOREVER: INVALIDATIONS = 0;
  ROUNDS: INVALIDATIONS = 0 ? 1 : INVALIDATIONS;
  NR: NOTIFIERS * ROUNDS;
  PAGES: 2 + NR;
  NP: NOTIFIERS + 1 + (FAULTS > 0 ? 1 : 0);
  UPD: NOTIFIERS;
  VCPU: NP - 1;  -- with FAULTS = 0 this is the updater, but no vCPU rule is ever enabled
  MAXGEN: UPDATES = 1 ? 2 : 3;
  DEPTH: 2;
  VMAX: PAGES + NP;

  A_MEMSLOTS: 1; A_SLOTS_LOCK: 2; A_ARCH_LOCK: 3; A_MMU_WRITER: 4; A_MN_LOCK: 5;
  A_MN_COUNT: 6; A_TASK: 7; A_IN_PROGRESS: 8; A_SEQ: 9; A_SPTE: 10;

  -- notifier labels, in kvmcheck's declaration order
  N_START_MN_LOCK: 0; N_START_COUNT_INC: 1; N_START_MN_UNLOCK: 2; N_START_SRCU_LOCK: 3;
  N_START_MEMSLOTS: 4; N_START_MMU_LOCK: 5; N_START_COUNT: 6; N_START_UNMAP: 7;
  N_START_MMU_UNLOCK: 8; N_START_SRCU_UNLOCK: 9; N_HOST_CHANGE_PTE: 10; N_END_SRCU_LOCK: 11;
  N_END_MEMSLOTS: 12; N_END_MMU_LOCK: 13; N_END_SEQ_INC: 14; N_END_COUNT: 15;
  N_END_MMU_UNLOCK: 16; N_END_SRCU_UNLOCK: 17; N_END_MN_LOCK: 18; N_END_COUNT_DEC: 19;
  N_END_MN_UNLOCK: 20; N_END_WAKE_UP: 21; N_END_WAKE_UP_PROCESS: 22; N_NEXT: 23; N_DONE: 24;
  -- updater labels
  U_SLOTS_LOCK: 0; U_ARCH_LOCK: 1; U_MN_LOCK: 2; U_PREPARE: 3; U_CHECK_COUNT: 4; U_SET_STATE: 5;
  U_WAIT_MN_UNLOCK: 6; U_SCHEDULE: 7; U_WAIT_MN_LOCK: 8; U_FINISH: 9; U_PUBLISH: 10;
  U_MN_UNLOCK: 11; U_ARCH_UNLOCK: 12; U_SYNC: 13; U_SYNC_WAIT: 14; U_FLUSH_LOCK: 15;
  U_FLUSH: 16; U_FLUSH_UNLOCK: 17; U_SLOTS_UNLOCK: 18; U_DONE: 19;
  -- vCPU labels
  V_SRCU_LOCK: 0; V_MEMSLOT: 1; V_READ_SEQ: 2; V_GFN_TO_PFN: 3; V_MMU_LOCK: 4;
  V_RETRY_COUNT: 5; V_RETRY_SEQ: 6; V_INSTALL: 7; V_UNLOCK: 8; V_SRCU_UNLOCK: 9;
  V_RETRY_UNLOCK: 10; V_RETRY_SRCU_UNLOCK: 11; V_DONE: 12;

type
  notif_t: 0..NOTIFIERS - 1;
  proc_t: 0..NP - 1;
  entry_t: 0..DEPTH - 1;
  addr_t: 0..A_SPTE;
  val_t: -NR..VMAX;
  gen_t: 0..MAXGEN;
  page_t: 0..PAGES - 1;

var
  -- shared memory
  memslots: gen_t;  -- 0 slot, 1 slot invalid, 2 no slot, 3 slot re-created
  srcu: array [proc_t] of 0..(4 << NP) - 1;
  slots_lock: 0..NP;
  arch_lock: 0..NP;
  mmu_readers: 0..(1 << NP) - 1;
  mmu_writer: 0..NP;
  mn_lock: 0..NP;
  mn_count: 0..NOTIFIERS;
  rw_task: 0..NP;
  task_state: array [proc_t] of 0..1;
  in_progress: -NR..NR;
  seq: 0..NR;
  spte: page_t;
  host_pte: 1..PAGES - 1;
  -- ghosts
  in_progress_g: -NR..NR;
  host_page: 1..PAGES - 1;
  freed: 0..(1 << PAGES) - 1;
  start_gen: array [notif_t] of -1..MAXGEN;
  end_gen: array [notif_t] of -1..MAXGEN;
  invalidating: array [notif_t] of boolean;
  bad_install: boolean;
  -- locals
  inv_left: array [notif_t] of 0..INVALIDATIONS;
  wake: array [notif_t] of boolean;
  ntask: array [notif_t] of -1..NP - 1;
  published: gen_t;
  faults_left: 0..FAULTS;
  mmu_seq: 0..NOTIFIERS * INVALIDATIONS;
  pfn: page_t;
  -- program counters
  npc: array [notif_t] of 0..N_DONE;
  upc: 0..U_DONE;
  vpc: 0..V_DONE;
  -- store buffers: entry 0 the oldest
  sb_count: array [proc_t] of 0..DEPTH;
  sb_addr: array [proc_t] of array [entry_t] of addr_t;
  sb_val: array [proc_t] of array [entry_t] of val_t;

-- a load: the CPU's newest buffered store to the address, else memory (unused entries hold 0)
function ld(p: proc_t; a: addr_t; mem: val_t): val_t;
begin
  if sb_addr[p][1] = a then return sb_val[p][1]; endif;
  if sb_addr[p][0] = a then return sb_val[p][0]; endif;
  return mem;
end;

-- a plain store joins the buffer (the rule is enabled only while it has room)
procedure store(p: proc_t; a: addr_t; v: val_t);
begin
  sb_addr[p][sb_count[p]] := a;
  sb_val[p][sb_count[p]] := v;
  sb_count[p] := sb_count[p] + 1;
end;

-- srcu_read_unlock(): atomic; the outermost unlock clears the grace-period marks
procedure srcu_read_unlock(p: proc_t);
begin
  if (srcu[p] & 3) = 1 then srcu[p] := 0; else srcu[p] := srcu[p] - 1; endif;
end;

function empty(p: proc_t): boolean;
begin return sb_count[p] = 0; end;

function room(p: proc_t): boolean;
begin return sb_count[p] < DEPTH; end;

-- write_lock(&kvm->mmu_lock): an atomic, so it waits for an empty buffer
function write_lock_enabled(p: proc_t): boolean;
begin return sb_count[p] = 0 & mmu_writer = 0 & mmu_readers = 0; end;

startstate
begin
  memslots := 0;
  for p: proc_t do srcu[p] := 0; task_state[p] := 0; end;
  slots_lock := 0; arch_lock := 0; mmu_readers := 0; mmu_writer := 0; mn_lock := 0;
  mn_count := 0; rw_task := 0; in_progress := 0; seq := 0; spte := 0; host_pte := 1;
  in_progress_g := 0; host_page := 1; freed := 0; bad_install := false;
  for i: notif_t do
    start_gen[i] := -1; end_gen[i] := -1; invalidating[i] := false;
    inv_left[i] := INVALIDATIONS; wake[i] := false; ntask[i] := -1; npc[i] := N_START_MN_LOCK;
  end;
  published := 0; faults_left := FAULTS; mmu_seq := 0; pfn := 0;
  upc := U_SLOTS_LOCK;
  vpc := FAULTS > 0 ? V_SRCU_LOCK : V_DONE;
  for p: proc_t do
    sb_count[p] := 0;
    for e: entry_t do sb_addr[p][e] := 0; sb_val[p][e] := 0; end;
  end;
end;

-- kvm_mmu_notifier_invalidate_range_start() / _end()
ruleset i: notif_t do
  rule "start: spin_lock(mn_invalidate_lock)" npc[i] = N_START_MN_LOCK & empty(i) & mn_lock = 0 ==>
  begin mn_lock := i + 1; npc[i] := N_START_COUNT_INC; end;

  rule "start: mn_active_invalidate_count++" npc[i] = N_START_COUNT_INC & room(i) ==>
  begin store(i, A_MN_COUNT, ld(i, A_MN_COUNT, mn_count) + 1); npc[i] := N_START_MN_UNLOCK; end;

  rule "start: spin_unlock(mn_invalidate_lock)" npc[i] = N_START_MN_UNLOCK & room(i) ==>
  begin store(i, A_MN_LOCK, 0); npc[i] := N_START_SRCU_LOCK; end;

  rule "start: srcu_read_lock" npc[i] = N_START_SRCU_LOCK & empty(i) ==>
  begin srcu[i] := srcu[i] + 1; npc[i] := N_START_MEMSLOTS; end;

  rule "start: memslots overlap?" npc[i] = N_START_MEMSLOTS ==>
  var g: val_t;
  begin
    g := ld(i, A_MEMSLOTS, memslots); start_gen[i] := g;
    if g != 2 then npc[i] := N_START_MMU_LOCK; else npc[i] := N_START_SRCU_UNLOCK; endif;
  end;

  rule "start: write_lock(mmu_lock)" npc[i] = N_START_MMU_LOCK & write_lock_enabled(i) ==>
  begin mmu_writer := i + 1; npc[i] := N_START_COUNT; end;

  rule "start: mmu_notifier_count++" npc[i] = N_START_COUNT & room(i) ==>
  begin
    store(i, A_IN_PROGRESS, ld(i, A_IN_PROGRESS, in_progress) + 1);
    in_progress_g := in_progress_g + 1; npc[i] := N_START_UNMAP;
  end;

  rule "start: zap the spte" npc[i] = N_START_UNMAP & room(i) ==>
  begin store(i, A_SPTE, 0); invalidating[i] := true; npc[i] := N_START_MMU_UNLOCK; end;

  rule "start: write_unlock(mmu_lock)" npc[i] = N_START_MMU_UNLOCK & room(i) ==>
  begin store(i, A_MMU_WRITER, 0); npc[i] := N_START_SRCU_UNLOCK; end;

  rule "start: srcu_read_unlock" npc[i] = N_START_SRCU_UNLOCK & empty(i) ==>
  begin srcu_read_unlock(i); npc[i] := N_HOST_CHANGE_PTE; end;

  rule "primary MMU: new page, old one freed" npc[i] = N_HOST_CHANGE_PTE & empty(i) ==>
  var fresh: page_t;
  begin
    if FOREVER then fresh := 3 - host_page;
    else fresh := 2 + i * INVALIDATIONS + (INVALIDATIONS - inv_left[i]); endif;
    host_pte := fresh; freed := (freed | (1 << host_page)) & ~(1 << fresh); host_page := fresh;
    npc[i] := N_END_SRCU_LOCK;
  end;

  rule "end: srcu_read_lock" npc[i] = N_END_SRCU_LOCK & empty(i) ==>
  begin srcu[i] := srcu[i] + 1; npc[i] := N_END_MEMSLOTS; end;

  rule "end: memslots overlap?" npc[i] = N_END_MEMSLOTS ==>
  var g: val_t;
  begin
    g := ld(i, A_MEMSLOTS, memslots); end_gen[i] := g;
    if g != 2 then npc[i] := N_END_MMU_LOCK; else npc[i] := N_END_SRCU_UNLOCK; endif;
  end;

  rule "end: write_lock(mmu_lock)" npc[i] = N_END_MMU_LOCK & write_lock_enabled(i) ==>
  begin mmu_writer := i + 1; npc[i] := N_END_SEQ_INC; end;

  rule "end: mmu_notifier_seq++; smp_wmb" npc[i] = N_END_SEQ_INC & room(i) ==>
  begin
    if FOREVER then store(i, A_SEQ, (ld(i, A_SEQ, seq) + 1) % 2);
    else store(i, A_SEQ, ld(i, A_SEQ, seq) + 1); endif;
    npc[i] := N_END_COUNT;
  end;

  rule "end: mmu_notifier_count--" npc[i] = N_END_COUNT & room(i) ==>
  begin
    store(i, A_IN_PROGRESS, ld(i, A_IN_PROGRESS, in_progress) - 1);
    in_progress_g := in_progress_g - 1; invalidating[i] := false; npc[i] := N_END_MMU_UNLOCK;
  end;

  rule "end: write_unlock(mmu_lock)" npc[i] = N_END_MMU_UNLOCK & room(i) ==>
  begin store(i, A_MMU_WRITER, 0); npc[i] := N_END_SRCU_UNLOCK; end;

  rule "end: srcu_read_unlock" npc[i] = N_END_SRCU_UNLOCK & empty(i) ==>
  begin srcu_read_unlock(i); npc[i] := N_END_MN_LOCK; end;

  rule "end: spin_lock(mn_invalidate_lock)" npc[i] = N_END_MN_LOCK & empty(i) & mn_lock = 0 ==>
  begin mn_lock := i + 1; npc[i] := N_END_COUNT_DEC; end;

  rule "end: wake = (--mn_active_invalidate_count == 0)" npc[i] = N_END_COUNT_DEC & room(i) ==>
  var n: val_t;
  begin
    n := ld(i, A_MN_COUNT, mn_count) - 1; store(i, A_MN_COUNT, n);
    wake[i] := n = 0; npc[i] := N_END_MN_UNLOCK;
  end;

  rule "end: spin_unlock(mn_invalidate_lock)" npc[i] = N_END_MN_UNLOCK & room(i) ==>
  begin
    store(i, A_MN_LOCK, 0);
    if wake[i] then npc[i] := N_END_WAKE_UP; else npc[i] := N_NEXT; endif;
  end;

  rule "end: rcuwait_wake_up: smp_mb; task = w->task" npc[i] = N_END_WAKE_UP & empty(i) ==>
  begin
    ntask[i] := rw_task - 1;
    if ntask[i] >= 0 then npc[i] := N_END_WAKE_UP_PROCESS; else npc[i] := N_NEXT; endif;
  end;

  rule "end: wake_up_process(task)" npc[i] = N_END_WAKE_UP_PROCESS & empty(i) ==>
  begin task_state[ntask[i]] := 0; ntask[i] := -1; npc[i] := N_NEXT; end;

  rule "the next invalidation, if any" npc[i] = N_NEXT ==>
  begin
    if !FOREVER then inv_left[i] := inv_left[i] - 1; endif;
    start_gen[i] := -1; end_gen[i] := -1; wake[i] := false;
    if FOREVER | inv_left[i] > 0 then npc[i] := N_START_MN_LOCK; else npc[i] := N_DONE; endif;
  end;
end;

-- KVM_SET_USER_MEMORY_REGION
rule "slots_lock" upc = U_SLOTS_LOCK & empty(UPD) & slots_lock = 0 ==>
begin slots_lock := UPD + 1; upc := U_ARCH_LOCK; end;

rule "slots_arch_lock" upc = U_ARCH_LOCK & empty(UPD) & arch_lock = 0 ==>
begin arch_lock := UPD + 1; upc := U_MN_LOCK; end;

rule "install_new_memslots: spin_lock(mn_invalidate_lock)" upc = U_MN_LOCK & empty(UPD) & mn_lock = 0 ==>
begin mn_lock := UPD + 1; upc := U_PREPARE; end;

rule "prepare_to_rcuwait" upc = U_PREPARE & room(UPD) ==>
begin store(UPD, A_TASK, UPD + 1); upc := U_CHECK_COUNT; end;

rule "while (mn_active_invalidate_count)" upc = U_CHECK_COUNT ==>
begin
  if ld(UPD, A_MN_COUNT, mn_count) = 0 then upc := U_FINISH; else upc := U_SET_STATE; endif;
end;

rule "set_current_state(TASK_UNINTERRUPTIBLE)" upc = U_SET_STATE & empty(UPD) ==>
begin task_state[UPD] := 1; upc := U_WAIT_MN_UNLOCK; end;

rule "wait: spin_unlock(mn_invalidate_lock)" upc = U_WAIT_MN_UNLOCK & room(UPD) ==>
begin store(UPD, A_MN_LOCK, 0); upc := U_SCHEDULE; end;

rule "schedule" upc = U_SCHEDULE & task_state[UPD] = 0 ==>
begin upc := U_WAIT_MN_LOCK; end;

rule "wait: spin_lock(mn_invalidate_lock)" upc = U_WAIT_MN_LOCK & empty(UPD) & mn_lock = 0 ==>
begin mn_lock := UPD + 1; upc := U_CHECK_COUNT; end;

rule "finish_rcuwait" upc = U_FINISH & room(UPD) ==>
begin store(UPD, A_TASK, 0); upc := U_PUBLISH; end;

rule "rcu_assign_pointer(kvm->memslots, slots)" upc = U_PUBLISH & room(UPD) ==>
begin published := published + 1; store(UPD, A_MEMSLOTS, published); upc := U_MN_UNLOCK; end;

rule "spin_unlock(mn_invalidate_lock)" upc = U_MN_UNLOCK & room(UPD) ==>
begin store(UPD, A_MN_LOCK, 0); upc := U_ARCH_UNLOCK; end;

rule "mutex_unlock(slots_arch_lock)" upc = U_ARCH_UNLOCK & room(UPD) ==>
begin store(UPD, A_ARCH_LOCK, 0); upc := U_SYNC; end;

rule "synchronize_srcu: mark the readers inside" upc = U_SYNC & empty(UPD) ==>
begin
  for q: proc_t do
    if (srcu[q] & 3) != 0 then srcu[q] := srcu[q] | (1 << (UPD + 2)); endif;
  end;
  upc := U_SYNC_WAIT;
end;

rule "synchronize_srcu: wait for them" upc = U_SYNC_WAIT & empty(UPD) &
    forall q: proc_t do (srcu[q] & (1 << (UPD + 2))) = 0 endforall ==>
begin
  if published = 1 then upc := U_FLUSH_LOCK; else upc := U_SLOTS_UNLOCK; endif;
end;

rule "kvm_arch_flush_shadow_memslot: write_lock(mmu_lock)" upc = U_FLUSH_LOCK & write_lock_enabled(UPD) ==>
begin mmu_writer := UPD + 1; upc := U_FLUSH; end;

rule "zap the deleted slot's spte" upc = U_FLUSH & room(UPD) ==>
begin store(UPD, A_SPTE, 0); upc := U_FLUSH_UNLOCK; end;

rule "flush: write_unlock(mmu_lock)" upc = U_FLUSH_UNLOCK & room(UPD) ==>
begin store(UPD, A_MMU_WRITER, 0); upc := U_ARCH_LOCK; end;

rule "mutex_unlock(slots_lock)" upc = U_SLOTS_UNLOCK & room(UPD) ==>
begin
  store(UPD, A_SLOTS_LOCK, 0);
  if published < MAXGEN then upc := U_SLOTS_LOCK; else upc := U_DONE; endif;
end;

-- the vCPU's page fault (direct_page_fault); with FAULTS = 0 vpc starts at V_DONE
rule "fault: srcu_read_lock" vpc = V_SRCU_LOCK & empty(VCPU) ==>
begin srcu[VCPU] := srcu[VCPU] + 1; vpc := V_MEMSLOT; end;

rule "fault: kvm_vcpu_gfn_to_memslot" vpc = V_MEMSLOT ==>
var g: val_t;
begin
  g := ld(VCPU, A_MEMSLOTS, memslots);
  if g = 0 | g = 3 then vpc := V_READ_SEQ; else vpc := V_SRCU_UNLOCK; endif;
end;

rule "fault: mmu_seq = mmu_notifier_seq; smp_rmb" vpc = V_READ_SEQ ==>
begin mmu_seq := ld(VCPU, A_SEQ, seq); vpc := V_GFN_TO_PFN; end;

rule "fault: pfn = gfn_to_pfn" vpc = V_GFN_TO_PFN ==>
begin pfn := host_pte; vpc := V_MMU_LOCK; end;

rule "fault: read_lock(mmu_lock)" vpc = V_MMU_LOCK & empty(VCPU) & mmu_writer = 0 ==>
begin mmu_readers := mmu_readers | (1 << VCPU); vpc := V_RETRY_COUNT; end;

rule "fault: mmu_notifier_retry: count" vpc = V_RETRY_COUNT ==>
begin
  if ld(VCPU, A_IN_PROGRESS, in_progress) != 0 then vpc := V_RETRY_UNLOCK; else vpc := V_RETRY_SEQ; endif;
end;

rule "fault: mmu_notifier_retry: seq" vpc = V_RETRY_SEQ ==>
begin
  if ld(VCPU, A_SEQ, seq) != mmu_seq then vpc := V_RETRY_UNLOCK; else vpc := V_INSTALL; endif;
end;

rule "fault: install the spte" vpc = V_INSTALL & room(VCPU) ==>
begin
  if exists i: notif_t do invalidating[i] endexists then bad_install := true; endif;
  store(VCPU, A_SPTE, pfn); pfn := 0; mmu_seq := 0; vpc := V_UNLOCK;
end;

rule "fault: read_unlock(mmu_lock)" vpc = V_UNLOCK & empty(VCPU) ==>
begin mmu_readers := mmu_readers & ~(1 << VCPU); vpc := V_SRCU_UNLOCK; end;

rule "fault: srcu_read_unlock" vpc = V_SRCU_UNLOCK & empty(VCPU) ==>
begin
  srcu_read_unlock(VCPU); faults_left := faults_left - 1;
  if faults_left > 0 then vpc := V_SRCU_LOCK; else vpc := V_DONE; endif;
end;

rule "fault: retry: read_unlock(mmu_lock)" vpc = V_RETRY_UNLOCK & empty(VCPU) ==>
begin
  mmu_readers := mmu_readers & ~(1 << VCPU); pfn := 0; mmu_seq := 0; vpc := V_RETRY_SRCU_UNLOCK;
end;

rule "fault: retry: srcu_read_unlock" vpc = V_RETRY_SRCU_UNLOCK & empty(VCPU) ==>
begin srcu_read_unlock(VCPU); vpc := V_SRCU_LOCK; end;

-- the oldest buffered store of process p becomes visible
ruleset p: proc_t do
  rule "store buffer drains" sb_count[p] > 0 ==>
  begin
    switch sb_addr[p][0]
      case A_MEMSLOTS: memslots := sb_val[p][0];
      case A_SLOTS_LOCK: slots_lock := sb_val[p][0];
      case A_ARCH_LOCK: arch_lock := sb_val[p][0];
      case A_MMU_WRITER: mmu_writer := sb_val[p][0];
      case A_MN_LOCK: mn_lock := sb_val[p][0];
      case A_MN_COUNT: mn_count := sb_val[p][0];
      case A_TASK: rw_task := sb_val[p][0];
      case A_IN_PROGRESS: in_progress := sb_val[p][0];
      case A_SEQ: seq := sb_val[p][0];
      case A_SPTE: spte := sb_val[p][0];
    endswitch;
    sb_addr[p][0] := sb_addr[p][1]; sb_val[p][0] := sb_val[p][1];
    sb_addr[p][1] := 0; sb_val[p][1] := 0;
    sb_count[p] := sb_count[p] - 1;
  end;
end;

-- every process has finished: a valid end state, not a deadlock (a no-op, so no new state)
rule "all done"
  (forall i: notif_t do npc[i] = N_DONE endforall) & upc = U_DONE & vpc = V_DONE ==>
begin end;

invariant "sameMemslots"
  forall i: notif_t do end_gen[i] = -1 | end_gen[i] = start_gen[i] endforall;

invariant "inProgressBalanced"
  in_progress_g >= 0 &
  (in_progress_g = 0 |
   exists i: notif_t do npc[i] != N_START_MN_LOCK & npc[i] != N_NEXT & npc[i] != N_DONE endexists);

invariant "noInstallDuringInvalidation"
  !bad_install;

invariant "noStaleSpte"
  spte = 0 | (freed & (1 << spte)) = 0;
