import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Frontier } from '../../../checker/state/frontier.ts';
import { intDomain, LayoutBuilder } from '../../../checker/state/layout.ts';
import { Links } from '../../../checker/state/links.ts';

function layout(domains: [number, number][]) {
  const b = new LayoutBuilder();
  domains.forEach(([min, max], i) => {
    b.add(`x${i}`, 'shared', -1, intDomain(min, max), min);
  });
  return b.build();
}

describe('Frontier', () => {
  it.each([
    [
      'bit-packed',
      [
        [-3, 200],
        [0, 1],
        [5, 9],
        [0, 1000],
        [-2, 2],
        [0, 2 ** 24 - 1],
      ] as [number, number][],
    ],
    [
      'as Int32s (a domain wider than 24 bits)',
      [
        [0, 2 ** 25],
        [-2, 2],
        [0, 1],
      ] as [number, number][],
    ],
  ])('is a FIFO of states with their index and fingerprint, %s', (_how, domains) => {
    const lay = layout(domains);
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.constant(null), fc.tuple(...domains.map(([min, max]) => fc.integer({ min, max })))),
          { maxLength: 300 },
        ),
        (ops) => {
          const q = new Frontier(lay, 2);
          const model: number[][] = [];
          const into = new Int32Array(domains.length);
          let n = 0;
          for (const op of ops) {
            if (op === null) {
              if (model.length === 0) continue;
              q.pop(into);
              const want = model.shift()!;
              expect([...into]).toEqual(want.slice(3));
              expect([q.index, q.hi, q.lo]).toEqual(want.slice(0, 3));
            } else {
              const state = Int32Array.from(op);
              const entry = [n, (n * 7) >>> 0, (n * 13 + 1) >>> 0];
              q.push(state, entry[0]!, entry[1]!, entry[2]!);
              model.push([...entry, ...op]);
              n++;
            }
            expect(q.length).toBe(model.length);
          }
        },
      ),
    );
  });

  it('packs slots into 32-bit words by the bits their domains need, none straddling two words', () => {
    const header = 64 * 12;
    // 32 booleans: one word; a 33rd starts another
    expect(new Frontier(layout(Array.from({ length: 32 }, () => [0, 1])), 64).byteLength).toBe(
      header + 64 * 4,
    );
    expect(new Frontier(layout(Array.from({ length: 33 }, () => [0, 1])), 64).byteLength).toBe(
      header + 64 * 8,
    );
    // 20 bits then 13 bits: two words
    expect(
      new Frontier(
        layout([
          [0, 2 ** 20 - 1],
          [0, 2 ** 13 - 1],
        ]),
        64,
      ).byteLength,
    ).toBe(header + 64 * 8);
    // past 24 bits, whole Int32s
    expect(new Frontier(layout([[0, 2 ** 24]]), 64).byteLength).toBe(header + 64 * 4);
  });
});

describe('Links', () => {
  it('rebuilds the path to a state across chunk boundaries', () => {
    const links = new Links(true, 4); // chunks of 16
    links.add(-1, 0); // initial state 0
    links.add(-1, 1); // initial state 1
    let prev = 1;
    for (let i = 0; i < 50; i++) prev = links.add(prev, i + 10);
    expect(links.length).toBe(52);
    expect(links.byteLength).toBe(4 * 16 * 6);
    const path = links.pathTo(prev);
    expect(path.initial).toBe(1);
    expect(path.actions).toEqual(Array.from({ length: 50 }, (_, i) => i + 10));
    expect(links.pathTo(0)).toEqual({ initial: 0, actions: [] });
  });
});
