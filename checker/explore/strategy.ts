/**
 * Schedulers for random walks: given the transitions enabled in a state (and the process of
 * each), pick one. A walk's whole schedule follows from the 32-bit seed `begin` receives, so a
 * walk is reproduced by its seed alone. Nothing here allocates after construction.
 */
export interface Strategy {
  /** Starts a walk. */
  begin(seed: number): void;
  /** Index (0..n-1) of the transition to take at `step`; procs[i] is the process of transition i. */
  pick(step: number, n: number, procs: Int32Array): number;
}

export type StrategyName = 'uniform' | 'pct';
export const STRATEGIES: readonly StrategyName[] = ['uniform', 'pct'];

/** xorshift32; a zero seed would stay zero, so it is replaced. */
function nextRandom(x: number): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x | 0;
}

const nonZero = (seed: number) => seed | 0 || 0x6d2b79f5;

/** Every enabled transition equally likely. */
export class UniformStrategy implements Strategy {
  private x = 1;

  begin(seed: number): void {
    this.x = nonZero(seed);
  }

  pick(_step: number, n: number, _procs: Int32Array): number {
    this.x = nextRandom(this.x);
    return (this.x >>> 0) % n;
  }
}

/**
 * PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized Scheduler with Probabilistic
 * Guarantees of Finding Bugs", ASPLOS 2010): processes get distinct random priorities d..d+n-1;
 * the highest-priority process with an enabled transition runs; at d-1 random change points the
 * running process drops to priority i (below every initial one). A bug that needs d ordering
 * constraints is found with probability at least 1/(n k^(d-1)) per walk of k steps. Among the
 * enabled transitions of the chosen process (a step, its store-buffer drain, a pending IPI), the
 * pick is uniform.
 */
export class PctStrategy implements Strategy {
  private x = 1;
  private readonly prio: Int32Array;
  private readonly changeAt: Int32Array;

  /**
   * @param processes number of processes
   * @param bound PCT's depth d: the run has d-1 change points
   * @param length the walk length k the change points are spread over
   */
  constructor(
    private readonly processes: number,
    bound: number,
    private readonly length: number,
  ) {
    this.prio = new Int32Array(processes);
    this.changeAt = new Int32Array(Math.max(0, bound - 1));
  }

  begin(seed: number): void {
    let x = nonZero(seed);
    const n = this.processes;
    const d = this.changeAt.length + 1;
    const prio = this.prio;
    for (let p = 0; p < n; p++) prio[p] = d + p;
    for (let p = n - 1; p > 0; p--) {
      x = nextRandom(x);
      const q = (x >>> 0) % (p + 1);
      const t = prio[p]!;
      prio[p] = prio[q]!;
      prio[q] = t;
    }
    for (let i = 0; i < this.changeAt.length; i++) {
      x = nextRandom(x);
      this.changeAt[i] = (x >>> 0) % this.length;
    }
    this.x = x;
  }

  pick(step: number, n: number, procs: Int32Array): number {
    const ch = this.changeAt;
    for (let i = 0; i < ch.length; i++) {
      if (ch[i] === step) this.prio[this.best(n, procs)] = i + 1;
    }
    const p = this.best(n, procs);
    let count = 0;
    for (let i = 0; i < n; i++) if (procs[i] === p) count++;
    this.x = nextRandom(this.x);
    let r = (this.x >>> 0) % count;
    for (let i = 0; i < n; i++) {
      if (procs[i] === p && r-- === 0) return i;
    }
    return 0;
  }

  /** The process with the highest priority among those with an enabled transition. */
  private best(n: number, procs: Int32Array): number {
    let p = procs[0]!;
    for (let i = 1; i < n; i++) if (this.prio[procs[i]!]! > this.prio[p]!) p = procs[i]!;
    return p;
  }
}
