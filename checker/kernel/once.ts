import type { Context } from '../memory/context.ts';
import { Fence } from '../memory/context.ts';

/** READ_ONCE(x): a single plain load of shared memory. */
export function READ_ONCE(c: Context, ref: number): number {
  return c.load(ref);
}

/** WRITE_ONCE(x, v): a single plain store (buffered under tso). */
export function WRITE_ONCE(c: Context, ref: number, v: number): void {
  c.store(ref, v);
}

export function smp_load_acquire(c: Context, ref: number): number {
  return c.loadAcquire(ref);
}

export function smp_store_release(c: Context, ref: number, v: number): void {
  c.storeRelease(ref, v);
}

/** smp_store_mb(x, v): WRITE_ONCE then smp_mb(); as one step it is enabled only once the buffer can drain. */
export function smp_mb(c: Context): void {
  c.fence(Fence.mb);
}

export function smp_wmb(c: Context): void {
  c.fence(Fence.wmb);
}

export function smp_rmb(c: Context): void {
  c.fence(Fence.rmb);
}

export function smp_mb__before_atomic(c: Context): void {
  c.fence(Fence.beforeAtomic);
}

export function smp_mb__after_atomic(c: Context): void {
  c.fence(Fence.afterAtomic);
}

/**
 * READ_ONCE(*p) where `p` was computed from the value of an earlier load (an address dependency:
 * `p = rcu_dereference(gp); v = READ_ONCE(p->field)`). LKMM orders it after that load; under
 * `relaxed` an ordinary READ_ONCE could see a value older than the pointer it followed.
 */
export function READ_ONCE_DEP(c: Context, ref: number): number {
  return c.loadDependent(ref);
}
