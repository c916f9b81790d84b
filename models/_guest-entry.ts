/**
 * The guest-entry half of vcpu_enter_guest(), as vcpu-requests.rst "Ensuring Requests Are Seen"
 * gives it: disable interrupts, store IN_GUEST_MODE, smp_mb(), the last kvm_request_pending(),
 * then either cancel the entry or enter with interrupts enabled. Shared by the models of the
 * vCPU request family that run this loop unchanged (vcpu-requests, vcpu-block).
 */
import type { ProcessBuilder } from '../checker/index.ts';
import {
  type IrqSlots,
  local_irq_disable,
  local_irq_enable,
  READ_ONCE,
  smp_mb,
  smp_wmb,
  WRITE_ONCE,
} from '../checker/kernel/index.ts';

const OUTSIDE_GUEST_MODE = 0;
const IN_GUEST_MODE = 1;

export interface GuestEntrySlots {
  readonly mode: number;
  readonly requests: number;
  readonly inGuest: number;
  readonly irq: IrqSlots;
}

/**
 * Declares the steps local_irq_disable .. vm_enter of vCPU `V`, in that order. `fence: false`
 * leaves out the smp_mb() (vcpu-requests' B1); a cancelled entry goes back to label `retry`.
 */
export function guestEntrySteps(
  V: ProcessBuilder,
  s: GuestEntrySlots,
  opts: { fence: boolean; retry: number },
): void {
  const final = V.label('final_check');
  const cancel = V.label('cancel_injection');
  const enter = V.label('vm_enter');
  V.step('local_irq_disable', 'local_irq_disable()', (c) => {
    local_irq_disable(c, s.irq);
  });
  V.step('set_mode', 'WRITE_ONCE(vcpu->mode, IN_GUEST_MODE)', (c) => {
    WRITE_ONCE(c, s.mode, IN_GUEST_MODE);
    return opts.fence ? undefined : final;
  });
  if (opts.fence) {
    V.step('smp_mb', 'smp_mb()', (c) => {
      smp_mb(c);
    });
  }
  V.step('final_check', 'if (kvm_request_pending(vcpu))  /* last check before entry */', (c) =>
    READ_ONCE(c, s.requests) !== 0 ? cancel : enter,
  );
  V.step(
    'cancel_injection',
    'abort entry: WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE); smp_wmb(); local_irq_enable()',
    (c) => {
      WRITE_ONCE(c, s.mode, OUTSIDE_GUEST_MODE);
      smp_wmb(c);
      local_irq_enable(c, s.irq);
      return opts.retry;
    },
  );
  V.step('vm_enter', 'VM-ENTER (interrupts enabled in the guest)', (c) => {
    c.set(s.inGuest, 1);
    local_irq_enable(c, s.irq);
  });
}
