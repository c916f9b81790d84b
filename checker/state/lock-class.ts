/**
 * What the engine knows of a lock: enough to say who holds it and who waits for whom, without
 * knowing what kind of lock it is. Kernel primitives (checker/kernel) describe their slots with
 * one LockClass each and register it in the layout; the lock-order graph (lockdep-style) and the
 * waits-for chain of a deadlock report read locks only through this interface.
 *
 * Modes are small positive numbers chosen by each primitive (a mutex has one, an rwsem two, SRCU
 * a read side and a grace-period wait); `modes[m]` names mode m ('' when a lock has only one).
 */
export interface LockClass {
  readonly name: string;
  /**
   * 'lock': held, and taking it while holding another makes a lock-order edge.
   * 'wait': a sleep (e.g. on an rcuwait) that is never held; only deadlock reports show it.
   */
  readonly kind: 'lock' | 'wait';
  /** The slots that hold the lock's state. */
  readonly slots: readonly number[];
  /** Mode names indexed by mode number; index 0 (not held) is unused. */
  readonly modes: readonly string[];
  /** The mode in which process `p` holds the lock in state `s`; 0 when it does not hold it. */
  held(s: Int32Array, p: number): number;
  /**
   * Whether taking the lock in mode `wanted` can wait for a holder in mode `held` (a lockdep
   * "strong" dependency): false for readers that never block readers.
   */
  conflicts(held: number, wanted: number): boolean;
  /** Who process `p`, trying the lock in mode `wanted` in state `s`, is waiting for, and why. */
  blockers(s: Int32Array, p: number, wanted: number): LockBlocker[];
}

export interface LockBlocker {
  readonly process: number;
  /** How that process blocks the waiter, e.g. 'holds it', 'is a queued writer'. */
  readonly how: string;
}

/** Names of the bit masks 0..2^n-1 over process indices, for readable traces: '-', '{0}', '{0,2}'. */
export function processMaskNames(n: number): string[] {
  return Array.from({ length: 1 << n }, (_, m) => {
    if (m === 0) return '-';
    const ps: number[] = [];
    for (let p = 0; p < n; p++) if (m & (1 << p)) ps.push(p);
    return `{${ps.join(',')}}`;
  });
}
