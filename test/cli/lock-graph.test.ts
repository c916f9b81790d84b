import { describe, expect, it } from 'vitest';
import { cli } from './run-cli.ts';

describe('kvmcheck check --lock-graph', () => {
  it('prints the srcu / slots_lock cycle for lock-order srcu-slots-lock, after the deadlock it finds', async () => {
    const r = await cli(
      'check',
      'lock-order',
      '--variant',
      'srcu-slots-lock',
      '--memory',
      'sc',
      '--lock-graph',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ deadlock');
    expect(r.stdout).toContain(
      'set_memory_region at synchronize_srcu_wait waits for kvm->srcu (synchronize_srcu): vcpu0_ioctl',
    );
    expect(r.stdout).toContain('lock-order graph (lockdep-style');
    expect(r.stdout).toContain('  kvm->srcu (reader) -> kvm->slots_lock ');
    expect(r.stdout).toContain(
      '\ncycle: kvm->srcu (reader) -> kvm->slots_lock -> kvm->srcu (synchronize_srcu)\n',
    );
  });

  it('prints the edges and no cycle for the documented orders', async () => {
    const r = await cli('check', 'lock-order', '--memory', 'tso', '--lock-graph');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  kvm->lock -> vcpu0->mutex ');
    expect(r.stdout).toContain('\nno cycle\n');
    expect(r.stdout).not.toContain('cycle:');
  });

  it('flags a cycle the bounded run never reaches (B2 with one notifier holds)', async () => {
    const r = await cli(
      'check',
      'mn-invalidate',
      '--variant',
      'rwsem',
      '--memory',
      'sc',
      '--set',
      'notifiers=1,faults=1',
      '--lock-graph',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ holds');
    expect(r.stdout).toContain(
      'cycle: mmu_notifier_invalidate_range_start -> kvm->mmu_notifier_slots_lock (read) -> mmu_notifier_invalidate_range_start',
    );
  });

  it('--json carries the graph', async () => {
    const r = await cli(
      'check',
      'lock-order',
      '--variant',
      'abba',
      '--memory',
      'sc',
      '--lock-graph',
      '--json',
    );
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.kind).toBe('deadlock');
    expect(j.lockGraph.complete).toBe(true);
    expect(j.lockGraph.cycles).toEqual(['kvm->lock -> vcpu0->mutex -> kvm->lock']);
    expect(j.lockGraph.edges).toContainEqual({
      from: { lock: 'vcpu0->mutex', mode: null },
      to: { lock: 'kvm->lock', mode: null },
      process: 'vcpu0_ioctl',
      label: 'lock_kvm',
    });
  });
});
