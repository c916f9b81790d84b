import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderedLinks } from '../../../checker/state/ordered-links.ts';

describe('ordered parent links', () => {
  it('give back every parent and step, across checkpoints, chunks and large jumps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(
          fc.tuple(
            fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 250, max: 5000 })),
            fc.nat(300),
          ),
          {
            maxLength: 3000,
          },
        ),
        fc.constantFrom(8, 10, 16),
        (inits, steps, chunkBits) => {
          const links = new OrderedLinks(301, chunkBits);
          const parents: number[] = [];
          const vias: number[] = [];
          for (let i = 0; i < inits; i++) {
            links.add(-1, i);
            parents.push(-1);
            vias.push(i);
          }
          let p = 0;
          for (const [grow, via] of steps) {
            p += grow;
            links.add(p, via);
            parents.push(p);
            vias.push(via);
          }
          for (let i = 0; i < parents.length; i++) {
            expect(links.parent(i)).toBe(parents[i]);
            expect(links.via(i)).toBe(vias[i]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rebuild the path to a state, and refuse parents out of BFS order', () => {
    const links = new OrderedLinks(10);
    links.add(-1, 0); // 0
    links.add(0, 3); // 1
    links.add(0, 4); // 2
    links.add(2, 7); // 3
    expect(links.pathTo(3)).toEqual({ initial: 0, actions: [4, 7] });
    expect(() => links.add(1, 0)).toThrow(/not BFS order/);
  });

  it('cost about two bytes a state with fewer than 256 steps', () => {
    const links = new OrderedLinks(200);
    for (let i = 0; i < 1 << 16; i++) links.add(i >> 1, 1);
    expect(links.byteLength / links.length).toBeLessThan(2.1);
  });
});
