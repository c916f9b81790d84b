-- vcpu-requests (fixed variant) under x86-TSO for Rumur/Murphi, as vcpu-requests.m but with the
-- vCPUs a scalarset, so Rumur's symmetry reduction (on by default) applies: one rule per kvmcheck
-- step, FIFO store buffers of depth 2. To make the vCPUs interchangeable the buffers of vCPUs and
-- requesters are separate arrays, a buffered address names the vCPU whose vcpu->mode it is (an
-- unused entry is undefined, not 0), and the requester's `vcpu` starts as some vCPU (one start
-- state per vCPU, all symmetric: kvmcheck's initial vcpu = 0 up to a permutation).
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
  vcpu_t: scalarset(NV);
  req_t: 0..NR - 1;
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
  -- store buffers of the vCPUs and of the requesters: an entry's address is the vCPU whose
  -- vcpu->mode it stores to (undefined when unused)
  vsb_count: array [vcpu_t] of 0..DEPTH;
  vsb_addr: array [vcpu_t] of array [entry_t] of vcpu_t;
  vsb_val: array [vcpu_t] of array [entry_t] of 0..3;
  rsb_count: array [req_t] of 0..DEPTH;
  rsb_addr: array [req_t] of array [entry_t] of vcpu_t;
  rsb_val: array [req_t] of array [entry_t] of 0..3;

procedure store_mode(v: vcpu_t; x: 0..3);
begin
  vsb_addr[v][vsb_count[v]] := v;
  vsb_val[v][vsb_count[v]] := x;
  vsb_count[v] := vsb_count[v] + 1;
end;

ruleset t: vcpu_t do
  startstate
  begin
    for v: vcpu_t do
      mode[v] := OUTSIDE; requests[v] := 0; in_guest[v] := false; entries_left[v] := ENTRIES;
      irqs_disabled[v] := false; ipi_pending[v] := false; vpc[v] := V_CHECK;
      vsb_count[v] := 0;
      for e: entry_t do undefine vsb_addr[v][e]; vsb_val[v][e] := 0; end;
    end;
    for r: req_t do
      target[r] := t; kicks_left[r] := KICKS; rpc[r] := R_PICK;
      rsb_count[r] := 0;
      for e: entry_t do undefine rsb_addr[r][e]; rsb_val[r][e] := 0; end;
    end;
  end;
end;

ruleset v: vcpu_t do
  rule "kvm_request_pending" vpc[v] = V_CHECK ==>
  begin if requests[v] != 0 then vpc[v] := V_CLEAR; else vpc[v] := V_IRQOFF; endif; end;

  rule "clear_bit; smp_mb__after_atomic" vpc[v] = V_CLEAR & vsb_count[v] = 0 ==>
  begin requests[v] := 0; vpc[v] := V_IRQOFF; end;

  rule "local_irq_disable" vpc[v] = V_IRQOFF ==>
  begin irqs_disabled[v] := true; vpc[v] := V_SETMODE; end;

  rule "WRITE_ONCE(mode, IN_GUEST_MODE)" vpc[v] = V_SETMODE & vsb_count[v] < DEPTH ==>
  begin store_mode(v, IN); vpc[v] := V_MB; end;

  rule "smp_mb" vpc[v] = V_MB & vsb_count[v] = 0 ==>
  begin vpc[v] := V_FINAL; end;

  rule "final kvm_request_pending" vpc[v] = V_FINAL ==>
  begin if requests[v] != 0 then vpc[v] := V_CANCEL; else vpc[v] := V_ENTER; endif; end;

  rule "cancel_injection" vpc[v] = V_CANCEL & vsb_count[v] < DEPTH ==>
  begin store_mode(v, OUTSIDE); irqs_disabled[v] := false; vpc[v] := V_CHECK; end;

  rule "VM-ENTER" vpc[v] = V_ENTER ==>
  begin in_guest[v] := true; irqs_disabled[v] := false; vpc[v] := V_GUEST; end;

  rule "VM-exit (guest)" vpc[v] = V_GUEST ==>
  begin in_guest[v] := false; irqs_disabled[v] := true; vpc[v] := V_EXIT; end;

  rule "WRITE_ONCE(mode, OUTSIDE_GUEST_MODE)" vpc[v] = V_EXIT & vsb_count[v] < DEPTH ==>
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

  rule "store buffer drains" vsb_count[v] > 0 ==>
  begin
    mode[vsb_addr[v][0]] := vsb_val[v][0];
    if vsb_count[v] = 2 then
      vsb_addr[v][0] := vsb_addr[v][1]; vsb_val[v][0] := vsb_val[v][1];
      undefine vsb_addr[v][1]; vsb_val[v][1] := 0;
    else
      undefine vsb_addr[v][0]; vsb_val[v][0] := 0;
    endif;
    vsb_count[v] := vsb_count[v] - 1;
  end;
end;

ruleset r: req_t; v: vcpu_t do
  rule "vcpu = kvm_get_vcpu(kvm, v)" rpc[r] = R_PICK ==>
  begin target[r] := v; rpc[r] := R_REQUEST; end;
end;

ruleset r: req_t do
  rule "kvm_make_request: smp_wmb; set_bit" rpc[r] = R_REQUEST & rsb_count[r] = 0 ==>
  begin requests[target[r]] := 1; rpc[r] := R_KICK; end;

  rule "smp_mb__before_atomic; cmpxchg(mode, IN, EXITING)" rpc[r] = R_KICK & rsb_count[r] = 0 ==>
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
