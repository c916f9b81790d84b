import type { Context } from '../memory/context.ts';
import type { Layout } from '../state/layout.ts';
import type { Footprint } from './footprint.ts';
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
  /** Which of the memory model's ways of running the step this is (0 unless it has several). */
  readonly variant?: number;
}

export interface ProcessInfo {
  readonly index: number;
  readonly name: string;
  readonly pcSlot: number;
  readonly labels: readonly string[];
  readonly symmetry: string | undefined;
  /** Labels where the process may rest (its valid ends), e.g. for deadlock reports. */
  readonly endLabels?: readonly number[];
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

/**
 * How a liveness property treats the scheduler: `none` (any infinite run counts), `weak` (a unit
 * enabled continuously from some point on eventually moves) or `strong` (a unit enabled infinitely
 * often moves infinitely often). Units are the processes, each CPU's interrupt delivery and each
 * store buffer (see checker/explore/fairness.ts).
 */
export type Fairness = 'none' | 'weak' | 'strong';

export type LivenessKind = 'eventually' | 'leadsTo' | 'alwaysEventually';

/**
 * A progress property, checked on infinite runs (finite ones stutter forever in their last state):
 * `eventually` (`goal` holds in some state of every run), `leadsTo` (every `trigger` state is
 * followed, at once or later, by a `goal` state) and `alwaysEventually` (`goal` holds infinitely
 * often). A violation is a lasso: a prefix and a cycle repeated forever that is fair.
 */
export interface LivenessProperty {
  readonly name: string;
  readonly description: string;
  readonly kind: LivenessKind;
  /** leadsTo: the states that oblige progress; unused by the other kinds. */
  readonly trigger: (s: Int32Array) => boolean;
  readonly goal: (s: Int32Array) => boolean;
  /** Fairness assumed unless the run overrides it (default weak). */
  readonly fairness?: Fairness;
  /** Per-process exceptions, by process name (applies to the process, its IPIs and its store buffer). */
  readonly processFairness?: Readonly<Record<string, Fairness>>;
}

export interface RunConfig {
  readonly variant: string;
  readonly params: Params;
  readonly memory: string;
  readonly bufferDepth: number;
}

/**
 * How to build a model again in another thread: the module exporting its definition (by name)
 * and the instance options. Set by `instantiate` when the definition's module was registered.
 */
export interface ModelSource {
  readonly module: string;
  readonly name: string;
  readonly variant: string;
  readonly params: Params;
  readonly memory: string;
  readonly bufferDepth: number;
  readonly splitStores: boolean;
}

export interface Model {
  readonly name: string;
  readonly config: RunConfig;
  /** Where the model comes from, for worker threads (absent: only this thread can build it). */
  readonly source?: ModelSource;
  readonly layout: Layout;
  readonly processes: readonly ProcessInfo[];
  readonly actions: readonly ActionInfo[];
  readonly invariants: readonly Property[];
  readonly reachables: readonly Property[];
  /** Progress properties (absent or empty: the model declares none). */
  readonly liveness?: readonly LivenessProperty[];
  initialStates(): Int32Array[];
  successors(s: Int32Array, out: Int32Array, emit: (t: Transition) => void): void;
  /** Runs one action from `s` into `out`; returns the transition, or null when it is disabled. */
  fire(s: Int32Array, action: number, out: Int32Array): Transition | null;
  isValidEnd(s: Int32Array): boolean;
  /** Stores of process `p` still invisible to the others (empty under sc). */
  pendingStores(s: Int32Array, p: number): { ref: number; value: number }[];
  /** The memory model's address slots of process `p` (see MemoryInstance.addressSlots); null if it keeps none, undefined if unknown. */
  addressSlots(p: number): { count: number; addrs: readonly number[] } | null | undefined;
  /** The deferred-store slots of process `p` (splitStores), laid out like a one-entry buffer. */
  deferredSlots?(p: number): { count: number; addrs: readonly number[] } | null;
  /**
   * Every slot `action` may read or write from any state (checker/model/footprint.ts), or null
   * when that takes more than `budget` paths; absent: unknown (no partial-order reduction).
   */
  footprint?(action: number, budget: number): Footprint | null;
  /** The actions process `p` may take when its pc holds `label`: the steps there, then its interrupts and memory actions. */
  actionsAt?(p: number, label: number): readonly number[];
  /** The context steps run in; exposed for tests of the memory models. */
  readonly context: Context;
}
