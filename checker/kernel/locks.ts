import type { Context } from '../memory/context.ts';
import { type Domain, intDomain } from '../state/layout.ts';

/**
 * Sleeping and spinning locks. A lock slot holds 0 when free and owner+1 when held, so a
 * deadlock report can say who holds what. Taking a lock is an acquire RMW (under tso: LOCK
 * cmpxchg, which waits for the store buffer); a held lock disables the step (the thread waits).
 * Releasing is a release store (under tso: a plain store that may sit in the buffer).
 */
export const LOCK_DOMAIN: Domain = intDomain(0, 64);

export function lockHolder(value: number): number {
  return value - 1;
}

export function spin_lock(c: Context, lock: number): void {
  if (c.cmpxchg(lock, 0, c.proc + 1) !== 0) c.block();
}

/** spin_trylock: returns whether the lock was taken; never waits. */
export function spin_trylock(c: Context, lock: number): boolean {
  return c.cmpxchg(lock, 0, c.proc + 1) === 0;
}

export function spin_unlock(c: Context, lock: number): void {
  c.storeRelease(lock, 0);
}

export const mutex_lock = spin_lock;
export const mutex_unlock = spin_unlock;
