import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { instantiate } from '../../../checker/model/define.ts';
import { SymmetryReducer } from '../../../checker/state/symmetry.ts';
import { replaySteps } from '../../../checker/trace/replay.ts';
import { toSaved } from '../../../checker/trace/trace-file.ts';
import def from '../../../models/vcpu-requests.ts';
import { grid } from '../../fixtures/models.ts';

const variants = Object.keys(def.variants);

describe('symmetry reduction', () => {
  it.each(
    variants.flatMap((v) => ['sc', 'tso'].map((m) => [v, m] as const)),
  )('vcpu-requests %s under %s: same verdict and shortest-trace length, fewer states', async (variant, memory) => {
    const model = instantiate(def, { variant, memory, params: { vcpus: 3, entries: 1 } });
    const off = await explore(model, { symmetry: 'off' });
    const on = await explore(model, { symmetry: 'on' });
    expect(on.verdict).toBe(off.verdict);
    expect(on.stats.states).toBeLessThan(off.stats.states);
    expect(on.reductions).toEqual(['symmetry over vcpu (3)']);
    if (on.verdict === 'violated' && off.verdict === 'violated') {
      expect(on.violation.property).toBe(off.violation.property);
      expect(on.violation.trace!.steps.length).toBe(off.violation.trace!.steps.length);
      // the trace is in real vCPU numbers: it replays on the unreduced model
      const saved = toSaved(on.violation.trace!, on.violation.property, on.violation.kind);
      expect(replaySteps(model, saved.steps, on.violation.property).status).toBe('reproduced');
    }
  });

  it('keeps exactly one state per class of symmetric states (ties broken by where the state names a vCPU)', async () => {
    // 14,084 is the number of orbits of the 27,384 states under swapping the two vCPUs, counted
    // by brute force; Rumur's scalarset reduction (bench/reference/vcpu-requests-symmetric.m)
    // finds the same number
    const model = instantiate(def, { variant: 'fixed', memory: 'tso', params: { vcpus: 2 } });
    expect((await explore(model, { symmetry: 'off' })).stats.states).toBe(27384);
    expect((await explore(model, { symmetry: 'on' })).stats.states).toBe(14084);
  });

  it('incremental and full fingerprints agree on representatives', async () => {
    const model = instantiate(def, { variant: 'fixed', memory: 'tso', params: { vcpus: 3, entries: 1 } });
    const a = await explore(model, { symmetry: 'on' });
    const b = await explore(model, { symmetry: 'on', fingerprint: 'full' });
    expect(a.stats.states).toBe(b.stats.states);
    expect(a.stats.transitions).toBe(b.stats.transitions);
  });

  it('a representative is its own representative', async () => {
    const model = instantiate(def, { variant: 'fixed', memory: 'tso', params: { vcpus: 3, entries: 1 } });
    const reducer = SymmetryReducer.forModel(model) as SymmetryReducer;
    const seen: Int32Array[] = [model.initialStates()[0]!];
    const out = new Int32Array(model.layout.size);
    for (let i = 0; i < 300 && i < seen.length; i++) {
      model.successors(seen[i]!, out, () => {
        seen.push(out.slice());
      });
    }
    const c1 = new Int32Array(model.layout.size);
    const c2 = new Int32Array(model.layout.size);
    for (const s of seen) {
      reducer.canonicalize(s, c1);
      reducer.canonicalize(c1, c2);
      expect([...c2]).toEqual([...c1]);
    }
  });

  it('says why it cannot reduce a model that declares no symmetric class', async () => {
    const model = instantiate(grid, { memory: 'sc' });
    expect(SymmetryReducer.forModel(model)).toMatch(/declares no symmetric process class/);
    const r = await explore(model, { symmetry: 'on' });
    expect(r.verdict).toBe('holds');
    expect(r.reductions![0]).toMatch(/^no symmetry reduction/);
  });
});

describe('symmetry reduction and locks', () => {
  it('refuses a symmetric model whose locks record their holders', async () => {
    const { defineModel } = await import('../../../checker/model/define.ts');
    const { LOCK_DOMAIN, mutex_lock, mutex_unlock } = await import('../../../checker/kernel/locks.ts');
    const locked = defineModel({
      name: 'symmetric-lockers',
      title: 'two symmetric threads taking one mutex',
      source: 'test',
      params: {},
      variants: { fixed: 'lock, unlock' },
      build(b) {
        const m = b.shared('m', LOCK_DOMAIN);
        const ps = [0, 1].map((i) => {
          const P = b.process(`t${i}`, { symmetry: 't' });
          P.step('lock', 'mutex_lock(m)', (c) => mutex_lock(c, m));
          P.step('unlock', 'mutex_unlock(m)', (c) => mutex_unlock(c, m));
          return P;
        });
        b.symmetry('t', ps);
      },
    });
    const model = instantiate(locked, { memory: 'sc' });
    expect(SymmetryReducer.forModel(model)).toMatch(/has locks/);
    const r = await explore(model, { symmetry: 'on' });
    expect(r.verdict).toBe('holds');
    expect(r.reductions![0]).toMatch(/^no symmetry reduction: the model has locks/);
  });
});

describe('symmetry reduction and labels', () => {
  it('refuses members whose labels differ (a pc value would mean different steps)', async () => {
    const { defineModel } = await import('../../../checker/model/define.ts');
    const lopsided = defineModel({
      name: 'lopsided',
      title: 'two "symmetric" threads whose labels differ',
      source: 'test',
      params: {},
      variants: { fixed: 't1 has an extra label' },
      build(b) {
        const x = b.sharedArray('x', 2);
        const ps = [0, 1].map((i) => {
          const P = b.process(`t${i}`, { symmetry: 't' });
          if (i === 1) P.step('warmup', 'nothing', () => {});
          P.step('set', 'x = 1', (c) => c.store(x[i]!, 1));
          return P;
        });
        b.symmetry('t', ps, [x]);
      },
    });
    expect(SymmetryReducer.forModel(instantiate(lopsided, { memory: 'sc' }))).toMatch(
      /do not have the same labels/,
    );
  });
});
