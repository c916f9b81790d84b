import type { Context } from '../memory/context.ts';
import type { ModelDefinition } from '../model/define.ts';

/**
 * Tells an instrumented Context which step is running. The engine numbers actions only when it
 * compiles a model; an analysis that must know "which step called this smp_mb()" wraps each
 * step's effect (and each interrupt handler) at build time so that it first writes its number
 * into a probe. Builds are deterministic, so the same step gets the same number in every build.
 */
export interface StepProbe {
  /** The running step's number in `steps`, or -1 outside an effect (guards, memory-model steps). */
  step: number;
}

export interface MarkedStep {
  readonly process: number;
  readonly processName: string;
  /** The code a process runs: its symmetry class, else its name without a trailing number. */
  readonly role: string;
  readonly label: string;
  readonly name: string;
  /** Index among the steps of its process (the same for every process of a role built by one loop). */
  readonly index: number;
}

export function roleOf(processName: string, symmetryClass: string | undefined): string {
  return symmetryClass ?? processName.replace(/\d+$/, '');
}

/** A definition whose build numbers every step into `steps` and makes it report itself to `probe`. */
export function markSteps(def: ModelDefinition, probe: StepProbe, steps: MarkedStep[]): ModelDefinition {
  return {
    ...def,
    build(b, config) {
      def.build(b, config);
      steps.length = 0;
      for (const p of b.processes) {
        const role = roleOf(p.name, p.symmetryClass);
        p.steps.forEach((st, i) => {
          const id = steps.length;
          steps.push({
            process: p.index,
            processName: p.name,
            role,
            label: p.labels[st.label]!,
            name: st.name,
            index: i,
          });
          const effect = st.effect;
          p.steps[i] = {
            ...st,
            effect: (c: Context) => {
              probe.step = id;
              return effect(c);
            },
          };
        });
        if (p.interrupt) {
          const intr = p.interrupt;
          const id = steps.length;
          steps.push({
            process: p.index,
            processName: p.name,
            role,
            label: '*',
            name: intr.name,
            index: p.steps.length,
          });
          const handler = intr.handler;
          p.interrupt = {
            ...intr,
            handler: (c, at) => {
              probe.step = id;
              return handler ? handler(c, at) : undefined;
            },
          };
        }
      }
    },
  };
}

/**
 * The kernel primitive (checker/kernel/*) on the current call stack nearest to the model, e.g.
 * `set_bit` or `spin_lock`; null when the model called the Context directly. Costly: call it
 * once per newly discovered operation, never per state.
 */
export function kernelCaller(): string | null {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  let found: string | null = null;
  for (const line of stack.split('\n')) {
    const m = /at (?:async )?(?:[\w$.]+\.)?([\w$]+) \((.*)\)/.exec(line.trim());
    const inKernel = m !== null && /[/\\]checker[/\\]kernel[/\\]/.test(m[2]!);
    if (inKernel) found = m![1]!;
    else if (found !== null) break;
  }
  return found;
}
