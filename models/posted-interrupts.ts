/**
 * Posted interrupts: the PIR / ON handshake with vcpu->mode, a request-less kick that is correct
 * because it keeps the Dekker shape.
 *
 * Follows Documentation/virtual/kvm/vcpu-requests.rst (Linux 4.13), "Request-less VCPU Kicks"
 * (the x86 posted-interrupt exception: "PIR.ON is set before reading vcpu->mode; dually, in the
 * VCPU thread, vmx_sync_pir_to_irr() reads PIR after setting vcpu->mode to IN_GUEST_MODE"; seed
 * 001), and ../shared/PROTOCOLS.md section 1: the steps of V (v6.x vcpu_enter_guest with
 * sync_pir_to_irr) and of P (__vmx_deliver_posted_interrupt), property S5, variant B7.
 *
 * The sender sets the vector's PIR bit and ON with value-returning (fully ordered) RMWs, then
 * sends the notification IPI only if the vCPU is IN_GUEST_MODE; otherwise kvm_vcpu_wake_up(),
 * relying on the vCPU to move PIR into vIRR before its next entry. The vCPU stores IN_GUEST_MODE,
 * fences, then syncs PIR to vIRR. A notification that arrives in the guest (or is pending at
 * VM-entry) is handled by the CPU without a VM-exit: posted-interrupt processing clears ON and
 * moves PIR into vIRR. In the host it is just acknowledged; PIR waits for the next entry's sync.
 *
 * Not modelled: vcpu->requests and kicks (vcpu-requests), so the final kvm_vcpu_exit_request()
 * check is left out; blocking, so kvm_vcpu_wake_up() has nobody to wake (vcpu-block covers it);
 * the fastpath re-entry loop, the sender being the vCPU itself, the nested-VMX path, and more than
 * one vector (one PIR bit stands for the 256-bit PIR).
 */
import { BOOL, defineModel, enumDomain, int, intDomain, type ProcessBuilder } from '../checker/index.ts';
import {
  clear_bit,
  type IrqSlots,
  local_irq_disable,
  local_irq_enable,
  READ_ONCE,
  smp_mb,
  smp_mb__after_atomic,
  smp_send_reschedule,
  smp_store_release,
  smp_wmb,
  test_and_set_bit,
  WRITE_ONCE,
  xchg,
} from '../checker/kernel/index.ts';
import { IN_GUEST_MODE, MODES, OUTSIDE_GUEST_MODE } from './vcpu-requests.ts';

/** The one vector the senders post (bit 0 of the model's one-word PIR). */
const VECTOR = 0;
/** POSTED_INTR_ON: the outstanding-notification bit of the descriptor's control word. */
const POSTED_INTR_ON = 0;

export default defineModel({
  name: 'posted-interrupts',
  title:
    'Posted interrupts: PIR/ON against vcpu->mode (a request-less kick kept correct by the Dekker fence)',
  source: 'vcpu-requests.rst "Request-less VCPU Kicks" (posted interrupts); PROTOCOLS.md §1 (S5; B7)',
  params: {
    senders: int(1, 2, 1, 'threads posting the interrupt (__vmx_deliver_posted_interrupt)'),
    entries: int(1, 3, 2, 'guest entries the vCPU makes before it stops'),
  },
  variants: {
    fixed:
      'vcpu_enter_guest: smp_store_release(mode, IN_GUEST_MODE); smp_mb__after_srcu_read_unlock(); ' +
      'sync_pir_to_irr()',
    'pi-no-mb': 'B7: no full fence between the IN_GUEST_MODE store and the ON/PIR loads of sync_pir_to_irr',
  },
  build(b, { params, variant }) {
    const senders = params.senders as number;
    const entries = params.entries as number;
    const fence = variant !== 'pi-no-mb';

    const mode = b.shared('vcpu->mode', enumDomain(MODES), OUTSIDE_GUEST_MODE);
    const pir = b.shared('pi_desc.pir', intDomain(0, 1));
    const on = b.shared('pi_desc.control', intDomain(0, 1));
    const inHwPi = b.ghost('posted_in_guest', BOOL);

    const V = b.process('vcpu0');
    const guest = V.local('in_guest', BOOL);
    const virr = V.local('vIRR', BOOL);
    const left = V.local('entries_left', intDomain(0, entries), entries);
    const L = {
      irqOff: V.label('local_irq_disable'),
      setMode: V.label('set_mode'),
      mb: fence ? V.label('smp_mb') : -1,
      testOn: V.label('pi_test_on'),
      clearOn: V.label('pi_clear_on'),
      updateIrr: V.label('kvm_apic_update_irr'),
      enter: V.label('vm_enter'),
      guest: V.label('in_guest'),
      hwClearOn: V.label('pi_hw_clear_on'),
      hwSync: V.label('pi_hw_sync_irr'),
      exit: V.label('vm_exit'),
      irqOn: V.label('local_irq_enable'),
    };

    // In the guest the notification vector starts posted-interrupt processing (no VM-exit; no
    // further interrupt is recognised until it completes); in the host the handler only
    // acknowledges it.
    const irq: IrqSlots = V.interruptible('posted-interrupt notification taken', (c, at) => {
      if (at !== L.guest) return;
      c.set(irq.irqsOff, 1);
      return L.hwClearOn;
    });

    V.step('local_irq_disable', 'preempt_disable(); local_irq_disable()', (c) => {
      local_irq_disable(c, irq);
    });
    V.step('set_mode', 'smp_store_release(&vcpu->mode, IN_GUEST_MODE)', (c) => {
      smp_store_release(c, mode, IN_GUEST_MODE);
    });
    if (fence) {
      V.step(
        'smp_mb',
        'kvm_vcpu_srcu_read_unlock(); smp_mb__after_srcu_read_unlock()  /* full fence */',
        (c) => {
          smp_mb(c);
        },
      );
    }
    V.step('pi_test_on', 'vmx_sync_pir_to_irr(): if (pi_test_on(&vmx->pi_desc))', (c) =>
      READ_ONCE(c, on) !== 0 ? L.clearOn : L.enter,
    );
    V.step('pi_clear_on', 'pi_clear_on(&vmx->pi_desc); smp_mb__after_atomic()', (c) => {
      clear_bit(c, POSTED_INTR_ON, on);
      smp_mb__after_atomic(c);
    });
    V.step(
      'kvm_apic_update_irr',
      'kvm_apic_update_irr(): pir_val = xchg(&pir[i], 0); vIRR |= pir_val',
      (c) => {
        if (xchg(c, pir, 0) !== 0) c.set(virr, 1);
      },
    );
    V.step('vm_enter', 'VM-ENTER (interrupts enabled in the guest)', (c) => {
      c.set(guest, 1);
      local_irq_enable(c, irq);
    });
    V.step('in_guest', 'VM-exit (guest exits on its own: HLT, MMIO, ...)', (c) => {
      c.set(guest, 0);
      local_irq_disable(c, irq);
      return L.exit;
    });
    // Or the guest never exits by itself (it spins waiting for the interrupt): only the
    // notification delivers the vector then. A self-loop, no new state (interruptDelivered).
    V.step('in_guest', 'guest keeps running (no exit of its own)', () => L.guest);
    V.step(
      'pi_hw_clear_on',
      'posted-interrupt processing (CPU, in the guest): clear ON (locked AND)',
      (c) => {
        clear_bit(c, POSTED_INTR_ON, on);
        c.set(inHwPi, 1);
      },
    );
    V.step('pi_hw_sync_irr', 'posted-interrupt processing: vIRR |= PIR; PIR = 0 (atomically)', (c) => {
      if (xchg(c, pir, 0) !== 0) c.set(virr, 1);
      local_irq_enable(c, irq);
      return L.guest;
    });
    V.step('vm_exit', 'WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE); smp_wmb()', (c) => {
      WRITE_ONCE(c, mode, OUTSIDE_GUEST_MODE);
      smp_wmb(c);
    });
    V.step(
      'local_irq_enable',
      'local_irq_enable()  /* a pending notification is only acknowledged */',
      (c) => {
        local_irq_enable(c, irq);
        const n = c.get(left) - 1;
        c.set(left, n);
        return n > 0 ? L.irqOff : V.done;
      },
    );

    const senderProcs: ProcessBuilder[] = [];
    const inFlight: number[][] = [];
    for (let p = 0; p < senders; p++) {
      const P = b.process(`sender${p}`);
      senderProcs.push(P);
      const SL = {
        pir: P.label('pi_test_and_set_pir'),
        on: P.label('pi_test_and_set_on'),
        trigger: P.label('kvm_vcpu_trigger_posted_interrupt'),
        send: P.label('send_notification'),
      };
      inFlight.push([SL.on, SL.trigger, SL.send]);
      P.step(
        'pi_test_and_set_pir',
        '__vmx_deliver_posted_interrupt(): if (pi_test_and_set_pir(vector)) return',
        (c) => (test_and_set_bit(c, VECTOR, pir) ? P.done : undefined),
      );
      P.step(
        'pi_test_and_set_on',
        'if (pi_test_and_set_on(&vmx->pi_desc)) return  /* full barrier */',
        (c) => (test_and_set_bit(c, POSTED_INTR_ON, on) ? P.done : undefined),
      );
      P.step(
        'kvm_vcpu_trigger_posted_interrupt',
        'if (vcpu->mode == IN_GUEST_MODE) send the notification; else kvm_vcpu_wake_up()  /* nobody sleeps here */',
        (c) => (READ_ONCE(c, mode) === IN_GUEST_MODE ? undefined : P.done),
      );
      P.step('send_notification', 'apic->send_IPI_mask(vcpu->cpu, POSTED_INTR_VECTOR)', (c) => {
        smp_send_reschedule(c, irq);
        return P.done;
      });
    }

    b.invariant(
      'noStrandedPostedInterrupt',
      'S5: the guest never runs with a vector in PIR (not yet in vIRR) while no notification is pending ' +
        'and no sender is still on its way',
      (s) => {
        if (!V.at(s, L.guest) || s[pir] === 0 || s[irq.pending] !== 0) return true;
        for (let p = 0; p < senders; p++) if (inFlight[p]!.includes(s[senderProcs[p]!.pcSlot]!)) return true;
        return false;
      },
    );
    b.reachable(
      'notificationInGuest',
      'a notification reaches the vCPU in the guest and posted-interrupt processing moves PIR to vIRR',
      (s) => s[inHwPi] === 1,
    );
    // The point of the handshake: a posted vector reaches vIRR without waiting for an unrelated
    // VM-exit. Stopping the vCPU thread ends the obligation, since the workload is bounded.
    const vDone = V.done;
    b.leadsTo(
      'interruptDelivered',
      'a posted vector is eventually moved from PIR into vIRR, unless the vCPU thread has stopped',
      (s) => s[pir] !== 0,
      (s) => s[pir] === 0 || s[V.pcSlot] === vDone,
    );
  },
});
