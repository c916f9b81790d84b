import type { Context } from '../memory/context.ts';
import { type Domain, intDomain } from '../state/layout.ts';
import type { LockClass } from '../state/lock-class.ts';

/**
 * Sleeping and spinning locks. A lock slot holds 0 when free and owner+1 when held, so a
 * deadlock report can say who holds what. Taking a lock is an acquire RMW (under tso: LOCK
 * cmpxchg, which waits for the store buffer); a held lock disables the step (the thread waits).
 * Releasing is a release store (under tso: a plain store that may sit in the buffer).
 *
 * A shared slot declared with LOCK_DOMAIN (or with `b.lock(name)`) is registered as a lock, so
 * the lock-order graph and deadlock reports see it.
 */
export const LOCK_DOMAIN: Domain = intDomain(0, 64);

/** The one mode of a mutex or spinlock. */
export const LOCK_EXCLUSIVE = 1;

export function lockHolder(value: number): number {
  return value - 1;
}

/** The LockClass of a mutex or spinlock whose state is the slot `ref`. */
export function mutexClass(name: string, ref: number): LockClass {
  return {
    name,
    kind: 'lock',
    slots: [ref],
    modes: ['', ''],
    held: (s, p) => (s[ref] === p + 1 ? LOCK_EXCLUSIVE : 0),
    conflicts: () => true,
    blockers: (s) => (s[ref] !== 0 ? [{ process: lockHolder(s[ref]!), how: 'holds it' }] : []),
  };
}

export function spin_lock(c: Context, lock: number): void {
  if (c.lockHook !== null) c.lockEvent(c.layout.lockOf[lock] ?? -1, LOCK_EXCLUSIVE);
  if (!c.lockAcquire(lock, c.proc + 1)) c.block();
}

/** spin_trylock: returns whether the lock was taken; never waits (so it adds no lock-order edge). */
export function spin_trylock(c: Context, lock: number): boolean {
  return c.lockAcquire(lock, c.proc + 1);
}

export function spin_unlock(c: Context, lock: number): void {
  c.unlockRelease(lock);
}

export const mutex_lock = spin_lock;
export const mutex_unlock = spin_unlock;
