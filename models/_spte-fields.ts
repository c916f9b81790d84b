/**
 * Spte bit fields for the MMU models (fast-pf-aba, dirty-bit, access-tracking).
 *
 * The kernel updates an spte as one 64-bit word with one cmpxchg64/xchg, so a model keeps all
 * of its fields in one shared slot: bit i of the slot is the i-th field named here. The domain
 * carries a printable name per value, so traces read `spte = pfn1|A|MMU_W|HOST_W` rather than
 * a number.
 */
import type { Domain } from '../checker/index.ts';

/**
 * A domain of all 2^fields.length packings; value 0 (a cleared spte) prints as `0`. `prefix`
 * (e.g. the pfn every non-zero value maps) leads the name of every other value.
 */
export function bitfieldDomain(fields: readonly string[], prefix?: string): Domain {
  const n = 1 << fields.length;
  const names: string[] = [];
  for (let v = 0; v < n; v++) {
    const set = fields.filter((_, i) => (v & (1 << i)) !== 0);
    if (v !== 0 && prefix !== undefined) set.unshift(prefix);
    names.push(set.length === 0 ? '0' : set.join('|'));
  }
  return { min: 0, max: n - 1, names };
}

/** True when every bit of `mask` is set in `v`. */
export function has(v: number, mask: number): boolean {
  return (v & mask) === mask;
}
