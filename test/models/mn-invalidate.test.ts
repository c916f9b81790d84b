import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { lockGraph, lockGraphText } from '../../checker/explore/lock-graph.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/mn-invalidate.ts';
import { labels } from './shortest-trace.ts';

type Params = Record<string, number | boolean>;
const model = (variant: string, memory: string, params: Params = {}) =>
  instantiate(def, { variant, memory, params });
const run = (variant: string, memory: string, params: Params = {}, properties?: string[]) =>
  explore(model(variant, memory, params), { properties });
type R = Awaited<ReturnType<typeof run>>;
const violation = (r: R) => {
  if (r.verdict !== 'violated') throw new Error(`expected a violation, got ${r.verdict}`);
  return r.violation;
};

/** The smallest configurations of PROTOCOLS.md §6's table, as in scenarios/mn-invalidate.json. */
const B2 = { notifiers: 2, faults: 0 };
const ONE_NOTIFIER_ONE_UPDATER = { faults: 0 };
const NO_UPDATE = { updates: 0 };

/** The notifier's invalidate_range_start up to the host's PTE change, as the shortest traces take it. */
const RANGE_START_SC = [
  'notifier0:start_mn_lock',
  'notifier0:start_count_inc',
  'notifier0:start_mn_unlock',
  'notifier0:start_srcu_lock',
  'notifier0:start_memslots',
  'notifier0:start_mmu_lock',
  'notifier0:start_count',
  'notifier0:start_unmap',
  'notifier0:start_mmu_unlock',
  'notifier0:start_srcu_unlock',
  'notifier0:host_change_pte',
];
/** The same under tso: its stores wait in the buffer and drain as steps of their own. */
const RANGE_START_TSO = [
  'notifier0:start_mn_lock',
  'notifier0:start_count_inc',
  'notifier0:start_mn_unlock',
  'notifier0:drain',
  'notifier0:drain',
  'notifier0:start_srcu_lock',
  'notifier0:start_memslots',
  'notifier0:start_mmu_lock',
  'notifier0:start_count',
  'notifier0:start_unmap',
  'notifier0:drain',
  'notifier0:start_mmu_unlock',
  'notifier0:drain',
  'notifier0:drain',
  'notifier0:start_srcu_unlock',
  'notifier0:host_change_pte',
];

describe('mn-invalidate (2021 mn_active_invalidate_count patch; PROTOCOLS.md §6)', () => {
  it('the fixed protocol holds under sc and tso, the updater really waits and a fault really retries', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory, { notifiers: 1, invalidations: 1, faults: 1 });
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual([
        'sameMemslots',
        'inProgressBalanced',
        'noInstallDuringInvalidation',
        'noStaleSpte',
        'updaterWaitsForInvalidation',
        'faultRetries',
        'deadlock',
      ]);
    }
  });

  it('the fixed protocol also holds with two notifiers, two updates, two invalidations, the pseudo-lock', async () => {
    expect((await run('fixed', 'tso', { notifiers: 2, faults: 0 })).verdict).toBe('holds');
    expect((await run('fixed', 'sc', { updates: 2 })).verdict).toBe('holds');
    expect((await run('fixed', 'sc', { invalidations: 2 })).verdict).toBe('holds');
    expect((await run('fixed', 'sc', { pseudo_lock: true })).verdict).toBe('holds');
  });

  it('B6 and B7 are relaxed-only: they hold under sc and tso', async () => {
    for (const variant of ['no-rmb-seq', 'no-wmb-seq'])
      for (const memory of ['sc', 'tso']) expect((await run(variant, memory)).verdict).toBe('holds');
  });

  it('B1 (no-wait): range_end reads the memslots the update published after range_start', async () => {
    const r = await run('no-wait', 'sc');
    const v = violation(r);
    expect(v.property).toBe('sameMemslots');
    expect(labels(r)).toEqual([
      'notifier0:start_srcu_lock',
      'notifier0:start_memslots',
      'notifier0:start_mmu_lock',
      'notifier0:start_count',
      'notifier0:start_unmap',
      'notifier0:start_mmu_unlock',
      'notifier0:start_srcu_unlock',
      'notifier0:host_change_pte',
      'notifier0:end_srcu_lock',
      'updater:slots_lock',
      'updater:slots_arch_lock',
      'updater:publish',
      'notifier0:end_memslots',
    ]);
    const steps = v.trace!.steps;
    expect(steps[1]!.reads).toEqual(['kvm->memslots[0] = M0 (slot)']);
    expect(steps[12]!.reads).toEqual(['kvm->memslots[0] = M1 (slot KVM_MEMSLOT_INVALID)']);
  });

  it('B1 under tso: the same race, with the store buffers drained on the way', async () => {
    const r = await run('no-wait', 'tso');
    expect(violation(r).property).toBe('sameMemslots');
    expect(labels(r)).toEqual([
      'notifier0:start_srcu_lock',
      'notifier0:start_memslots',
      'notifier0:start_mmu_lock',
      'notifier0:start_count',
      'notifier0:start_unmap',
      'notifier0:drain',
      'notifier0:start_mmu_unlock',
      'notifier0:drain',
      'notifier0:drain',
      'notifier0:start_srcu_unlock',
      'notifier0:host_change_pte',
      'notifier0:end_srcu_lock',
      'updater:slots_lock',
      'updater:slots_arch_lock',
      'updater:publish',
      'updater:drain',
      'notifier0:end_memslots',
    ]);
  });

  it('B1 through I1: the slot is deleted between start and end, so mmu_notifier_count stays 1', async () => {
    const r = await run('no-wait', 'sc', ONE_NOTIFIER_ONE_UPDATER, ['inProgressBalanced']);
    const v = violation(r);
    expect(v.property).toBe('inProgressBalanced');
    expect(labels(r)).toEqual([
      'notifier0:start_srcu_lock',
      'notifier0:start_memslots',
      'notifier0:start_mmu_lock',
      'notifier0:start_count',
      'notifier0:start_unmap',
      'notifier0:start_mmu_unlock',
      'notifier0:start_srcu_unlock',
      'notifier0:host_change_pte',
      'updater:slots_lock',
      'updater:slots_arch_lock',
      'updater:publish',
      'updater:slots_arch_unlock',
      'updater:synchronize_srcu',
      'notifier0:end_srcu_lock',
      'updater:synchronize_srcu_wait',
      'updater:flush_mmu_lock',
      'updater:flush_shadow_memslot',
      'updater:flush_mmu_unlock',
      'updater:slots_arch_lock',
      'updater:publish',
      'notifier0:end_memslots',
      'notifier0:end_srcu_unlock',
    ]);
    // the grace period began before range_end's srcu_read_lock, so it did not wait for it
    expect(v.trace!.steps[20]!.reads).toEqual(['kvm->memslots[0] = M2 (no slot)']);
    expect((await run('no-wait', 'tso', ONE_NOTIFIER_ONE_UPDATER, ['inProgressBalanced'])).verdict).toBe(
      'violated',
    );
  });

  it('B2 (rwsem): the three-party cycle through the pseudo-lock and the fair rwsem deadlocks', async () => {
    const r = await run('rwsem', 'sc', B2);
    const v = violation(r);
    expect(v.kind).toBe('deadlock');
    expect(labels(r)).toEqual([
      'notifier0:start_lock_map',
      'notifier0:start_down_read',
      'notifier0:start_srcu_lock',
      'notifier0:start_memslots',
      'notifier0:start_mmu_lock',
      'notifier0:start_count',
      'notifier0:start_unmap',
      'notifier0:start_mmu_unlock',
      'notifier0:start_srcu_unlock',
      'notifier0:start_lock_map_release',
      'notifier0:host_change_pte',
      'notifier1:start_lock_map',
      'updater:slots_lock',
      'updater:slots_arch_lock',
      'updater:down_write',
    ]);
    // who waits on whom (the commit message's cycle)
    expect(v.waitsFor!.map((w) => [w.process, w.lock, w.mode, w.holders.map((h) => h.process)])).toEqual([
      ['notifier0', 'mmu_notifier_invalidate_range_start', '', ['notifier1']],
      ['notifier1', 'kvm->mmu_notifier_slots_lock', 'read', ['updater']],
      ['updater', 'kvm->mmu_notifier_slots_lock', 'write', ['notifier0']],
    ]);
    expect(v.description).toContain('updater is a queued writer');
    expect(v.description).toContain('cycle: notifier0 -> notifier1 -> updater -> notifier0');
  });

  it('B2 under tso deadlocks the same way', async () => {
    const r = await run('rwsem', 'tso', B2);
    expect(violation(r).kind).toBe('deadlock');
    expect(labels(r)).toEqual([
      'notifier0:start_lock_map',
      'notifier0:start_down_read',
      'notifier0:start_srcu_lock',
      'notifier0:start_memslots',
      'notifier0:start_mmu_lock',
      'notifier0:start_count',
      'notifier0:start_unmap',
      'notifier0:drain',
      'notifier0:start_mmu_unlock',
      'notifier0:drain',
      'notifier0:drain',
      'notifier0:start_srcu_unlock',
      'notifier0:start_lock_map_release',
      'notifier0:drain',
      'notifier0:host_change_pte',
      'notifier1:start_lock_map',
      'updater:slots_lock',
      'updater:slots_arch_lock',
      'updater:down_write',
    ]);
  });

  it('B2 without fairness (recursive readers) does not deadlock', async () => {
    for (const memory of ['sc', 'tso'])
      expect((await run('rwsem', memory, { ...B2, fair: false })).verdict).toBe('holds');
  });

  it('B2 lock graph: one notifier never deadlocks, but the pseudo-lock/rwsem cycle is flagged', async () => {
    const m = model('rwsem', 'sc', { notifiers: 1, faults: 1 });
    expect((await explore(m)).verdict).toBe('holds');
    const g = lockGraph(m);
    expect(g.complete).toBe(true);
    expect(lockGraphText(g)).toContain(
      'cycle: mmu_notifier_invalidate_range_start -> kvm->mmu_notifier_slots_lock (read) -> ' +
        'mmu_notifier_invalidate_range_start',
    );
    expect(lockGraph(model('rwsem', 'sc', { fair: false })).cycles).toEqual([]);
    expect(lockGraph(model('fixed', 'sc', { pseudo_lock: true })).cycles).toEqual([]);
  });

  it('B3: a notifier waits for slots_lock while the updater, holding it, sleeps until the notifier ends', async () => {
    const r = await run('notifier-takes-slots-lock', 'sc', ONE_NOTIFIER_ONE_UPDATER);
    const v = violation(r);
    expect(v.kind).toBe('deadlock');
    expect(labels(r)).toEqual([
      ...RANGE_START_SC,
      'updater:slots_lock',
      'updater:slots_arch_lock',
      'updater:mn_lock',
      'updater:prepare_to_rcuwait',
      'updater:check_count',
      'updater:set_current_state',
      'updater:wait_mn_unlock',
    ]);
    expect(v.waitsFor!.map((w) => [w.process, w.lock, w.sleeping, w.holders.map((h) => h.process)])).toEqual([
      ['notifier0', 'kvm->slots_lock', false, ['updater']],
      ['updater', 'kvm->mn_memslots_update_rcuwait', true, []],
    ]);
  });

  it('B3 under tso', async () => {
    const r = await run('notifier-takes-slots-lock', 'tso', ONE_NOTIFIER_ONE_UPDATER);
    expect(violation(r).kind).toBe('deadlock');
    expect(labels(r)).toEqual([
      ...RANGE_START_TSO,
      'updater:slots_lock',
      'updater:slots_arch_lock',
      'updater:mn_lock',
      'updater:prepare_to_rcuwait',
      'updater:check_count',
      'updater:drain',
      'updater:set_current_state',
      'updater:wait_mn_unlock',
      'updater:drain',
    ]);
  });

  it('B4: the wake-up comes between the unlock and set_current_state, and the updater sleeps forever', async () => {
    const r = await run('lost-wakeup', 'sc', ONE_NOTIFIER_ONE_UPDATER);
    const v = violation(r);
    expect(v.kind).toBe('deadlock');
    expect(labels(r)).toEqual([
      ...RANGE_START_SC,
      'notifier0:end_srcu_lock',
      'notifier0:end_memslots',
      'notifier0:end_mmu_lock',
      'notifier0:end_seq_inc',
      'notifier0:end_count',
      'notifier0:end_mmu_unlock',
      'notifier0:end_srcu_unlock',
      'updater:slots_lock',
      'updater:slots_arch_lock',
      'updater:mn_lock',
      'updater:prepare_to_rcuwait',
      'updater:check_count',
      'updater:wait_mn_unlock',
      'notifier0:end_mn_lock',
      'notifier0:end_count_dec',
      'notifier0:end_mn_unlock',
      'notifier0:end_rcuwait_wake_up',
      'notifier0:end_wake_up_process',
      'notifier0:next',
      'updater:set_current_state',
    ]);
    const steps = v.trace!.steps;
    expect(steps[22]!.reads).toEqual(['kvm->mn_active_invalidate_count = 1']);
    expect(steps[30]!.changes.map((c) => `${c.name}: ${c.to}`)).toContain(
      'kvm->mn_memslots_update_rcuwait: task1->__state: TASK_UNINTERRUPTIBLE',
    );
    expect(v.waitsFor!.map((w) => [w.process, w.label, w.sleeping])).toEqual([['updater', 'schedule', true]]);
  });

  it('B4 under tso', async () => {
    const r = await run('lost-wakeup', 'tso', ONE_NOTIFIER_ONE_UPDATER);
    expect(violation(r).kind).toBe('deadlock');
    expect(labels(r)).toEqual([
      ...RANGE_START_TSO,
      'notifier0:end_srcu_lock',
      'notifier0:end_memslots',
      'notifier0:end_mmu_lock',
      'notifier0:end_seq_inc',
      'notifier0:end_count',
      'notifier0:drain',
      'notifier0:end_mmu_unlock',
      'notifier0:drain',
      'notifier0:drain',
      'notifier0:end_srcu_unlock',
      'updater:slots_lock',
      'updater:slots_arch_lock',
      'updater:mn_lock',
      'updater:prepare_to_rcuwait',
      'updater:check_count',
      'updater:wait_mn_unlock',
      'updater:drain',
      'updater:drain',
      'notifier0:end_mn_lock',
      'notifier0:end_count_dec',
      'notifier0:end_mn_unlock',
      'notifier0:drain',
      'notifier0:drain',
      'notifier0:end_rcuwait_wake_up',
      'notifier0:end_wake_up_process',
      'notifier0:next',
      'updater:set_current_state',
    ]);
  });

  it('B5 (no retry check): the fault installs its spte after range_start zapped the range', async () => {
    const r = await run('no-retry-check', 'sc', NO_UPDATE);
    expect(violation(r).property).toBe('noInstallDuringInvalidation');
    expect(labels(r)).toEqual([
      'notifier0:start_mn_lock',
      'notifier0:start_count_inc',
      'notifier0:start_mn_unlock',
      'notifier0:start_srcu_lock',
      'notifier0:start_memslots',
      'notifier0:start_mmu_lock',
      'notifier0:start_count',
      'notifier0:start_unmap',
      'notifier0:start_mmu_unlock',
      'vcpu0:srcu_read_lock',
      'vcpu0:memslot',
      'vcpu0:read_seq',
      'vcpu0:gfn_to_pfn',
      'vcpu0:mmu_lock',
      'vcpu0:install_spte',
    ]);
  });

  it('B5 under tso', async () => {
    const r = await run('no-retry-check', 'tso', NO_UPDATE);
    expect(violation(r).property).toBe('noInstallDuringInvalidation');
    expect(labels(r)).toEqual([
      'notifier0:start_mn_lock',
      'notifier0:start_count_inc',
      'notifier0:start_mn_unlock',
      'notifier0:drain',
      'notifier0:drain',
      'notifier0:start_srcu_lock',
      'notifier0:start_memslots',
      'notifier0:start_mmu_lock',
      'notifier0:start_count',
      'notifier0:start_unmap',
      'notifier0:drain',
      'notifier0:start_mmu_unlock',
      'notifier0:drain',
      'notifier0:drain',
      'vcpu0:srcu_read_lock',
      'vcpu0:memslot',
      'vcpu0:read_seq',
      'vcpu0:gfn_to_pfn',
      'vcpu0:mmu_lock',
      'vcpu0:install_spte',
    ]);
  });

  it('B5 through I3: GUP read the page before the host freed it, and the spte maps the freed page', async () => {
    const r = await run('no-retry-check', 'sc', NO_UPDATE, ['noStaleSpte']);
    const v = violation(r);
    expect(v.property).toBe('noStaleSpte');
    expect(labels(r)).toEqual([
      'notifier0:start_mn_lock',
      'notifier0:start_count_inc',
      'notifier0:start_mn_unlock',
      'notifier0:start_srcu_lock',
      'notifier0:start_memslots',
      'notifier0:start_mmu_lock',
      'notifier0:start_count',
      'notifier0:start_unmap',
      'notifier0:start_mmu_unlock',
      'notifier0:start_srcu_unlock',
      'vcpu0:srcu_read_lock',
      'vcpu0:memslot',
      'vcpu0:read_seq',
      'vcpu0:gfn_to_pfn',
      'notifier0:host_change_pte',
      'vcpu0:mmu_lock',
      'vcpu0:install_spte',
    ]);
    expect(v.trace!.steps[13]!.reads).toEqual(['host_pte = 1']);
    expect(v.trace!.steps[16]!.changes.map((c) => `${c.name}: ${c.to}`)).toContain('spte: 1');
  });
});
