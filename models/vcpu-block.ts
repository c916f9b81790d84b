/**
 * Sleeping vCPUs: kvm_vcpu_block() (rcuwait + the kvm_vcpu_check_block() loop) against
 * kvm_make_all_cpus_request() with and without KVM_REQUEST_NO_WAKEUP.
 *
 * Follows Documentation/virtual/kvm/vcpu-requests.rst (Linux 4.13), "VCPU Kicks" (action 2,
 * waking a sleeping vCPU), "KVM_REQUEST_NO_WAKEUP" and "Sleeping VCPUs" (seed 001), and
 * ../shared/PROTOCOLS.md section 1: kvm_make_vcpu_request (v6.x), kvm_vcpu_wake_up, the L1 note
 * on kvm_vcpu_block / kvm_vcpu_check_block, properties S1 and L1, variant B8.
 *
 * The vCPU runs the vcpu_enter_guest() handshake of vcpu-requests until its guest executes HLT,
 * then blocks (virt/kvm/kvm_main.c v6.x):
 *
 *     prepare_to_rcuwait(wait);                        // w->task = current
 *     for (;;) {
 *         set_current_state(TASK_INTERRUPTIBLE);       // smp_store_mb(): xchg on x86
 *         if (kvm_vcpu_check_block(vcpu) < 0) break;   // here: kvm_check_request(KVM_REQ_UNBLOCK)
 *         schedule();                                  // sleeps until try_to_wake_up()
 *     }
 *     finish_rcuwait(wait);                            // w->task = NULL; TASK_RUNNING
 *
 * The requester runs kvm_make_all_cpus_request(kvm, KVM_REQ_UNBLOCK) (as vmx_pi_start_assignment
 * does): per vCPU, set the request, kvm_vcpu_wake_up() unless the request has NO_WAKEUP
 * (rcuwait_wake_up: smp_mb(); task = w->task; if (task) wake_up_process(task)), and if nobody was
 * woken, the IN_GUEST_MODE -> EXITING_GUEST_MODE cmpxchg; then the IPIs. The rcuwait pair is the
 * same Dekker shape as mode/requests: [S] w->task, [S] __state; MB; [L] requests on the sleeper's
 * side, [S] requests; MB; [L] w->task, [L] __state on the waker's.
 *
 * B8 (no-wakeup-misuse, constructed) sets KVM_REQUEST_NO_WAKEUP on this request: a vCPU asleep in
 * schedule() is not woken and, being OUTSIDE_GUEST_MODE, gets no IPI, so it sleeps forever with
 * the request pending. That is a liveness failure (L1), not a safety one: sleeping in schedule()
 * is a valid end state here (a halted guest with nothing to do sleeps forever too), so under the
 * safety checks B8 holds, and the liveness property L1 (eventually the blocked vCPU runs again
 * once a request that needs it is pending) is what will catch it.
 *
 * Not modelled: halt polling, signals and timers in kvm_vcpu_check_block, kvm_arch_vcpu_runnable
 * other than the request, vcpu->ready / preemption notifiers, KVM_REQUEST_WAIT (see
 * vcpu-requests-wait), the requester's own vCPU.
 */
import {
  BOOL,
  type Context,
  defineModel,
  enumDomain,
  int,
  intDomain,
  type ProcessBuilder,
} from '../checker/index.ts';
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
  smp_store_release,
  smp_wmb,
  WRITE_ONCE,
  xchg,
} from '../checker/kernel/index.ts';
import { guestEntrySteps } from './_guest-entry.ts';
import { EXITING_GUEST_MODE, IN_GUEST_MODE, MODES, OUTSIDE_GUEST_MODE } from './vcpu-requests.ts';

/** The only request here, so bit 0 of the model's bitmap (KVM_REQ_UNBLOCK is 2 in the kernel). */
const KVM_REQ_UNBLOCK = 0;
const KVM_REQUEST_MASK = 0xff;
const KVM_REQUEST_NO_WAKEUP = 1 << 8;

const TASK_STATES = ['TASK_RUNNING', 'TASK_INTERRUPTIBLE'] as const;
const TASK_RUNNING = 0;
const TASK_INTERRUPTIBLE = 1;
const WAIT_TASK = ['NULL', 'vcpu task'] as const;

export default defineModel({
  name: 'vcpu-block',
  title: 'Sleeping vCPUs: kvm_vcpu_block / kvm_vcpu_wake_up and KVM_REQUEST_NO_WAKEUP',
  source:
    'vcpu-requests.rst "VCPU Kicks", "KVM_REQUEST_NO_WAKEUP", "Sleeping VCPUs"; PROTOCOLS.md §1 (S1, L1; B8)',
  params: {
    vcpus: int(1, 3, 1, 'vCPU threads, each on its own CPU'),
    requesters: int(1, 2, 1, 'threads calling kvm_make_all_cpus_request(KVM_REQ_UNBLOCK)'),
    halts: int(1, 2, 1, 'times each guest executes HLT (and the vCPU blocks) before the thread stops'),
    calls: int(1, 2, 1, 'kvm_make_all_cpus_request calls each requester makes'),
  },
  variants: {
    fixed: 'kvm_make_all_cpus_request(kvm, KVM_REQ_UNBLOCK): kvm_vcpu_wake_up() wakes a blocked vCPU',
    'no-wakeup-misuse':
      'B8 (constructed): the request carries KVM_REQUEST_NO_WAKEUP, so a blocked vCPU is neither woken ' +
      'nor sent an IPI and sleeps forever; a liveness bug (L1): the safety checks hold',
  },
  build(b, { params, variant }) {
    const vcpus = params.vcpus as number;
    const requesters = params.requesters as number;
    const halts = params.halts as number;
    const calls = params.calls as number;
    const req = variant === 'no-wakeup-misuse' ? KVM_REQ_UNBLOCK | KVM_REQUEST_NO_WAKEUP : KVM_REQ_UNBLOCK;
    const wakes = (req & KVM_REQUEST_NO_WAKEUP) === 0;

    const mode = b.sharedArray('vcpu->mode', vcpus, enumDomain(MODES), OUTSIDE_GUEST_MODE);
    const requests = b.sharedArray('vcpu->requests', vcpus, intDomain(0, 1));
    const waitTask = b.sharedArray('vcpu->wait.task', vcpus, enumDomain(WAIT_TASK));
    const taskState = b.sharedArray('task->__state', vcpus, enumDomain(TASK_STATES), TASK_RUNNING);
    // The pending request asked for a wake-up (no NO_WAKEUP flag); cleared when the vCPU takes it.
    const wakeOwed = b.ghostArray('wake_requested', vcpus, BOOL);
    const woken = b.ghost('kvm_vcpu_wake_up_woke', BOOL);

    const vcpuProcs: ProcessBuilder[] = [];
    const cpu: IrqSlots[] = [];
    const inGuest: number[] = [];
    const schedule: number[] = [];

    for (let v = 0; v < vcpus; v++) {
      // No symmetry class: kvm_make_all_cpus_request visits the vCPUs in index order.
      const V = b.process(`vcpu${v}`);
      vcpuProcs.push(V);
      const guest = V.local('in_guest', BOOL);
      inGuest.push(guest);
      const hlt = V.local('hlt_exit', BOOL);
      const left = V.local('halts_left', intDomain(0, halts), halts);
      const L = {
        check: V.label('check_requests'),
        clear: V.label('kvm_check_request'),
        irqOff: V.label('local_irq_disable'),
        setMode: V.label('set_mode'),
        mb: V.label('smp_mb'),
        final: V.label('final_check'),
        cancel: V.label('cancel_injection'),
        enter: V.label('vm_enter'),
        guest: V.label('in_guest'),
        exit: V.label('vm_exit'),
        irqOn: V.label('local_irq_enable'),
        prepare: V.label('prepare_to_rcuwait'),
        setState: V.label('set_current_state'),
        checkBlock: V.label('kvm_vcpu_check_block'),
        unblock: V.label('kvm_check_request_unblock'),
        schedule: V.label('schedule'),
        finish: V.label('finish_rcuwait'),
        running: V.label('set_running'),
      };
      schedule.push(L.schedule);
      // Asleep in schedule() is a valid end: see the header (B8 is for the liveness property L1).
      V.endAt(L.schedule);

      const irq = V.interruptible('IPI taken', (c, at) => {
        if (at !== L.guest) return;
        c.set(guest, 0);
        c.set(irq.irqsOff, 1);
        return L.exit;
      });
      cpu.push(irq);

      const takeRequest = (c: Context): void => {
        clear_bit(c, KVM_REQ_UNBLOCK, requests[v]!);
        smp_mb__after_atomic(c);
        c.set(wakeOwed[v]!, 0);
      };

      // vcpu_enter_guest(), as in vcpu-requests.
      V.step('check_requests', 'kvm_request_pending(vcpu)', (c) =>
        READ_ONCE(c, requests[v]!) !== 0 ? L.clear : L.irqOff,
      );
      V.step(
        'kvm_check_request',
        'kvm_check_request(KVM_REQ_UNBLOCK): clear_bit(); smp_mb__after_atomic()',
        (c) => {
          takeRequest(c);
        },
      );
      guestEntrySteps(
        V,
        { mode: mode[v]!, requests: requests[v]!, inGuest: guest, irq },
        { fence: true, retry: L.check },
      );
      V.step('in_guest', 'VM-exit: the guest executed HLT', (c) => {
        c.set(guest, 0);
        c.set(hlt, 1);
        local_irq_disable(c, irq);
      });
      V.step('vm_exit', 'WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE); smp_wmb()', (c) => {
        WRITE_ONCE(c, mode[v]!, OUTSIDE_GUEST_MODE);
        smp_wmb(c);
      });
      V.step(
        'local_irq_enable',
        'local_irq_enable(); on a HLT exit: kvm_vcpu_halt() -> kvm_vcpu_block()',
        (c) => {
          local_irq_enable(c, irq);
          if (c.get(hlt) === 0) return L.check;
          c.set(hlt, 0);
          return L.prepare;
        },
      );

      // kvm_vcpu_block().
      V.step('prepare_to_rcuwait', 'prepare_to_rcuwait(wait): rcu_assign_pointer(w->task, current)', (c) => {
        smp_store_release(c, waitTask[v]!, 1);
      });
      V.step(
        'set_current_state',
        'set_current_state(TASK_INTERRUPTIBLE)  /* smp_store_mb(): xchg on x86 */',
        (c) => {
          xchg(c, taskState[v]!, TASK_INTERRUPTIBLE);
        },
      );
      V.step('kvm_vcpu_check_block', 'kvm_vcpu_check_block(): kvm_test_request(KVM_REQ_UNBLOCK)', (c) =>
        READ_ONCE(c, requests[v]!) !== 0 ? L.unblock : L.schedule,
      );
      V.step(
        'kvm_check_request_unblock',
        'kvm_check_request(KVM_REQ_UNBLOCK): clear_bit(); smp_mb__after_atomic(); break',
        (c) => {
          takeRequest(c);
          return L.finish;
        },
      );
      V.step('schedule', 'schedule()  /* sleeps until try_to_wake_up() makes it TASK_RUNNING */', (c) => {
        c.await(READ_ONCE(c, taskState[v]!) === TASK_RUNNING);
        return L.setState;
      });
      V.step('finish_rcuwait', 'finish_rcuwait(wait): rcu_assign_pointer(w->task, NULL)', (c) => {
        smp_store_release(c, waitTask[v]!, 0);
      });
      V.step('set_running', '__set_current_state(TASK_RUNNING); kvm_vcpu_block() returns', (c) => {
        WRITE_ONCE(c, taskState[v]!, TASK_RUNNING);
        const n = c.get(left) - 1;
        c.set(left, n);
        return n > 0 ? L.check : V.done;
      });
    }

    const requesterProcs: ProcessBuilder[] = [];
    const targets: number[] = [];
    const masks: number[] = [];
    /** Per requester: labels at which it still owes its target a wake-up, or an IPI decision. */
    const waking: number[][] = [];
    const deciding: number[][] = [];
    for (let r = 0; r < requesters; r++) {
      const R = b.process(`requester${r}`);
      requesterProcs.push(R);
      const target = R.local('vcpu', intDomain(0, vcpus - 1));
      targets.push(target);
      const mask = R.local('cpus', intDomain(0, (1 << vcpus) - 1));
      masks.push(mask);
      const left = R.local('calls_left', intDomain(0, calls), calls);
      const L = {
        request: R.label('kvm_make_request'),
        wake: wakes ? R.label('rcuwait_wake_up') : -1,
        ttwu: wakes ? R.label('wake_up_process') : -1,
        needsIpi: R.label('kvm_request_needs_ipi'),
        send: R.label('smp_call_function_many'),
      };
      waking.push(wakes ? [L.wake, L.ttwu] : []);
      deciding.push([L.wake, L.ttwu, L.needsIpi].filter((l) => l >= 0));

      const nextVcpu = (c: Context): number => {
        const v = c.get(target);
        if (v + 1 < vcpus) {
          c.set(target, v + 1);
          return L.request;
        }
        return L.send;
      };

      R.step(
        'kvm_make_request',
        wakes
          ? 'kvm_make_vcpu_request(vcpu, KVM_REQ_UNBLOCK): smp_wmb(); set_bit(req, &vcpu->requests)'
          : 'kvm_make_vcpu_request(vcpu, KVM_REQ_UNBLOCK | KVM_REQUEST_NO_WAKEUP): smp_wmb(); set_bit()',
        (c) => {
          const v = c.get(target);
          smp_wmb(c);
          set_bit(c, req & KVM_REQUEST_MASK, requests[v]!);
          if (wakes) c.set(wakeOwed[v]!, 1);
          return wakes ? L.wake : L.needsIpi;
        },
      );
      if (wakes) {
        R.step(
          'rcuwait_wake_up',
          'kvm_vcpu_wake_up() -> rcuwait_wake_up(): smp_mb(); task = w->task',
          (c) => {
            smp_mb(c);
            return READ_ONCE(c, waitTask[c.get(target)]!) !== 0 ? L.ttwu : L.needsIpi;
          },
        );
        R.step(
          'wake_up_process',
          'wake_up_process(task): try_to_wake_up(): TASK_INTERRUPTIBLE -> TASK_RUNNING',
          (c) => {
            if (
              cmpxchg(c, taskState[c.get(target)]!, TASK_INTERRUPTIBLE, TASK_RUNNING) !== TASK_INTERRUPTIBLE
            )
              return L.needsIpi; // still running: kvm_vcpu_wake_up() returns false, kick as usual
            c.set(woken, 1);
            return nextVcpu(c);
          },
        );
      }
      R.step(
        'kvm_request_needs_ipi',
        'kvm_request_needs_ipi(): smp_mb__before_atomic(); cmpxchg(&vcpu->mode, IN_GUEST_MODE, EXITING_GUEST_MODE)',
        (c) => {
          const v = c.get(target);
          smp_mb__before_atomic(c);
          if (cmpxchg(c, mode[v]!, IN_GUEST_MODE, EXITING_GUEST_MODE) === IN_GUEST_MODE)
            c.set(mask, c.get(mask) | (1 << v));
          return nextVcpu(c);
        },
      );
      R.step('smp_call_function_many', 'smp_call_function_many(cpus, ack_kick, NULL, wait = false)', (c) => {
        const m = c.get(mask);
        for (let v = 0; v < vcpus; v++) if (m & (1 << v)) smp_send_reschedule(c, cpu[v]!);
        c.set(mask, 0);
        c.set(target, 0);
        const n = c.get(left) - 1;
        c.set(left, n);
        return n > 0 ? L.request : R.done;
      });
    }

    /** Some requester has made its request of `v` and not yet finished waking / kicking it. */
    const inFlight = (s: Int32Array, v: number, labels: number[][], ipi: boolean): boolean => {
      for (let r = 0; r < requesters; r++) {
        const pc = s[requesterProcs[r]!.pcSlot]!;
        if (s[targets[r]!] === v && labels[r]!.includes(pc)) return true;
        // The IPIs go out together after the loop: a vCPU in the mask still has one coming.
        if (ipi && (s[masks[r]!]! & (1 << v)) !== 0) return true;
      }
      return false;
    };

    b.invariant(
      'noLostRequest',
      'S1: a vCPU never runs in the guest with a request pending while no IPI is pending for it and no ' +
        'requester is still on its way to it',
      (s) => {
        for (let v = 0; v < vcpus; v++) {
          if (s[inGuest[v]!] !== 1 || s[requests[v]!] === 0 || s[cpu[v]!.pending] !== 0) continue;
          if (!inFlight(s, v, deciding, true)) return false;
        }
        return true;
      },
    );
    b.invariant(
      'noLostWakeup',
      'the safety half of L1: a vCPU never sleeps in schedule() (TASK_INTERRUPTIBLE) with a request ' +
        'pending that asked for a wake-up once its requester is past kvm_vcpu_wake_up()',
      (s) => {
        for (let v = 0; v < vcpus; v++) {
          if (!vcpuProcs[v]!.at(s, schedule[v]!) || s[taskState[v]!] !== TASK_INTERRUPTIBLE) continue;
          if (s[requests[v]!] !== 0 && s[wakeOwed[v]!] === 1 && !inFlight(s, v, waking, false)) return false;
        }
        return true;
      },
    );
    b.reachable(
      'requestWhileAsleep',
      'a request is made of a vCPU asleep in kvm_vcpu_block() (the racy window is entered)',
      (s) => {
        for (let v = 0; v < vcpus; v++)
          if (
            vcpuProcs[v]!.at(s, schedule[v]!) &&
            s[taskState[v]!] === TASK_INTERRUPTIBLE &&
            s[requests[v]!] !== 0
          )
            return true;
        return false;
      },
    );
    b.reachable('kickSendsIpi', 'a kick sends an IPI to a vCPU in guest mode', (s) => {
      for (let v = 0; v < vcpus; v++)
        if (s[cpu[v]!.pending] === 1 && s[mode[v]!] !== OUTSIDE_GUEST_MODE) return true;
      return false;
    });
    // A NO_WAKEUP request never calls kvm_vcpu_wake_up(), so only a waking request can witness it.
    if (wakes) {
      b.reachable(
        'kickWakesVcpu',
        'kvm_vcpu_wake_up() wakes a vCPU asleep in kvm_vcpu_block()',
        (s) => s[woken] === 1,
      );
    }
    // L1 for vcpu0 (the others are alike): its thread stopping ends the obligation, since the
    // workload is bounded. B8 fails it: the vCPU sleeps in schedule() forever, request pending.
    const v0 = vcpuProcs[0]!;
    const v0done = v0.done;
    b.leadsTo(
      'requestHandled',
      'L1: every request made of vcpu0 is eventually handled (kvm_check_request takes it), unless its ' +
        'thread has stopped',
      (s) => s[requests[0]!] !== 0,
      (s) => s[requests[0]!] === 0 || s[v0.pcSlot] === v0done,
    );
  },
});
