import type { Context } from '../memory/context.ts';

/**
 * Interrupts and IPIs. A CPU's IPI stays pending while its interrupts are disabled and is taken
 * at the first point they are enabled, including right after guest entry (which enables them):
 * see ProcessBuilder.interruptible, which declares the two slots used here.
 */
export interface IrqSlots {
  readonly irqsOff: number;
  readonly pending: number;
}

export function local_irq_disable(c: Context, cpu: IrqSlots): void {
  c.set(cpu.irqsOff, 1);
}

export function local_irq_enable(c: Context, cpu: IrqSlots): void {
  c.set(cpu.irqsOff, 0);
}

/** smp_send_reschedule(cpu): the IPI becomes pending on `target` at once. */
export function smp_send_reschedule(c: Context, target: IrqSlots): void {
  c.set(target.pending, 1);
}
