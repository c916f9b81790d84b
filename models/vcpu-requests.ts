/**
 * vCPU requests and kicks: the Dekker handshake between `vcpu->mode` and `vcpu->requests`.
 *
 * Follows Documentation/virtual/kvm/vcpu-requests.rst (Linux 4.13), "Ensuring Requests Are Seen"
 * and "IPI Reduction" (seed 001), and ../shared/PROTOCOLS.md section 1 (steps of V and R, S1, S3,
 * variants B1, B2 and B9). vCPU threads run the vcpu_enter_guest() loop; requester threads do
 * kvm_make_request() + kvm_vcpu_kick() with the cmpxchg IN_GUEST_MODE -> EXITING_GUEST_MODE
 * IPI reduction. Every step does at most one access to shared memory, so the memory model sees
 * every interleaving the hardware could produce.
 *
 * Not modelled here: sleeping vCPUs and kvm_vcpu_wake_up (vcpu-block), KVM_REQUEST_WAIT
 * (vcpu-requests-wait), requests with associated state (vcpu-requests-state), posted interrupts
 * (posted-interrupts), the same-CPU kick (which is why the final check does not need the
 * `mode == EXITING_GUEST_MODE` term of v6.x kvm_vcpu_exit_request).
 */
import { BOOL, defineModel, enumDomain, int, intDomain, type ProcessBuilder } from '../checker/index.ts';
import {
  clear_bit,
  cmpxchg,
  type IrqSlots,
  local_irq_disable,
  local_irq_enable,
  READ_ONCE,
  set_bit,
  smp_mb,
  smp_mb__after_atomic,
  smp_mb__before_atomic,
  smp_send_reschedule,
  smp_wmb,
  WRITE_ONCE,
} from '../checker/kernel/index.ts';
import { guestEntrySteps } from './_guest-entry.ts';

export const MODES = [
  'OUTSIDE_GUEST_MODE',
  'IN_GUEST_MODE',
  'EXITING_GUEST_MODE',
  'READING_SHADOW_PAGE_TABLES',
] as const;
export const OUTSIDE_GUEST_MODE = 0;
export const IN_GUEST_MODE = 1;
export const EXITING_GUEST_MODE = 2;
/** The request bit the requesters make (KVM_REQ_EVENT on x86; KVM_REQ_IRQ_PENDING on arm64). */
const KVM_REQ_EVENT = 0;

export default defineModel({
  name: 'vcpu-requests',
  title: 'vCPU requests, kicks and the mode/requests Dekker handshake',
  source:
    'vcpu-requests.rst "Ensuring Requests Are Seen", "IPI Reduction", "Request-less VCPU Kicks"; PROTOCOLS.md §1',
  params: {
    vcpus: int(1, 6, 2, 'vCPU threads, each on its own CPU'),
    requesters: int(1, 3, 1, 'threads making requests and kicking'),
    entries: int(1, 3, 2, 'guest entries each vCPU makes before it stops'),
    kicks: int(1, 3, 1, 'requests each requester makes (each to a vCPU it chooses)'),
  },
  variants: {
    fixed:
      'smp_mb() after the vCPU stores IN_GUEST_MODE; requester does set_bit + smp_mb__before_atomic + cmpxchg',
    'no-mb-vcpu':
      'B1: no smp_mb() between WRITE_ONCE(vcpu->mode, IN_GUEST_MODE) and the last kvm_request_pending()',
    'no-mb-requester':
      'B1, requester side: the request is a plain store and the mode a plain load, no fence between',
    'requestless-kick': 'B2: the requester updates interrupt state and kicks without making a request',
    'nonatomic-ipi-reduction':
      'B9 (constructed): the kicker reads IN_GUEST_MODE, sends the IPI, then writes EXITING_GUEST_MODE ' +
      '(no cmpxchg); breaks S3, and S1 once a second kicker trusts the stale EXITING_GUEST_MODE ' +
      '(--property noLostRequest)',
  },
  // B9 needs one vCPU and two kickers (PROTOCOLS.md §10).
  variantParams: { 'nonatomic-ipi-reduction': { vcpus: 1, requesters: 2 } },
  build(b, { params, variant }) {
    const vcpus = params.vcpus as number;
    const requesters = params.requesters as number;
    const entries = params.entries as number;
    const kicks = params.kicks as number;
    const requestless = variant === 'requestless-kick';
    const nonatomic = variant === 'nonatomic-ipi-reduction';

    const mode = b.sharedArray('vcpu->mode', vcpus, enumDomain(MODES), OUTSIDE_GUEST_MODE);
    const requests = b.sharedArray('vcpu->requests', vcpus, intDomain(0, 1));
    // B2's "interrupt state" (arm's vgic pending state), copied into hardware before entry.
    const irqLine = requestless ? b.sharedArray('vgic.irq_pending', vcpus, BOOL) : [];

    const vcpuProcs: ProcessBuilder[] = [];
    const cpu: IrqSlots[] = [];
    const inGuest: number[] = [];
    const hwIrq: number[] = [];

    for (let v = 0; v < vcpus; v++) {
      const V = b.process(`vcpu${v}`, { symmetry: 'vcpu' });
      vcpuProcs.push(V);
      const guest = V.local('in_guest', BOOL);
      inGuest.push(guest);
      const left = V.local('entries_left', intDomain(0, entries), entries);
      const hw = requestless ? V.local('hw_irq', BOOL) : -1;
      hwIrq.push(hw);

      const L = {
        check: V.label('check_requests'),
        clear: V.label('kvm_check_request'),
        flush: requestless ? V.label('flush_hwstate') : -1,
        irqOff: V.label('local_irq_disable'),
        setMode: V.label('set_mode'),
        mb: variant === 'no-mb-vcpu' ? -1 : V.label('smp_mb'),
        final: V.label('final_check'),
        cancel: V.label('cancel_injection'),
        enter: V.label('vm_enter'),
        guest: V.label('in_guest'),
        exit: V.label('vm_exit'),
        irqOn: V.label('local_irq_enable'),
      };
      const afterRequests = requestless ? L.flush : L.irqOff;

      // The host takes a pending reschedule IPI whenever interrupts are on; in the guest it
      // forces a VM-exit (interrupts stay blocked on exit until local_irq_enable()).
      const irq = V.interruptible('IPI taken', (c, at) => {
        if (at !== L.guest) return;
        c.set(guest, 0);
        c.set(irq.irqsOff, 1);
        return L.exit;
      });
      cpu.push(irq);

      V.step('check_requests', 'kvm_request_pending(vcpu)', (c) =>
        READ_ONCE(c, requests[v]!) !== 0 ? L.clear : afterRequests,
      );
      V.step(
        'kvm_check_request',
        'kvm_check_request(): clear_bit(req, &vcpu->requests); smp_mb__after_atomic()',
        (c) => {
          clear_bit(c, KVM_REQ_EVENT, requests[v]!);
          smp_mb__after_atomic(c);
          return afterRequests;
        },
      );
      if (requestless) {
        V.step('flush_hwstate', 'kvm_vgic_flush_hwstate(vcpu): copy pending irqs to hardware', (c) => {
          c.set(hw, READ_ONCE(c, irqLine[v]!));
        });
      }
      guestEntrySteps(
        V,
        { mode: mode[v]!, requests: requests[v]!, inGuest: guest, irq },
        { fence: variant !== 'no-mb-vcpu', retry: L.check },
      );
      V.step('in_guest', 'VM-exit (guest exits on its own: HLT, MMIO, ...)', (c) => {
        c.set(guest, 0);
        local_irq_disable(c, irq);
      });
      // The guest may also never exit by itself (say it spins waiting for the interrupt it was
      // sent): then only an IPI gets it out. A self-loop, so no new state; without it fairness
      // would force an exit and no request could stay stranded forever (requestHandled).
      V.step('in_guest', 'guest keeps running (no exit of its own)', () => L.guest);
      V.step('vm_exit', 'WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE); smp_wmb()', (c) => {
        WRITE_ONCE(c, mode[v]!, OUTSIDE_GUEST_MODE);
        smp_wmb(c);
      });
      V.step('local_irq_enable', 'local_irq_enable()', (c) => {
        local_irq_enable(c, irq);
        const n = c.get(left) - 1;
        c.set(left, n);
        return n > 0 ? L.check : V.done;
      });
    }

    const requesterProcs: ProcessBuilder[] = [];
    const targets: number[] = [];
    const inFlight: number[][] = [];
    /** Per requester, the labels between its IN->EXITING transition and its IPI (S3). */
    const transitioned: number[][] = [];
    for (let r = 0; r < requesters; r++) {
      const R = b.process(`requester${r}`);
      requesterProcs.push(R);
      const target = R.local('vcpu', intDomain(0, vcpus - 1));
      targets.push(target);
      const left = R.local('kicks_left', intDomain(0, kicks), kicks);
      const L = {
        pick: R.label('pick_vcpu'),
        request: R.label('make_request'),
        kick: R.label('kick'),
        ipi: R.label('send_ipi'),
        exiting: nonatomic ? R.label('set_exiting') : -1,
        next: R.label('next'),
      };
      inFlight.push(nonatomic ? [L.request, L.kick, L.ipi, L.exiting] : [L.request, L.kick, L.ipi]);
      // The cmpxchg makes "saw IN" and "wrote EXITING" one step, and the IPI follows; B9 writes
      // EXITING only after its IPI, so no label of it stands between transition and IPI.
      transitioned.push(nonatomic ? [] : [L.ipi]);

      for (let v = 0; v < vcpus; v++) {
        R.step('pick_vcpu', `vcpu = kvm_get_vcpu(kvm, ${v})`, (c) => {
          c.set(target, v);
        });
      }
      if (variant === 'fixed' || variant === 'no-mb-vcpu' || nonatomic) {
        R.step(
          'make_request',
          'kvm_make_request(req, vcpu): smp_wmb(); set_bit(req, &vcpu->requests)',
          (c) => {
            smp_wmb(c);
            set_bit(c, KVM_REQ_EVENT, requests[c.get(target)]!);
          },
        );
      } else if (variant === 'no-mb-requester') {
        R.step('make_request', 'WRITE_ONCE(vcpu->requests, BIT(req))  /* plain store, no fence */', (c) => {
          WRITE_ONCE(c, requests[c.get(target)]!, 1 << KVM_REQ_EVENT);
        });
      } else {
        R.step(
          'make_request',
          'vgic_update_irq_pending(): WRITE_ONCE(irq->pending, 1)  /* no request */',
          (c) => {
            WRITE_ONCE(c, irqLine[c.get(target)]!, 1);
          },
        );
      }
      if (variant === 'no-mb-requester') {
        R.step('kick', 'kvm_vcpu_kick(): if (READ_ONCE(vcpu->mode) == IN_GUEST_MODE)', (c) =>
          READ_ONCE(c, mode[c.get(target)]!) === IN_GUEST_MODE ? L.ipi : L.next,
        );
      } else if (nonatomic) {
        // The Dekker fence stays (smp_mb), so the only bug is the split read / write of the mode.
        R.step('kick', 'kvm_vcpu_kick(): smp_mb(); if (READ_ONCE(vcpu->mode) == IN_GUEST_MODE)', (c) => {
          smp_mb(c);
          return READ_ONCE(c, mode[c.get(target)]!) === IN_GUEST_MODE ? L.ipi : L.next;
        });
      } else {
        R.step(
          'kick',
          'kvm_vcpu_kick(): smp_mb__before_atomic(); cmpxchg(&vcpu->mode, IN_GUEST_MODE, EXITING_GUEST_MODE)',
          (c) => {
            smp_mb__before_atomic(c);
            return cmpxchg(c, mode[c.get(target)]!, IN_GUEST_MODE, EXITING_GUEST_MODE) === IN_GUEST_MODE
              ? L.ipi
              : L.next;
          },
        );
      }
      R.step('send_ipi', 'smp_send_reschedule(vcpu->cpu)', (c) => {
        smp_send_reschedule(c, cpu[c.get(target)]!);
      });
      if (nonatomic) {
        R.step('set_exiting', 'WRITE_ONCE(vcpu->mode, EXITING_GUEST_MODE)  /* after the IPI */', (c) => {
          WRITE_ONCE(c, mode[c.get(target)]!, EXITING_GUEST_MODE);
        });
      }
      R.step('next', 'kvm_vcpu_kick() returns', (c) => {
        const n = c.get(left) - 1;
        c.set(left, n);
        return n > 0 ? L.pick : R.done;
      });
    }

    b.symmetry(
      'vcpu',
      vcpuProcs,
      [mode, requests, cpu.map((x) => x.pending), ...(requestless ? [irqLine] : [])],
      targets,
    );

    /** Some requester is between making its request for `v` and the end of its kick. */
    const kickerInFlight = (s: Int32Array, v: number): boolean => {
      for (let r = 0; r < requesters; r++) {
        const R = requesterProcs[r]!;
        if (s[targets[r]!] === v && inFlight[r]!.includes(s[R.pcSlot]!)) return true;
      }
      return false;
    };

    b.invariant(
      'noLostRequest',
      'S1: a vCPU never runs in the guest with work pending (a request, or for B2 interrupt state not yet ' +
        'in hardware) while no IPI is pending for it and no kicker is still on its way',
      (s) => {
        for (let v = 0; v < vcpus; v++) {
          if (s[inGuest[v]!] !== 1 || s[cpu[v]!.pending] !== 0) continue;
          const work = s[requests[v]!] !== 0 || (requestless && s[irqLine[v]!] === 1 && s[hwIrq[v]!] === 0);
          if (work && !kickerInFlight(s, v)) return false;
        }
        return true;
      },
    );
    b.invariant(
      'exitingImpliesIpi',
      'S3: a vCPU in the guest whose mode is EXITING_GUEST_MODE has an IPI pending, or the kicker ' +
        'that made the IN->EXITING transition is about to send it',
      (s) => {
        for (let v = 0; v < vcpus; v++) {
          if (s[mode[v]!] !== EXITING_GUEST_MODE || s[inGuest[v]!] !== 1 || s[cpu[v]!.pending] !== 0)
            continue;
          let sending = false;
          for (let r = 0; r < requesters && !sending; r++)
            sending = s[targets[r]!] === v && transitioned[r]!.includes(s[requesterProcs[r]!.pcSlot]!);
          if (!sending) return false;
        }
        return true;
      },
    );
    b.reachable(
      'kickSendsIpi',
      'a kick sends an IPI to a vCPU in guest mode (the racy window is entered)',
      (s) => {
        for (let v = 0; v < vcpus; v++)
          if (s[cpu[v]!.pending] === 1 && s[mode[v]!] !== OUTSIDE_GUEST_MODE) return true;
        return false;
      },
    );
    // vcpu0 stands for every vCPU (they are symmetric). Handled: kvm_check_request() cleared the
    // request (B2: the interrupt state reached the hardware), or the vCPU thread has stopped,
    // which ends the obligation because the workload here is bounded.
    const v0 = vcpuProcs[0]!;
    const v0done = v0.done;
    const pending0 = (s: Int32Array): boolean =>
      s[requests[0]!] !== 0 || (requestless && s[irqLine[0]!] === 1 && s[hwIrq[0]!] === 0);
    b.leadsTo(
      'requestHandled',
      'every request made of vcpu0 is eventually handled (for B2: its interrupt reaches the hardware), ' +
        'unless its thread has stopped',
      pending0,
      (s) => !pending0(s) || s[v0.pcSlot] === v0done,
    );
  },
});
