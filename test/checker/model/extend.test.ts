import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { smp_mb, smp_wmb, xchg } from '../../../checker/kernel/index.ts';
import { ModelDefinitionError } from '../../../checker/model/compile.ts';
import { instantiate } from '../../../checker/model/define.ts';
import { extendModel, type ModelPatch } from '../../../checker/model/extend.ts';
import type { Result } from '../../../checker/report/result.ts';
import base, { IN_GUEST_MODE } from '../../../models/vcpu-requests.ts';

const patched = extendModel(base, {
  name: 'patched',
  variants: {
    'wmb-after-mode': {
      description: 'smp_wmb() for smp_mb()',
      patch(m) {
        for (const v of m.role('vcpu')) v.replace('smp_mb', 'smp_wmb()', (c) => smp_wmb(c));
      },
    },
    'no-mb': {
      description: 'the smp_mb() removed',
      patch(m) {
        for (const v of m.role('vcpu')) v.remove('smp_mb');
      },
    },
    'mb-before-mode': {
      description: 'the smp_mb() moved before the store',
      patch(m) {
        for (const v of m.role('vcpu')) {
          v.remove('smp_mb');
          v.insertBefore('set_mode', 'early_mb', 'smp_mb()', (c) => smp_mb(c));
        }
      },
    },
    'mb-after-mode': {
      description: 'B1 with an smp_mb() inserted after the store: the fixed protocol again',
      from: 'no-mb-vcpu',
      patch(m) {
        for (const v of m.role('vcpu')) v.insertAfter('set_mode', 'mb2', 'smp_mb()', (c) => smp_mb(c));
      },
    },
    'store-mb': {
      description: 'smp_store_mb(): an xchg',
      patch(m) {
        for (const v of m.role('vcpu')) {
          const mode = m.ref(`vcpu->mode[${v.nth}]`);
          v.replace('set_mode', 'smp_store_mb(vcpu->mode, IN_GUEST_MODE)', (c) => {
            xchg(c, mode, IN_GUEST_MODE);
          });
          v.remove('smp_mb');
        }
      },
    },
    'store-mb-then-wmb': {
      description: 'a patch of a patch',
      from: 'store-mb',
      patch(m) {
        m.process('vcpu0').insertAfter('set_mode', 'w', 'smp_wmb()', (c) => smp_wmb(c));
        m.process('vcpu1').insertAfter('set_mode', 'w', 'smp_wmb()', (c) => smp_wmb(c));
      },
    },
  },
});

const run = (variant: string, symmetry: 'on' | 'off' = 'off', def = patched) =>
  explore(instantiate(def, { variant, memory: 'tso' }), { symmetry });
const labels = (r: Result) =>
  r.verdict === 'violated' ? r.violation.trace!.steps.map((s) => `${s.processName}:${s.label}`) : [];

describe('extendModel', () => {
  it('keeps the base variants, built exactly as the base builds them', async () => {
    expect(Object.keys(patched.variants).slice(0, Object.keys(base.variants).length)).toEqual(
      Object.keys(base.variants),
    );
    const a = await run('fixed');
    const b = await run('fixed', 'off', base);
    expect(a.verdict).toBe('holds');
    expect(a.stats.states).toBe(b.stats.states);
  });

  it('replace: the step at a label runs new code, under the same label', async () => {
    const r = await run('wmb-after-mode');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('noLostRequest');
    const mb = r.violation.trace!.steps.find((s) => s.label === 'smp_mb')!;
    expect(mb.name).toBe('smp_wmb()');
  });

  it('remove: whatever went to the label goes on to the next one (the same as the B1 variant)', async () => {
    const removed = await run('no-mb');
    const b1 = await run('no-mb-vcpu');
    expect(labels(removed)).toEqual(labels(b1));
    expect(labels(removed)).not.toContain('vcpu0:smp_mb');
  });

  it('insertBefore: the new step runs first wherever the label was reached from', async () => {
    const r = await run('mb-before-mode');
    expect(r.verdict).toBe('violated');
    const l = labels(r);
    expect(l.indexOf('vcpu0:early_mb')).toBe(l.indexOf('vcpu0:set_mode') - 1);
  });

  it('insertAfter: from another variant; B1 plus an smp_mb() after the store is the fixed protocol', async () => {
    const r = await run('mb-after-mode');
    const fixed = await run('fixed');
    expect(r.verdict).toBe('holds');
    expect(r.stats.states).toBe(fixed.stats.states);
  });

  it('patches of patches, and a replacement that holds with fewer states', async () => {
    const mb = await run('store-mb');
    expect(mb.verdict).toBe('holds');
    expect(mb.stats.states).toBeLessThan((await run('fixed')).stats.states);
    expect((await run('store-mb-then-wmb')).verdict).toBe('holds');
  });

  it('numbers labels alike in symmetric processes, so symmetry reduction stays sound', async () => {
    for (const v of ['mb-before-mode', 'mb-after-mode', 'store-mb-then-wmb']) {
      const on = await run(v, 'on');
      const off = await run(v, 'off');
      expect(on.verdict, v).toBe(off.verdict);
      if (on.verdict === 'violated' && off.verdict === 'violated')
        expect(on.violation.trace!.steps.length).toBe(off.violation.trace!.steps.length);
    }
  });

  it.each<[string, (m: ModelPatch) => unknown, RegExp]>([
    [
      'label',
      (m) => m.process('vcpu0').replace('smp_mbb', 'x', () => {}),
      /process vcpu0 has no step at label 'smp_mbb'; labels: check_requests, .*smp_mb/,
    ],
    ['role', (m) => m.role('cpu'), /no process has role 'cpu'; roles: vcpu, requester/],
    [
      'variable',
      (m) => m.ref('vcpu->mood[0]'),
      /no variable 'vcpu->mood\[0\]'; variables: .*vcpu->mode\[0\]/,
    ],
    [
      'new label',
      (m) => m.process('vcpu0').insertAfter('set_mode', 'smp_mb', 'x', () => {}),
      /already has a label 'smp_mb'/,
    ],
    ['process', (m) => m.process('vcpu9'), /no process 'vcpu9'; processes: vcpu0, vcpu1, requester0/],
  ])('a patch naming a %s that does not exist fails clearly', (_what, patch, message) => {
    const def = extendModel(base, {
      name: 'bad',
      variants: { bad: { description: '', patch } },
    });
    expect(() => instantiate(def, { variant: 'bad' })).toThrow(ModelDefinitionError);
    expect(() => instantiate(def, { variant: 'bad' })).toThrow(message);
  });

  it('refuses a variant that shadows the base, an unknown base variant, and a cycle', () => {
    const patch = () => {};
    expect(() => extendModel(base, { variants: { fixed: { description: '', patch } } })).toThrow(
      /variant 'fixed' is already a variant of vcpu-requests/,
    );
    expect(() => extendModel(base, { variants: { x: { description: '', from: 'nope', patch } } })).toThrow(
      /variant 'x' is patched from 'nope', which is not a variant/,
    );
    expect(() =>
      extendModel(base, {
        variants: { a: { description: '', from: 'b', patch }, b: { description: '', from: 'a', patch } },
      }),
    ).toThrow(/patched from itself/);
  });
});
