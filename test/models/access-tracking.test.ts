import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/access-tracking.ts';
import { labels } from './shortest-trace.ts';

const run = (variant: string, memory: string, params = {}) =>
  explore(instantiate(def, { variant, memory, params }));

/** V2 and V3 lose the same dirty state through the same interleaving; only the update differs. */
const LOST_DIRTY = [
  'aging:spin_lock',
  'vcpu:guest',
  'vcpu:fast_page_fault',
  'vcpu:fast_pf_fix',
  'aging:read',
  'aging:capture',
  'vcpu:retry',
  'vcpu:guest',
  'vcpu:fast_page_fault',
  'vcpu:fast_pf_fix',
  'vcpu:retry',
  'aging:update',
  'aging:flush',
];

describe('access-tracking (locking.rst §2 "Lockless Access Tracking")', () => {
  it('fixed holds under sc and tso, and both racy windows are entered', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict, memory).toBe('holds');
      expect(r.properties).toEqual(
        expect.arrayContaining([
          'noResurrection',
          'noLostDirty',
          'restoreGrantsOnlySaved',
          'zapInsideRestore',
          'writeUpgradeInsideAging',
        ]),
      );
    }
  });

  it('V1 plain-restore: a zap between the read and the plain store maps a freed page', async () => {
    const r = await run('plain-restore', 'sc');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('noResurrection');
    expect(labels(r)).toEqual([
      'zapper:spin_lock',
      'vcpu:guest',
      'vcpu:fast_page_fault',
      'zapper:clear',
      'zapper:capture',
      'zapper:flush',
      'zapper:spin_unlock',
      'zapper:free',
      'vcpu:fast_pf_fix',
    ]);
    const steps = r.violation.trace!.steps;
    expect(steps[2]!.reads).toEqual(['spte = pfn1|savedRX|MMU_W|HOST_W']);
    expect(steps[8]!.changes.map((c) => `${c.name}: ${c.from} -> ${c.to}`)).toEqual([
      'spte: 0 -> pfn1|RX|MMU_W|HOST_W',
    ]);
  });

  it('V2 plain-age: the plain store of the access-tracked spte wipes the W the fast path set', async () => {
    const r = await run('plain-age', 'sc');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('noLostDirty');
    expect(labels(r)).toEqual(LOST_DIRTY);
  });

  it('V3 stale-dirty-capture (open in PROTOCOLS.md): violated; the xchg returns W but it is ignored', async () => {
    const r = await run('stale-dirty-capture', 'sc');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('noLostDirty');
    expect(labels(r)).toEqual(LOST_DIRTY);
    const steps = r.violation.trace!.steps;
    // Aging read W = 0, so it skipped kvm_set_pfn_dirty() ...
    expect(steps[4]!.reads).toEqual(['spte = pfn1|RX|MMU_W|HOST_W']);
    expect(steps[5]!.changes).toEqual([]);
    // ... and its xchg then removed the W the fast path had set in between.
    expect(steps[11]!.reads).toEqual(['spte = pfn1|RX|W|MMU_W|HOST_W']);
    expect(steps[11]!.changes.map((c) => `${c.name}: ${c.from} -> ${c.to}`)).toContain(
      'spte: pfn1|RX|W|MMU_W|HOST_W -> pfn1|savedRX|MMU_W|HOST_W',
    );
  });

  it('every broken variant is violated under tso with the same property', async () => {
    const expected: Record<string, string> = {
      'plain-restore': 'noResurrection',
      'plain-age': 'noLostDirty',
      'stale-dirty-capture': 'noLostDirty',
    };
    for (const [variant, property] of Object.entries(expected)) {
      const r = await run(variant, 'tso');
      expect(r.verdict, variant).toBe('violated');
      if (r.verdict === 'violated') expect(r.violation.property).toBe(property);
    }
  });

  it('fixed still holds with three guest accesses', async () => {
    expect((await run('fixed', 'sc', { accesses: 3 })).verdict).toBe('holds');
  });
});
