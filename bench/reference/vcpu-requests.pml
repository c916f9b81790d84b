/*
 * vcpu-requests (fixed variant) under x86-TSO, written to have exactly the reachable states of
 * kvmcheck's models/vcpu-requests.ts with reductions off: the same variables, one d_step per
 * kvmcheck step (so SPIN's own control state never adds states), an explicit pc per process,
 * FIFO store buffers of depth 2 with unused entries zero, and the invariants checked after every
 * step (a never claim). Compile with -DNV=<vcpus> -DNR=<requesters>; entries 2, kicks 1 (kvmcheck's defaults).
 *   spin -DNV=3 -DNR=1 -a vcpu-requests.pml && cc -O2 -DNOREDUCE -o pan pan.c && ./pan -m10000
 */
#ifndef NV
#define NV 2
#endif
#ifndef NR
#define NR 1
#endif
#define ENTRIES 2
#define KICKS 1
#define NP (NV + NR)
#define DEPTH 2

/* modes */
#define OUTSIDE 0
#define IN 1
#define EXITING 2

/* vCPU labels (pc values, in kvmcheck's label order) */
#define V_CHECK 0
#define V_CLEAR 1
#define V_IRQOFF 2
#define V_SETMODE 3
#define V_MB 4
#define V_FINAL 5
#define V_CANCEL 6
#define V_ENTER 7
#define V_GUEST 8
#define V_EXIT 9
#define V_IRQON 10
#define V_DONE 11

/* requester labels */
#define R_PICK 0
#define R_REQUEST 1
#define R_KICK 2
#define R_IPI 3
#define R_NEXT 4
#define R_DONE 5

byte mode[NV];
byte requests[NV];
bit in_guest[NV];
byte entries_left[NV] = ENTRIES;
bit irqs_disabled[NV];
bit ipi_pending[NV];
byte vpc[NV];
byte target[NR];
byte kicks_left[NR] = KICKS;
byte rpc[NR];
/* store buffers: count, then (addr, value) pairs; the address of vcpu->mode[v] is v + 1 */
byte sb_count[NP];
byte sb_addr[NP * DEPTH];
byte sb_val[NP * DEPTH];

#define inflight(r, v) (target[r] == v && (rpc[r] == R_REQUEST || rpc[r] == R_KICK || rpc[r] == R_IPI))

/* the invariants, unrolled so SPIN evaluates them as one expression per state (never claim) */
#if NR == 1
#define INFLIGHT(v) inflight(0, v)
#define SENDING(v) (target[0] == v && rpc[0] == R_IPI)
#elif NR == 2
#define INFLIGHT(v) (inflight(0, v) || inflight(1, v))
#define SENDING(v) ((target[0] == v && rpc[0] == R_IPI) || (target[1] == v && rpc[1] == R_IPI))
#else
#define INFLIGHT(v) (inflight(0, v) || inflight(1, v) || inflight(2, v))
#define SENDING(v) ((target[0] == v && rpc[0] == R_IPI) || (target[1] == v && rpc[1] == R_IPI) || (target[2] == v && rpc[2] == R_IPI))
#endif
#define OK(v) ((!in_guest[v] || ipi_pending[v] || requests[v] == 0 || INFLIGHT(v)) && \
               (mode[v] != EXITING || !in_guest[v] || ipi_pending[v] || SENDING(v)))
#if NV == 1
#define INV OK(0)
#elif NV == 2
#define INV (OK(0) && OK(1))
#elif NV == 3
#define INV (OK(0) && OK(1) && OK(2))
#elif NV == 4
#define INV (OK(0) && OK(1) && OK(2) && OK(3))
#elif NV == 5
#define INV (OK(0) && OK(1) && OK(2) && OK(3) && OK(4))
#else
#define INV (OK(0) && OK(1) && OK(2) && OK(3) && OK(4) && OK(5))
#endif

/* noLostRequest and exitingImpliesIpi in every state */
never {
  do
  :: assert(INV)
  od
}

/* the oldest buffered store of process p becomes visible */
inline drain(p) {
  mode[sb_addr[p * DEPTH] - 1] = sb_val[p * DEPTH];
  if
  :: sb_count[p] == 2 ->
     sb_addr[p * DEPTH] = sb_addr[p * DEPTH + 1]; sb_val[p * DEPTH] = sb_val[p * DEPTH + 1];
     sb_addr[p * DEPTH + 1] = 0; sb_val[p * DEPTH + 1] = 0
  :: else ->
     sb_addr[p * DEPTH] = 0; sb_val[p * DEPTH] = 0
  fi;
  sb_count[p]--
}

/* WRITE_ONCE(vcpu->mode[v], x) by vCPU v: enabled only while its buffer has room */
#define store_mode_enabled(v) (sb_count[v] < DEPTH)
inline store_mode(v, x) {
  sb_addr[v * DEPTH + sb_count[v]] = v + 1; sb_val[v * DEPTH + sb_count[v]] = x; sb_count[v]++
}

active [NV] proctype vcpu() {
  byte me = _pid;
end:
  do
  /* kvm_request_pending(vcpu): its buffer holds only mode stores, so the load reads memory */
  :: d_step { vpc[me] == V_CHECK;
       if :: requests[me] != 0 -> vpc[me] = V_CLEAR :: else -> vpc[me] = V_IRQOFF fi }
  /* clear_bit(); smp_mb__after_atomic(): LOCKed, waits for an empty buffer */
  :: d_step { vpc[me] == V_CLEAR && sb_count[me] == 0; requests[me] = 0; vpc[me] = V_IRQOFF }
  :: d_step { vpc[me] == V_IRQOFF; irqs_disabled[me] = 1; vpc[me] = V_SETMODE }
  :: d_step { vpc[me] == V_SETMODE && store_mode_enabled(me); store_mode(me, IN); vpc[me] = V_MB }
  :: d_step { vpc[me] == V_MB && sb_count[me] == 0; vpc[me] = V_FINAL }
  :: d_step { vpc[me] == V_FINAL;
       if :: requests[me] != 0 -> vpc[me] = V_CANCEL :: else -> vpc[me] = V_ENTER fi }
  :: d_step { vpc[me] == V_CANCEL && store_mode_enabled(me);
       store_mode(me, OUTSIDE); irqs_disabled[me] = 0; vpc[me] = V_CHECK }
  :: d_step { vpc[me] == V_ENTER; in_guest[me] = 1; irqs_disabled[me] = 0; vpc[me] = V_GUEST }
  :: d_step { vpc[me] == V_GUEST; in_guest[me] = 0; irqs_disabled[me] = 1; vpc[me] = V_EXIT }
  :: d_step { vpc[me] == V_EXIT && store_mode_enabled(me); store_mode(me, OUTSIDE); vpc[me] = V_IRQON }
  :: d_step { vpc[me] == V_IRQON; irqs_disabled[me] = 0; entries_left[me]--;
       if :: entries_left[me] > 0 -> vpc[me] = V_CHECK :: else -> vpc[me] = V_DONE fi }
  /* IPI taken: a VM-exit when in the guest */
  :: d_step { ipi_pending[me] && !irqs_disabled[me]; ipi_pending[me] = 0;
       if :: vpc[me] == V_GUEST -> in_guest[me] = 0; irqs_disabled[me] = 1; vpc[me] = V_EXIT :: else -> skip fi }
  :: d_step { sb_count[me] > 0; drain(me) }
  od
}

active [NR] proctype requester() {
  byte me = _pid - NV;
end:
  do
  :: d_step { rpc[me] == R_PICK; target[me] = 0; rpc[me] = R_REQUEST }
#if NV > 1
  :: d_step { rpc[me] == R_PICK; target[me] = 1; rpc[me] = R_REQUEST }
#endif
#if NV > 2
  :: d_step { rpc[me] == R_PICK; target[me] = 2; rpc[me] = R_REQUEST }
#endif
#if NV > 3
  :: d_step { rpc[me] == R_PICK; target[me] = 3; rpc[me] = R_REQUEST }
#endif
#if NV > 4
  :: d_step { rpc[me] == R_PICK; target[me] = 4; rpc[me] = R_REQUEST }
#endif
#if NV > 5
  :: d_step { rpc[me] == R_PICK; target[me] = 5; rpc[me] = R_REQUEST }
#endif
  /* kvm_make_request(): smp_wmb(); set_bit(): LOCKed (its own buffer is always empty here) */
  :: d_step { rpc[me] == R_REQUEST && sb_count[NV + me] == 0; requests[target[me]] = 1; rpc[me] = R_KICK }
  /* smp_mb__before_atomic(); cmpxchg(&vcpu->mode, IN_GUEST_MODE, EXITING_GUEST_MODE) */
  :: d_step { rpc[me] == R_KICK && sb_count[NV + me] == 0;
       if :: mode[target[me]] == IN -> mode[target[me]] = EXITING; rpc[me] = R_IPI :: else -> rpc[me] = R_NEXT fi }
  :: d_step { rpc[me] == R_IPI; ipi_pending[target[me]] = 1; rpc[me] = R_NEXT }
  :: d_step { rpc[me] == R_NEXT; kicks_left[me]--;
       if :: kicks_left[me] > 0 -> rpc[me] = R_PICK :: else -> rpc[me] = R_DONE fi }
  od
}
