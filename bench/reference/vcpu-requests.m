-- vcpu-requests (fixed variant) under x86-TSO for Rumur/Murphi, written to have exactly the
-- reachable states of kvmcheck's models/vcpu-requests.ts with reductions off: the same
-- variables, one rule per kvmcheck step, FIFO store buffers of depth 2 with unused entries zero.
-- bench/compare.ts substitutes NV (vCPUs); one requester, entries 2, kicks 1 (kvmcheck's defaults).
-- Final states have no enabled rule: run rumur with --deadlock-detection off.

const
  NV: 3;
  NR: 1;
  ENTRIES: 2;
  KICKS: 1;
  DEPTH: 2;
  OUTSIDE: 0; IN: 1; EXITING: 2;
  V_CHECK: 0; V_CLEAR: 1; V_IRQOFF: 2; V_SETMODE: 3; V_MB: 4; V_FINAL: 5; V_CANCEL: 6;
  V_ENTER: 7; V_GUEST: 8; V_EXIT: 9; V_IRQON: 10; V_DONE: 11;
  R_PICK: 0; R_REQUEST: 1; R_KICK: 2; R_IPI: 3; R_NEXT: 4; R_DONE: 5;

type
  vcpu_t: 0..NV - 1;
  req_t: 0..NR - 1;
  proc_t: 0..NV + NR - 1;
  entry_t: 0..DEPTH - 1;

var
  mode: array [vcpu_t] of 0..3;
  requests: array [vcpu_t] of 0..1;
  in_guest: array [vcpu_t] of boolean;
  entries_left: array [vcpu_t] of 0..ENTRIES;
  irqs_disabled: array [vcpu_t] of boolean;
  ipi_pending: array [vcpu_t] of boolean;
  vpc: array [vcpu_t] of 0..V_DONE;
  target: array [req_t] of vcpu_t;
  kicks_left: array [req_t] of 0..KICKS;
  rpc: array [req_t] of 0..R_DONE;
  -- the address of vcpu->mode[v] is v + 1; 0 marks an unused entry
  sb_count: array [proc_t] of 0..DEPTH;
  sb_addr: array [proc_t] of array [entry_t] of 0..NV;
  sb_val: array [proc_t] of array [entry_t] of 0..3;

procedure store_mode(v: vcpu_t; x: 0..3);
begin
  sb_addr[v][sb_count[v]] := v + 1;
  sb_val[v][sb_count[v]] := x;
  sb_count[v] := sb_count[v] + 1;
end;

startstate
begin
  for v: vcpu_t do
    mode[v] := OUTSIDE; requests[v] := 0; in_guest[v] := false; entries_left[v] := ENTRIES;
    irqs_disabled[v] := false; ipi_pending[v] := false; vpc[v] := V_CHECK;
  end;
  for r: req_t do target[r] := 0; kicks_left[r] := KICKS; rpc[r] := R_PICK; end;
  for p: proc_t do
    sb_count[p] := 0;
    for e: entry_t do sb_addr[p][e] := 0; sb_val[p][e] := 0; end;
  end;
end;

ruleset v: vcpu_t do
  rule "kvm_request_pending" vpc[v] = V_CHECK ==>
  begin if requests[v] != 0 then vpc[v] := V_CLEAR; else vpc[v] := V_IRQOFF; endif; end;

  rule "clear_bit; smp_mb__after_atomic" vpc[v] = V_CLEAR & sb_count[v] = 0 ==>
  begin requests[v] := 0; vpc[v] := V_IRQOFF; end;

  rule "local_irq_disable" vpc[v] = V_IRQOFF ==>
  begin irqs_disabled[v] := true; vpc[v] := V_SETMODE; end;

  rule "WRITE_ONCE(mode, IN_GUEST_MODE)" vpc[v] = V_SETMODE & sb_count[v] < DEPTH ==>
  begin store_mode(v, IN); vpc[v] := V_MB; end;

  rule "smp_mb" vpc[v] = V_MB & sb_count[v] = 0 ==>
  begin vpc[v] := V_FINAL; end;

  rule "final kvm_request_pending" vpc[v] = V_FINAL ==>
  begin if requests[v] != 0 then vpc[v] := V_CANCEL; else vpc[v] := V_ENTER; endif; end;

  rule "cancel_injection" vpc[v] = V_CANCEL & sb_count[v] < DEPTH ==>
  begin store_mode(v, OUTSIDE); irqs_disabled[v] := false; vpc[v] := V_CHECK; end;

  rule "VM-ENTER" vpc[v] = V_ENTER ==>
  begin in_guest[v] := true; irqs_disabled[v] := false; vpc[v] := V_GUEST; end;

  rule "VM-exit (guest)" vpc[v] = V_GUEST ==>
  begin in_guest[v] := false; irqs_disabled[v] := true; vpc[v] := V_EXIT; end;

  rule "WRITE_ONCE(mode, OUTSIDE_GUEST_MODE)" vpc[v] = V_EXIT & sb_count[v] < DEPTH ==>
  begin store_mode(v, OUTSIDE); vpc[v] := V_IRQON; end;

  rule "local_irq_enable" vpc[v] = V_IRQON ==>
  begin
    irqs_disabled[v] := false; entries_left[v] := entries_left[v] - 1;
    if entries_left[v] > 0 then vpc[v] := V_CHECK; else vpc[v] := V_DONE; endif;
  end;

  rule "IPI taken" ipi_pending[v] & !irqs_disabled[v] ==>
  begin
    ipi_pending[v] := false;
    if vpc[v] = V_GUEST then in_guest[v] := false; irqs_disabled[v] := true; vpc[v] := V_EXIT; endif;
  end;

  rule "store buffer drains" sb_count[v] > 0 ==>
  begin
    mode[sb_addr[v][0] - 1] := sb_val[v][0];
    if sb_count[v] = 2 then
      sb_addr[v][0] := sb_addr[v][1]; sb_val[v][0] := sb_val[v][1];
      sb_addr[v][1] := 0; sb_val[v][1] := 0;
    else
      sb_addr[v][0] := 0; sb_val[v][0] := 0;
    endif;
    sb_count[v] := sb_count[v] - 1;
  end;
end;

ruleset r: req_t; v: vcpu_t do
  rule "vcpu = kvm_get_vcpu(kvm, v)" rpc[r] = R_PICK ==>
  begin target[r] := v; rpc[r] := R_REQUEST; end;
end;

ruleset r: req_t do
  rule "kvm_make_request: smp_wmb; set_bit" rpc[r] = R_REQUEST & sb_count[NV + r] = 0 ==>
  begin requests[target[r]] := 1; rpc[r] := R_KICK; end;

  rule "smp_mb__before_atomic; cmpxchg(mode, IN, EXITING)" rpc[r] = R_KICK & sb_count[NV + r] = 0 ==>
  begin
    if mode[target[r]] = IN then mode[target[r]] := EXITING; rpc[r] := R_IPI; else rpc[r] := R_NEXT; endif;
  end;

  rule "smp_send_reschedule" rpc[r] = R_IPI ==>
  begin ipi_pending[target[r]] := true; rpc[r] := R_NEXT; end;

  rule "kvm_vcpu_kick returns" rpc[r] = R_NEXT ==>
  begin
    kicks_left[r] := kicks_left[r] - 1;
    if kicks_left[r] > 0 then rpc[r] := R_PICK; else rpc[r] := R_DONE; endif;
  end;
end;

invariant "noLostRequest"
  forall v: vcpu_t do
    !(in_guest[v] & !ipi_pending[v] & requests[v] != 0 &
      !(exists r: req_t do target[r] = v & (rpc[r] = R_REQUEST | rpc[r] = R_KICK | rpc[r] = R_IPI) endexists))
  endforall;

invariant "exitingImpliesIpi"
  forall v: vcpu_t do
    !(mode[v] = EXITING & in_guest[v] & !ipi_pending[v] &
      !(exists r: req_t do target[r] = v & rpc[r] = R_IPI endexists))
  endforall;
