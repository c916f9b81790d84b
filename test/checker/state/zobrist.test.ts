import { describe, expect, it } from 'vitest';
import { MEMORY_MODELS } from '../../../checker/memory/index.ts';
import { instantiate } from '../../../checker/model/define.ts';
import { Zobrist } from '../../../checker/state/zobrist.ts';
import { loadCatalog } from '../../../models/index.ts';
import { litmus } from '../../fixtures/models.ts';

/**
 * The search updates a fingerprint from the slots a step recorded as written. That is only
 * sound if every step (and every memory model's own step) records every slot it changes: check
 * it transition by transition on every shipped model, variant and memory model.
 */
function checkModel(model: ReturnType<typeof instantiate>, limit: number): number {
  const z = Zobrist.forLayout(model.layout)!;
  const ref = Zobrist.forLayout(model.layout)!;
  const seen = new Set<string>();
  const queue: Int32Array[] = model.initialStates();
  let checked = 0;
  while (queue.length > 0 && seen.size < limit) {
    const s = queue.shift()!;
    const key = s.join();
    if (seen.has(key)) continue;
    seen.add(key);
    ref.full(s);
    const hi = ref.hi;
    const lo = ref.lo;
    const out = new Int32Array(s.length);
    model.successors(s, out, (t) => {
      if (t.error !== null) return;
      z.updateWritten(s, out, hi, lo, t.writes, t.nWrites);
      ref.full(out);
      if (z.hi !== ref.hi || z.lo !== ref.lo) {
        const missing = [...out.keys()].filter(
          (i) => out[i] !== s[i] && !t.writes.subarray(0, t.nWrites).includes(i),
        );
        throw new Error(
          `${model.name}: ${model.actions[t.action]!.name} changed slots it did not record: ${missing.map((i) => model.layout.slots[i]!.name).join(', ')}`,
        );
      }
      checked++;
      queue.push(out.slice());
    });
  }
  return checked;
}

describe('incremental fingerprints', () => {
  it('equal the full fingerprint on every transition of every model, variant and memory model', async () => {
    const catalog = await loadCatalog();
    let total = 0;
    for (const def of [...catalog.values(), litmus]) {
      for (const variant of Object.keys(def.variants)) {
        for (const memory of MEMORY_MODELS.keys()) {
          total += checkModel(instantiate(def, { variant, memory }), 1500);
        }
      }
    }
    expect(total).toBeGreaterThan(1000);
  });
});
