import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import {
  findCycles,
  type LockDependency,
  lockGraph,
  lockGraphText,
} from '../../../checker/explore/lock-graph.ts';
import { describeWaits, waitCycle } from '../../../checker/explore/waits-for.ts';
import { defineModel, instantiate } from '../../../checker/index.ts';
import { mutex_lock, mutex_unlock } from '../../../checker/kernel/index.ts';
import type { LockClass } from '../../../checker/state/lock-class.ts';
import { abba, counter } from '../../fixtures/models.ts';

/** A lock class for findCycles tests: modes 1 (shared) and 2 (exclusive), shared/shared never waits. */
const rw = (name: string, sharedWaitsForShared = false): LockClass => ({
  name,
  kind: 'lock',
  slots: [],
  modes: ['', 'read', 'write'],
  held: () => 0,
  conflicts: (h, w) => h === 2 || w === 2 || sharedWaitsForShared,
  blockers: () => [],
});
const dep = (from: number, fromMode: number, to: number, toMode: number): LockDependency => ({
  from,
  fromMode,
  to,
  toMode,
  process: 'p',
  label: 'l',
});

describe('lock-order graph (lockdep-style)', () => {
  it('records A -> B and B -> A for ABBA, and reports the cycle under sc and tso', () => {
    for (const memory of ['sc', 'tso']) {
      const g = lockGraph(instantiate(abba, { memory, variant: 'abba' }));
      expect(g.complete).toBe(true);
      expect(g.edges.map((e) => `${g.locks[e.from]!.name}->${g.locks[e.to]!.name}`)).toEqual([
        'A->B',
        'B->A',
      ]);
      expect(g.cycles).toHaveLength(1);
      expect(lockGraphText(g)).toContain('cycle: A -> B -> A');
    }
  });

  it('an agreed order has one edge and no cycle', () => {
    const g = lockGraph(instantiate(abba, { memory: 'tso', variant: 'ordered' }));
    expect(g.edges).toHaveLength(1);
    expect(lockGraphText(g)).toMatch(/\nno cycle$/);
  });

  it('a lock released into the store buffer is not held any more by the releasing CPU', () => {
    const seq = defineModel({
      name: 'seq',
      title: 'A then B, never nested',
      source: 'test',
      params: {},
      variants: { only: '' },
      build(b) {
        const [a, bb] = [b.lock('A'), b.lock('B')];
        const P = b.process('p');
        P.step('lock_a', 'mutex_lock(A)', (c) => mutex_lock(c, a));
        P.step('unlock_a', 'mutex_unlock(A)', (c) => mutex_unlock(c, a));
        P.step('lock_b', 'mutex_lock(B)', (c) => mutex_lock(c, bb));
        P.step('unlock_b', 'mutex_unlock(B)', (c) => mutex_unlock(c, bb));
      },
    });
    // under tso, lock_b is tried while A's release still sits in the buffer (memory says A is held)
    const g = lockGraph(instantiate(seq, { memory: 'tso' }));
    expect(g.edges).toEqual([]);
    expect(lockGraphText(g)).toContain('(no lock is taken while another is held)');
  });

  it('says so for a model without locks', () => {
    expect(lockGraphText(lockGraph(instantiate(counter, { memory: 'sc' })))).toMatch(
      /^lock-order graph: the model declares no locks/,
    );
  });

  it('mode-aware cycles: read/read waits only where the lock says readers can wait for readers', () => {
    const locks = [rw('X'), rw('Y')];
    // X(read) -> Y ; Y -> X(read): readers of X never wait for readers: no deadlock
    expect(findCycles(locks, [dep(0, 1, 1, 2), dep(1, 2, 0, 1)])).toEqual([]);
    // the same with writer-preferring X: a queued writer makes the read side wait
    const fair = [rw('X', true), rw('Y')];
    expect(findCycles(fair, [dep(0, 1, 1, 2), dep(1, 2, 0, 1)])).toHaveLength(1);
    // X(write) -> Y -> X(read): a reader waits for the writer
    expect(findCycles(locks, [dep(0, 2, 1, 2), dep(1, 2, 0, 1)])).toHaveLength(1);
    // a self-dependency that can wait is a cycle (mutex_lock of a held mutex)
    expect(findCycles(locks, [dep(0, 2, 0, 2)])).toHaveLength(1);
    expect(findCycles(locks, [dep(0, 1, 0, 1)])).toEqual([]);
  });

  it('finds each group of cycles once, starting at its lowest edge', () => {
    const locks = ['A', 'B', 'C', 'D'].map((n) => rw(n));
    const cycles = findCycles(locks, [dep(0, 2, 1, 2), dep(1, 2, 2, 2), dep(2, 2, 0, 2), dep(3, 2, 3, 2)]);
    expect(cycles.map((c) => c.map((e) => `${e.from}->${e.to}`))).toEqual([
      ['0->1', '1->2', '2->0'],
      ['3->3'],
    ]);
  });
});

describe('waits-for chain of a deadlock', () => {
  it('names each stuck process, the lock it waits for and its holder, and the cycle', async () => {
    const r = await explore(instantiate(abba, { memory: 'sc', variant: 'abba' }));
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.waitsFor).toEqual([
      {
        process: 't0',
        label: 'second',
        step: 'mutex_lock(B)',
        lock: 'B',
        mode: '',
        sleeping: false,
        holders: [{ process: 't1', how: 'holds it' }],
      },
      {
        process: 't1',
        label: 'second',
        step: 'mutex_lock(A)',
        lock: 'A',
        mode: '',
        sleeping: false,
        holders: [{ process: 't0', how: 'holds it' }],
      },
    ]);
    expect(waitCycle(r.violation.waitsFor!)).toEqual(['t0', 't1', 't0']);
    expect(r.violation.description).toBe(describeWaits(r.violation.waitsFor!));
    expect(r.violation.description).toContain('  t0 at second waits for B: t1 holds it');
  });

  it('falls back to the step text for a process stuck on a plain condition', async () => {
    const stuck = defineModel({
      name: 'stuck',
      title: 'await that never holds',
      source: 'test',
      params: {},
      variants: { only: '' },
      build(b) {
        const x = b.shared('x');
        const P = b.process('p');
        P.step('wait', 'wait for x', (c) => {
          c.await(c.load(x) === 1);
        });
      },
    });
    const r = await explore(instantiate(stuck, { memory: 'sc' }));
    expect(r.verdict === 'violated' && r.violation.description).toBe(
      'no step is enabled and not every process is at a valid end; waits-for:\n  p is stuck at wait: wait for x',
    );
  });
});
