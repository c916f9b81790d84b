import type { RunConfig } from '../model/model.ts';
import type { Trace } from '../trace/trace.ts';

/** Every run ends in exactly one verdict (DESIGN.md "State and search"). */
export type Verdict = 'holds' | 'violated' | 'incomplete' | 'error';

export type PropertyKind = 'invariant' | 'reachable' | 'assertion' | 'deadlock';

export type IncompleteReason = 'max-states' | 'max-depth' | 'time-limit' | 'memory' | 'interrupted';

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
}

interface Common {
  readonly model: string;
  readonly config: RunConfig;
  readonly stats: Stats;
  /** Properties checked in this run. */
  readonly properties: readonly string[];
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
