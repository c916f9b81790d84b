import type { RunConfig } from '../model/model.ts';
import type { Trace } from '../trace/trace.ts';
import type { CoverageReport } from './coverage.ts';

/** Every run ends in exactly one verdict (DESIGN.md "State and search"). */
export type Verdict = 'holds' | 'violated' | 'incomplete' | 'error';

export type PropertyKind = 'invariant' | 'reachable' | 'assertion' | 'deadlock' | 'liveness';

/** `random`: a random search ran all its walks; it proves nothing, so it never says `holds`. */
export type IncompleteReason =
  | 'max-states'
  | 'max-depth'
  | 'time-limit'
  | 'memory'
  | 'interrupted'
  | 'random';

export interface Stats {
  /** Distinct states found. */
  states: number;
  /** Transitions taken (successors generated, new or not). */
  transitions: number;
  /** Length of the longest shortest path explored (BFS depth). */
  depth: number;
  seconds: number;
  statesPerSecond: number;
  /** Estimated probability that a fingerprint collision hid a state. */
  collisionProbability: number;
  /** Peak bytes of the search structures (visited set, parent links, queue) per distinct state. */
  bytesPerState: number;
  /** Largest BFS frontier held at once. */
  queuePeak: number;
}

export interface Violation {
  readonly property: string;
  readonly kind: PropertyKind;
  readonly description: string;
  /** Null for a `reachable` property, which fails by having no witness. */
  readonly trace: Trace | null;
  /** For a deadlock: what each stuck process waits for and who holds it. */
  readonly waitsFor?: readonly WaitsFor[];
}

/** One stuck process of a deadlock (checker/explore/waits-for.ts). */
export interface WaitsFor {
  readonly process: string;
  readonly label: string;
  /** The kernel text of the step it is stuck at. */
  readonly step: string;
  /** The lock it waits for, or null when its step waits on a plain condition. */
  readonly lock: string | null;
  readonly mode: string;
  /** True for a sleep that only a wake-up ends (an rcuwait), false for a lock. */
  readonly sleeping: boolean;
  readonly holders: readonly { readonly process: string; readonly how: string }[];
}

interface Common {
  readonly model: string;
  readonly config: RunConfig;
  readonly stats: Stats;
  /** Properties checked in this run. */
  readonly properties: readonly string[];
  /** The fairness the liveness properties of this run assumed, in words (absent without liveness). */
  readonly fairness?: string;
  /** Reductions in force, e.g. `symmetry over vcpu (3)`, or why one asked for was not applied. */
  readonly reductions?: readonly string[];
  /** What an exhaustive search exercised: steps that never fired, vacuous invariants. */
  readonly coverage?: CoverageReport;
}

export type Result =
  | (Common & { readonly verdict: 'holds' })
  | (Common & { readonly verdict: 'violated'; readonly violation: Violation })
  | (Common & { readonly verdict: 'incomplete'; readonly reason: IncompleteReason; readonly detail: string })
  | (Common & { readonly verdict: 'error'; readonly message: string; readonly trace: Trace | null });

/** Exit codes shared by every command (DESIGN.md): 0 holds, 1 violated, 2 bad input, 3 incomplete, 4 model error. */
export const EXIT = { holds: 0, violated: 1, badInput: 2, incomplete: 3, error: 4 } as const;

export function exitCodeOf(r: Result): number {
  switch (r.verdict) {
    case 'holds':
      return EXIT.holds;
    case 'violated':
      return EXIT.violated;
    case 'incomplete':
      return EXIT.incomplete;
    default:
      return EXIT.error;
  }
}
