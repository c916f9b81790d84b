import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { lockGraph, lockGraphText } from '../../checker/explore/lock-graph.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/lock-order.ts';
import { labels } from './shortest-trace.ts';

const model = (variant: string, memory: string) => instantiate(def, { variant, memory });
const run = (variant: string, memory: string) => explore(model(variant, memory));
type R = Awaited<ReturnType<typeof run>>;
const deadlock = (r: R) => {
  if (r.verdict !== 'violated') throw new Error(`expected a deadlock, got ${r.verdict}`);
  expect(r.violation.property).toBe('deadlock');
  expect(r.violation.kind).toBe('deadlock');
  return r.violation;
};
const chain = (r: R) =>
  deadlock(r).waitsFor!.map(
    (w) => `${w.process} -> ${w.lock} <- ${w.holders.map((h) => h.process).join(',')}`,
  );

describe('lock-order (locking.rst §1; PROTOCOLS.md §7)', () => {
  it('the documented orders never deadlock, and a grace period really waits for KVM_RUN', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual(['gracePeriodWaitsForReader', 'deadlock']);
    }
  });

  it('srcu_read_lock + mutex_lock(&kvm->slots_lock) deadlocks against synchronize_srcu inside slots_lock', async () => {
    const r = await run('srcu-slots-lock', 'sc');
    deadlock(r);
    expect(labels(r)).toEqual([
      'vm_ioctl:lock_kvm',
      'vcpu0_ioctl:lock_vcpu',
      'vcpu0_ioctl:srcu_read_lock',
      'set_memory_region:lock_slots',
      'set_memory_region:lock_slots_arch',
      'set_memory_region:unlock_slots_arch',
      'set_memory_region:synchronize_srcu',
    ]);
    expect(chain(r)).toEqual([
      'vm_ioctl -> vcpu0->mutex <- vcpu0_ioctl',
      'vcpu0_ioctl -> kvm->slots_lock <- set_memory_region',
      'set_memory_region -> kvm->srcu <- vcpu0_ioctl',
    ]);
    expect(deadlock(r).description).toContain('cycle: vcpu0_ioctl -> set_memory_region -> vcpu0_ioctl');
  });

  it('the same under tso (the release of slots_arch_lock drains before the grace period)', async () => {
    const r = await run('srcu-slots-lock', 'tso');
    deadlock(r);
    expect(labels(r)).toEqual([
      'vm_ioctl:lock_kvm',
      'vcpu0_ioctl:lock_vcpu',
      'vcpu0_ioctl:srcu_read_lock',
      'set_memory_region:lock_slots',
      'set_memory_region:lock_slots_arch',
      'set_memory_region:unlock_slots_arch',
      'set_memory_region:drain',
      'set_memory_region:synchronize_srcu',
    ]);
  });

  it('ABBA on kvm->lock and vcpu->mutex deadlocks (the memslot update finishes on its own)', async () => {
    const r = await run('abba', 'sc');
    deadlock(r);
    expect(labels(r)).toEqual([
      'vm_ioctl:lock_kvm',
      'vcpu0_ioctl:lock_vcpu',
      'set_memory_region:lock_slots',
      'set_memory_region:lock_slots_arch',
      'set_memory_region:unlock_slots_arch',
      'set_memory_region:synchronize_srcu',
      'set_memory_region:synchronize_srcu_wait',
      'set_memory_region:unlock_slots',
    ]);
    expect(chain(r)).toEqual([
      'vm_ioctl -> vcpu0->mutex <- vcpu0_ioctl',
      'vcpu0_ioctl -> kvm->lock <- vm_ioctl',
    ]);
  });

  it('ABBA under tso', async () => {
    const r = await run('abba', 'tso');
    deadlock(r);
    expect(labels(r)).toEqual([
      'vm_ioctl:lock_kvm',
      'vcpu0_ioctl:lock_vcpu',
      'set_memory_region:lock_slots',
      'set_memory_region:lock_slots_arch',
      'set_memory_region:unlock_slots_arch',
      'set_memory_region:drain',
      'set_memory_region:synchronize_srcu',
      'set_memory_region:synchronize_srcu_wait',
      'set_memory_region:unlock_slots',
      'set_memory_region:drain',
    ]);
  });

  it('the lock graph has the documented edges and no cycle for the documented orders', () => {
    for (const memory of ['sc', 'tso']) {
      const g = lockGraph(model('fixed', memory));
      expect(g.complete).toBe(true);
      expect(g.cycles).toEqual([]);
      const text = lockGraphText(g);
      for (const edge of [
        'kvm->lock -> vcpu0->mutex',
        'kvm->lock -> kvm->slots_lock',
        'kvm->lock -> kvm->irq_lock',
        'kvm->slots_lock -> kvm->irq_lock',
        'kvm->slots_lock -> kvm->slots_arch_lock',
        'kvm->srcu (reader) -> kvm->slots_arch_lock',
        'kvm->lock -> kvm->srcu (synchronize_srcu)',
        'vcpu0->mutex -> kvm->srcu (synchronize_srcu)',
        'kvm->slots_lock -> kvm->srcu (synchronize_srcu)',
        'kvm->mmu_lock (read) -> kvm->arch.tdp_mmu_pages_lock',
        'kvm->mmu_lock (read) -> kvm->arch.mmu_unsync_pages_lock',
        'vcpu0->mutex -> kvm->arch.hyperv.hv_lock',
      ])
        expect(text).toContain(`  ${edge} `);
      expect(text).toMatch(/\nno cycle$/);
    }
  });

  it('the lock graph flags each broken order as a cycle', () => {
    const srcu = lockGraph(model('srcu-slots-lock', 'sc'));
    expect(lockGraphText(srcu)).toContain(
      'cycle: kvm->srcu (reader) -> kvm->slots_lock -> kvm->srcu (synchronize_srcu)',
    );
    expect(srcu.cycles).toHaveLength(1);
    const abba = lockGraph(model('abba', 'tso'));
    expect(lockGraphText(abba)).toContain('cycle: kvm->lock -> vcpu0->mutex -> kvm->lock');
  });
});
