import type { Property } from '../model/model.ts';

/**
 * The per-state safety check every exhaustive search runs on each new state (one thread, the
 * liveness graph, each worker): the invariants, then the reachable properties not yet witnessed.
 */
export class SafetyCheck {
  /** Per reachable property: 1 once some state witnessed it. */
  readonly witnessed: Uint8Array;
  private unwitnessed: number;

  constructor(
    readonly invariants: readonly Property[],
    readonly reachables: readonly Property[],
  ) {
    this.witnessed = new Uint8Array(reachables.length);
    this.unwitnessed = reachables.length;
  }

  /** The index of the first invariant `s` violates, or -1 (then `s` is checked for witnesses). */
  check(s: Int32Array): number {
    const invariants = this.invariants;
    for (let i = 0; i < invariants.length; i++) if (!invariants[i]!.check(s)) return i;
    if (this.unwitnessed > 0) {
      const reachables = this.reachables;
      for (let i = 0; i < reachables.length; i++) {
        if (this.witnessed[i] === 0 && reachables[i]!.check(s)) {
          this.witnessed[i] = 1;
          this.unwitnessed--;
        }
      }
    }
    return -1;
  }
}
