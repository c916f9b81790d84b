import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/tdp-unsync.ts';
import { labels } from './shortest-trace.ts';

const run = (variant: string, memory: string, properties?: string[]) =>
  explore(instantiate(def, { variant, memory }), { properties });

const markBoth = (interleaving: 'lost-increment' | 'lost-bit') =>
  interleaving === 'lost-increment'
    ? [
        'vcpu0:read_lock',
        'vcpu0:check_unsync',
        'vcpu0:kvm_unsync_page',
        'vcpu0:tas_bit_load',
        'vcpu0:tas_bit_store',
        'vcpu0:inc_load',
        'vcpu1:read_lock',
        'vcpu1:check_unsync',
        'vcpu1:kvm_unsync_page',
        'vcpu1:tas_bit_load',
        'vcpu1:tas_bit_store',
        'vcpu1:inc_load',
        'vcpu0:inc_store',
        'vcpu0:make_spte_writable',
        'vcpu0:read_unlock',
        'vcpu1:inc_store',
        'vcpu1:make_spte_writable',
        'vcpu1:read_unlock',
      ]
    : [
        'vcpu0:read_lock',
        'vcpu0:check_unsync',
        'vcpu0:kvm_unsync_page',
        'vcpu0:tas_bit_load',
        'vcpu1:read_lock',
        'vcpu1:check_unsync',
        'vcpu1:kvm_unsync_page',
        'vcpu1:tas_bit_load',
        'vcpu0:tas_bit_store',
        'vcpu0:inc_load',
        'vcpu0:inc_store',
        'vcpu0:make_spte_writable',
        'vcpu0:read_unlock',
        'vcpu1:tas_bit_store',
        'vcpu1:inc_load',
        'vcpu1:inc_store',
        'vcpu1:make_spte_writable',
        'vcpu1:read_unlock',
      ];
const syncOne = [
  'vcpu2:mmu_unsync_walk',
  'vcpu2:child_unsync',
  'vcpu2:kvm_sync_page',
  'vcpu2:dec_load',
  'vcpu2:dec_store',
];

describe('tdp-unsync (commit ce25681d59ff, mmu_unsync_pages_lock; PROTOCOLS.md §8)', () => {
  it('with mmu_unsync_pages_lock it holds under sc and tso, and two vCPUs do mark at once', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual([
        'unsyncChildrenConsistent',
        'unsyncChildTracked',
        'noUnsyncChildrenUnderflow',
        'noStaleShadowAfterFlush',
        'parallelUnsync',
        'flushAfterUnsyncedWrite',
        'deadlock',
      ]);
    }
  });

  it('without the smp_wmb it still holds under sc and tso (a relaxed-only race)', async () => {
    for (const memory of ['sc', 'tso']) expect((await run('no-wmb', memory)).verdict).toBe('holds');
  });

  it('without the lock: the lost increment (both load 0, both store 1)', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('no-unsync-lock', memory);
      expect(r.verdict).toBe('violated');
      if (r.verdict === 'violated') expect(r.violation.property).toBe('unsyncChildrenConsistent');
    }
    const r = await run('no-unsync-lock', 'sc');
    expect(labels(r)).toEqual(markBoth('lost-increment'));
    if (r.verdict !== 'violated') return;
    const steps = r.violation.trace!.steps;
    expect(steps[5]!.reads).toEqual(['parent->unsync_children = 0']);
    expect(steps[11]!.reads).toEqual(['parent->unsync_children = 0']);
  });

  it('the lost increment ends in the WARN: sync clears bit 0 (count 0), then bit 1 (count -1)', async () => {
    const r = await run('no-unsync-lock', 'sc', ['noUnsyncChildrenUnderflow']);
    expect(r.verdict).toBe('violated');
    expect(labels(r)).toEqual([
      ...markBoth('lost-increment'),
      'vcpu2:guest_write_gpte',
      'vcpu2:is_unsync_root',
      'vcpu2:write_lock',
      ...syncOne,
      'vcpu2:clear_bit',
      ...syncOne,
    ]);
  });

  it('the lost bit: both load word 0; vcpu0 stores 0b01, vcpu1 0b10 while child0 is unsync', async () => {
    const r = await run('no-unsync-lock', 'sc', ['unsyncChildTracked']);
    expect(r.verdict).toBe('violated');
    expect(labels(r)).toEqual(markBoth('lost-bit'));
    if (r.verdict !== 'violated') return;
    const steps = r.violation.trace!.steps;
    expect(steps[3]!.reads).toEqual(['parent->unsync_child_bitmap = 0b00']);
    expect(steps[7]!.reads).toEqual(['parent->unsync_child_bitmap = 0b00']);
    expect(steps[13]!.changes.map((c) => `${c.name}: ${c.from} -> ${c.to}`)).toEqual([
      'parent->unsync_child_bitmap: 0b01 -> 0b10',
    ]);
  });

  it('the lost bit makes the sync skip child0: vcpu2 resumes on a stale shadow page', async () => {
    const r = await run('no-unsync-lock', 'sc', ['noStaleShadowAfterFlush']);
    expect(r.verdict).toBe('violated');
    expect(labels(r)).toEqual([
      ...markBoth('lost-bit'),
      'vcpu2:guest_write_gpte',
      'vcpu2:is_unsync_root',
      'vcpu2:write_lock',
      ...syncOne,
      'vcpu2:clear_bit',
      'vcpu2:mmu_unsync_walk',
      'vcpu2:write_unlock',
    ]);
  });
});
