import type { Context } from '../memory/context.ts';
import { RmwOp } from '../memory/context.ts';

/** cmpxchg(ptr, old, new): returns the value found; fully ordered only when it succeeds. */
export function cmpxchg(c: Context, ref: number, old: number, v: number): number {
  return c.cmpxchg(ref, old, v);
}

/** xchg(ptr, v): returns the old value; fully ordered. */
export function xchg(c: Context, ref: number, v: number): number {
  return c.xchg(ref, v);
}

/** set_bit(nr, addr): atomic, returns nothing, unordered in LKMM. */
export function set_bit(c: Context, nr: number, ref: number): void {
  c.rmw(ref, RmwOp.or, 1 << nr, false);
}

/** clear_bit(nr, addr): atomic, returns nothing, unordered in LKMM. */
export function clear_bit(c: Context, nr: number, ref: number): void {
  c.rmw(ref, RmwOp.andNot, 1 << nr, false);
}

/** test_and_set_bit(nr, addr): value-returning, fully ordered. */
export function test_and_set_bit(c: Context, nr: number, ref: number): boolean {
  return (c.rmw(ref, RmwOp.or, 1 << nr, true) & (1 << nr)) !== 0;
}

/** test_and_clear_bit(nr, addr): value-returning, fully ordered. */
export function test_and_clear_bit(c: Context, nr: number, ref: number): boolean {
  return (c.rmw(ref, RmwOp.andNot, 1 << nr, true) & (1 << nr)) !== 0;
}

/** test_bit(nr, addr): a plain load. */
export function test_bit(c: Context, nr: number, ref: number): boolean {
  return (c.load(ref) & (1 << nr)) !== 0;
}

/** atomic_inc(v): unordered. */
export function atomic_inc(c: Context, ref: number): void {
  c.rmw(ref, RmwOp.add, 1, false);
}

/** atomic_dec(v): unordered. */
export function atomic_dec(c: Context, ref: number): void {
  c.rmw(ref, RmwOp.add, -1, false);
}

/** atomic_dec_and_test(v): value-returning, fully ordered; true when the result is zero. */
export function atomic_dec_and_test(c: Context, ref: number): boolean {
  return c.rmw(ref, RmwOp.add, -1, true) - 1 === 0;
}

/** atomic_inc_return(v): value-returning, fully ordered. */
export function atomic_inc_return(c: Context, ref: number): number {
  return c.rmw(ref, RmwOp.add, 1, true) + 1;
}
