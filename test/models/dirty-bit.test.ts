import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/dirty-bit.ts';
import { labels } from './shortest-trace.ts';

const run = (variant: string, memory: string) => explore(instantiate(def, { variant, memory }));

describe('dirty-bit (locking.rst §2 "2) Dirty bit tracking")', () => {
  it('fixed (volatile spte cleared with xchg) holds under sc and tso, and the racy window is entered', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual(expect.arrayContaining(['noLostDirty', 'fastFixInsideClear']));
    }
  });

  it('plain-clear is violated under sc with the table of locking.rst: read, W = 1, Dirty = 1, spte = 0', async () => {
    const r = await run('plain-clear', 'sc');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('noLostDirty');
    expect(labels(r)).toEqual([
      'cpu0:read',
      'cpu1:fast_page_fault',
      'cpu1:fast_pf_fix',
      'cpu1:guest_write',
      'cpu0:clear',
      'cpu0:accessed',
      'cpu0:dirty',
    ]);
    const steps = r.violation.trace!.steps;
    // CPU 0 decided on the plain store from a read-only, accessed spte ...
    expect(steps[0]!.reads).toEqual(['spte = pfn1|A|MMU_W|HOST_W']);
    expect(steps[4]!.name).toContain('__update_clear_spte_fast');
    // ... which wipes the D bit the guest's write set, so kvm_set_pfn_dirty() is never called.
    expect(steps[4]!.changes.map((c) => `${c.name}: ${c.from} -> ${c.to}`)).toEqual([
      'spte: pfn1|W|A|D|MMU_W|HOST_W -> 0',
    ]);
    expect(steps[6]!.changes).toEqual([]);
  });

  it('plain-clear under tso: the plain store of 0 sits in the buffer and drains over W|D', async () => {
    const r = await run('plain-clear', 'tso');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('noLostDirty');
    expect(labels(r)).toEqual([
      'cpu0:read',
      'cpu0:clear',
      'cpu1:fast_page_fault',
      'cpu1:fast_pf_fix',
      'cpu1:guest_write',
      'cpu0:drain',
      'cpu0:accessed',
      'cpu0:dirty',
    ]);
    expect(r.violation.trace!.steps[1]!.buffered).toEqual(['spte = 0']);
  });
});
