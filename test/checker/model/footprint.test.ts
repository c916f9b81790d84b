import { describe, expect, it } from 'vitest';
import { instantiate } from '../../../checker/model/define.ts';
import { footprintOf } from '../../../checker/model/footprint.ts';
import type { Model } from '../../../checker/model/model.ts';
import { intDomain, LayoutBuilder } from '../../../checker/state/layout.ts';
import { loadCatalog } from '../../../models/index.ts';

/** The reachable states of a small model (at most `cap`), breadth first. */
function reachable(model: Model, cap: number): Int32Array[] {
  const seen = new Set<string>();
  const out: Int32Array[] = [];
  const queue = model.initialStates();
  const buf = new Int32Array(model.layout.size);
  while (queue.length > 0 && out.length < cap) {
    const s = queue.shift()!;
    const key = s.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
    model.successors(s, buf, () => queue.push(buf.slice()));
  }
  return out;
}

describe('static footprints', () => {
  it('branch over every value of each slot read, so every path is found', () => {
    const lb = new LayoutBuilder();
    const a = lb.add('a', 'shared', -1, intDomain(0, 2));
    const b = lb.add('b', 'shared', -1, intDomain(0, 1));
    const c = lb.add('c', 'shared', -1, intDomain(0, 1));
    const d = lb.add('d', 'shared', -1, intDomain(0, 1));
    const layout = lb.build();
    // d is written only when a == 2 and b == 1: one path in six
    const fp = footprintOf(
      layout,
      (probe) => {
        const s = probe.s;
        if (s[a] === 2 && s[b] === 1) {
          probe.mark();
          s[d] = s[c]!;
          probe.enabled();
        }
      },
      100,
    )!;
    expect([...fp.reads]).toEqual([a, b, c]);
    expect([...fp.writes]).toEqual([d]);
    expect([...fp.early]).toEqual([a, b]);
    expect(fp.paths).toBe(5); // a = 0, a = 1, (2, b = 0), then (2, 1) with c = 0 and c = 1
    expect(fp.enabling.map((p) => [...p.values])).toEqual([
      [2, 1, 0],
      [2, 1, 1],
    ]);
  });

  it('give up past the budget, or when the state is used other than by index', () => {
    const lb = new LayoutBuilder();
    for (let i = 0; i < 8; i++) lb.add(`x${i}`, 'shared', -1, intDomain(0, 9));
    const layout = lb.build();
    expect(
      footprintOf(layout, (p) => void [0, 1, 2, 3, 4].reduce((t, i) => t + p.s[i]!, 0), 1000),
    ).toBeNull();
    expect(footprintOf(layout, (p) => void p.s.subarray(0, 2), 1000)).toBeNull();
  });

  it('cover what every transition of the catalog models reads and writes', async () => {
    const catalog = await loadCatalog();
    let checked = 0;
    for (const def of catalog.values()) {
      for (const memory of ['sc', 'tso']) {
        const model = instantiate(def, { memory });
        const fps = model.actions.map((_, a) => model.footprint!(a, 4000));
        const out = new Int32Array(model.layout.size);
        for (const s of reachable(model, 400)) {
          model.successors(s, out, (t) => {
            const fp = fps[t.action];
            if (!fp) return;
            checked++;
            for (let k = 0; k < t.nReads; k++) expect(fp.reads).toContain(t.reads[k]);
            for (let k = 0; k < t.nWrites; k++) expect(fp.writes).toContain(t.writes[k]);
          });
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
