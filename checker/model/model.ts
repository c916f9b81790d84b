import type { Context } from '../memory/context.ts';
import type { Layout } from '../state/layout.ts';
import type { Params } from './params.ts';

/**
 * The engine's view of a model (DESIGN.md "The engine's view of a model"): a layout, initial
 * states, and a successor function that writes each successor into a reused buffer and reports
 * it with a reused Transition record. Explorers, reductions and renderers see only this.
 */

export type ActionKind = 'step' | 'interrupt' | 'memory';

export interface ActionInfo {
  readonly id: number;
  readonly process: number;
  /** The pc label the action is enabled at ('*' for interrupts and memory-model steps). */
  readonly label: string;
  /** What a reader sees in a trace: the kernel code the step stands for. */
  readonly name: string;
  readonly kind: ActionKind;
  readonly ops: readonly string[];
}

export interface ProcessInfo {
  readonly index: number;
  readonly name: string;
  readonly pcSlot: number;
  readonly labels: readonly string[];
  readonly symmetry: string | undefined;
}

/** One transition, reported through `emit`; the record is reused, copy what you keep. */
export interface Transition {
  action: number;
  process: number;
  /** Slots the step read and wrote (the partial-order reduction's input). */
  reads: Int32Array;
  nReads: number;
  writes: Int32Array;
  nWrites: number;
  /** Name of an assertion the step failed, or null. */
  failed: string | null;
  /** A model error raised by the step (it threw, or wrote outside a domain), or null. */
  error: string | null;
}

export interface Property {
  readonly name: string;
  readonly description: string;
  readonly check: (s: Int32Array) => boolean;
}

export interface RunConfig {
  readonly variant: string;
  readonly params: Params;
  readonly memory: string;
  readonly bufferDepth: number;
}

export interface Model {
  readonly name: string;
  readonly config: RunConfig;
  readonly layout: Layout;
  readonly processes: readonly ProcessInfo[];
  readonly actions: readonly ActionInfo[];
  readonly invariants: readonly Property[];
  readonly reachables: readonly Property[];
  initialStates(): Int32Array[];
  successors(s: Int32Array, out: Int32Array, emit: (t: Transition) => void): void;
  /** Runs one action from `s` into `out`; returns the transition, or null when it is disabled. */
  fire(s: Int32Array, action: number, out: Int32Array): Transition | null;
  isValidEnd(s: Int32Array): boolean;
  /** Stores of process `p` still invisible to the others (empty under sc). */
  pendingStores(s: Int32Array, p: number): { ref: number; value: number }[];
  /** The context steps run in; exposed for tests of the memory models. */
  readonly context: Context;
}
