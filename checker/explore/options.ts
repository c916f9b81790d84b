import type { FairnessSpec } from './fairness.ts';

/** Options of an exhaustive run: one readonly object, validated before exploring. */
export interface SearchOptions {
  /** Fairness for the liveness properties, replacing each property's own (see fairness.ts). */
  readonly fairness?: FairnessSpec;
  /** Stop (incomplete) after this many distinct states. */
  readonly maxStates?: number;
  /** Do not expand states deeper than this (incomplete if any had successors). */
  readonly maxDepth?: number;
  /** Seconds before stopping (incomplete). */
  readonly timeLimit?: number;
  /** Cap on the bytes of the search structures; reaching it ends the run incomplete. */
  readonly memoryCapBytes?: number;
  /** 'report': a non-final state without enabled steps is a violation of `deadlock`. */
  readonly deadlock?: 'report' | 'off';
  /** Names of the invariants / reachable properties to check; default all. */
  readonly properties?: readonly string[];
  /** Called about every `progressMs` with the running counts (never in tests unless asked). */
  readonly progress?: (p: Progress) => void;
  readonly progressMs?: number;
  /** Aborting ends the run as `incomplete` (reason interrupted) with what was explored. */
  readonly signal?: AbortSignal;
  /**
   * How states are fingerprinted: 'incremental' (Zobrist keys, updated from the parent by the
   * slots that changed; the default where domains are small enough) or 'full' (hash every slot).
   */
  readonly fingerprint?: 'incremental' | 'full';
  /**
   * 'on': explore one representative per class of states equal up to a permutation of the
   * processes the model declares symmetric (vCPUs); traces come back in real process numbers.
   */
  readonly symmetry?: 'on' | 'off';
  /**
   * 'on': partial-order reduction (checker/explore/por.ts): from each state expand only an ample
   * set of transitions that provably commute with everything the other processes can still do.
   */
  readonly por?: 'on' | 'off';
  /** States explored in full before the partial-order reduction starts (default 10,000; tests lower it). */
  readonly porWarmupStates?: number;
  /**
   * Worker threads of the exhaustive safety search (checker/explore/parallel.ts); 1 = this thread.
   * 'auto': this thread first, then one worker per core if the search outgrows
   * AUTO_WORKERS_AFTER states (starting workers costs about a second, more than most runs take).
   */
  readonly workers?: number | 'auto';
}

export interface Progress {
  readonly states: number;
  readonly transitions: number;
  readonly queue: number;
  readonly depth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
}

export const DEFAULT_MEMORY_CAP = 8 * 1024 ** 3;

/** States a `workers: 'auto'` search explores in one thread before it starts the workers. */
export const AUTO_WORKERS_AFTER = 300_000;
