import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADD_FULL,
  ADD_NEW,
  ADD_SEEN,
  collisionProbability,
  FingerprintSet,
} from '../../../checker/state/fingerprint-set.ts';

describe('FingerprintSet', () => {
  it('adds a state once and recognises it afterwards', () => {
    const set = new FingerprintSet(1 << 20, 4);
    const s = Int32Array.of(1, 2, 3);
    expect(set.add(s, 3)).toBe(ADD_NEW);
    expect(set.add(s, 3)).toBe(ADD_SEEN);
    expect(set.has(s, 3)).toBe(true);
    expect(set.has(Int32Array.of(1, 2, 4), 3)).toBe(false);
    expect(set.size).toBe(1);
  });

  it('grows by doubling and keeps every member', () => {
    const set = new FingerprintSet(1 << 26, 4);
    const s = new Int32Array(2);
    for (let i = 0; i < 10_000; i++) {
      s[0] = i;
      s[1] = i * 7;
      expect(set.add(s, 2)).toBe(ADD_NEW);
    }
    expect(set.size).toBe(10_000);
    expect(set.bytes).toBeGreaterThanOrEqual(10_000 * 8);
    for (let i = 0; i < 10_000; i++) {
      s[0] = i;
      s[1] = i * 7;
      expect(set.has(s, 2)).toBe(true);
    }
  });

  it('reports full instead of growing past its byte cap', () => {
    const set = new FingerprintSet(8 * 16, 3); // room for 16 slots, i.e. 12 states at three-quarters load
    const s = new Int32Array(1);
    let full = -1;
    for (let i = 0; i < 100; i++) {
      s[0] = i;
      if (set.add(s, 1) === ADD_FULL) {
        full = i;
        break;
      }
    }
    expect(full).toBe(12);
  });

  it('behaves as a set of distinct arrays (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 3, maxLength: 3 }), {
          maxLength: 200,
        }),
        (arrays) => {
          const set = new FingerprintSet(1 << 20, 2);
          const seen = new Set<string>();
          for (const a of arrays) {
            const r = set.add(Int32Array.from(a), 3);
            expect(r).toBe(seen.has(a.join()) ? ADD_SEEN : ADD_NEW);
            seen.add(a.join());
          }
          expect(set.size).toBe(seen.size);
        },
      ),
    );
  });

  it('estimates the collision probability with the birthday bound', () => {
    expect(collisionProbability(1)).toBe(0);
    expect(collisionProbability(2 ** 32)).toBeCloseTo(0.5, 3);
  });
});
