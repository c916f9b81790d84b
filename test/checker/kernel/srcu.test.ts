import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { lockGraph, lockGraphText } from '../../../checker/explore/lock-graph.ts';
import { BOOL, defineModel } from '../../../checker/index.ts';
import {
  srcu_read_lock,
  srcu_read_unlock,
  srcu_struct,
  synchronize_srcu,
  synchronize_srcu_wait,
} from '../../../checker/kernel/index.ts';
import { instantiate } from '../../../checker/model/define.ts';

/**
 * SRCU's grace-period guarantee, checked on tiny models whose readers and updaters are told
 * apart by their program counters only (the properties do not look inside the srcu slots).
 */

/** A reader with one section and a grace period that may start before, during or after it. */
const oneReader = defineModel({
  name: 'srcu-one-reader',
  title: 'a grace period vs one reader',
  source: 'test',
  params: {},
  variants: { plain: 'one section', nested: 'a section nested inside another' },
  build(b, { variant }) {
    const sp = srcu_struct(b, 'ss', 2);
    const began = b.ghost('reader inside when the grace period began', BOOL);
    const R = b.process('reader');
    const S = b.process('updater');
    const inside = variant === 'nested' ? ['unlock_inner', 'unlock_outer'] : ['unlock'];
    R.step('lock', 'srcu_read_lock', (c) => srcu_read_lock(c, sp));
    if (variant === 'nested') R.step('lock_inner', 'srcu_read_lock (nested)', (c) => srcu_read_lock(c, sp));
    for (const l of inside) R.step(l, 'srcu_read_unlock', (c) => srcu_read_unlock(c, sp));
    const insideIds = inside.map((l) => R.label(l));
    S.step('sync', 'synchronize_srcu: the grace period starts', (c) => {
      synchronize_srcu(c, sp);
      if (insideIds.includes(c.get(R.pcSlot))) c.set(began, 1);
    });
    S.step('wait', 'synchronize_srcu: wait', (c) => synchronize_srcu_wait(c, sp));
    b.invariant(
      'waitsForEarlierReader',
      'the grace period never ends while a reader that was inside when it began is still inside',
      (s) => !(S.at(s, S.done) && s[began] === 1 && insideIds.includes(s[R.pcSlot]!)),
    );
    b.reachable(
      'gracePeriodWaits',
      'the updater waits while such a reader is inside',
      (s) => S.at(s, S.label('wait')) && s[began] === 1 && insideIds.includes(s[R.pcSlot]!),
    );
  },
});

/** A reader that enters and stays forever, before or after the grace period starts. */
const staying = defineModel({
  name: 'srcu-staying-reader',
  title: 'a grace period vs a reader that never leaves',
  source: 'test',
  params: {},
  variants: { after: 'the reader enters after the grace period began', before: 'it enters before' },
  build(b, { variant }) {
    const sp = srcu_struct(b, 'ss', 2);
    const R = b.process('reader');
    const S = b.process('updater');
    const stay = R.label('stay');
    R.step('lock', 'srcu_read_lock', (c) => srcu_read_lock(c, sp), {
      guard: (c) => (variant === 'after' ? c.get(S.pcSlot) !== 0 : true),
    });
    R.step('stay', 'stays in the section', (c) => c.block());
    R.endAt(stay);
    S.step('sync', 'synchronize_srcu', (c) => synchronize_srcu(c, sp), {
      guard: (c) => (variant === 'before' ? c.get(R.pcSlot) === stay : true),
    });
    S.step('wait', 'synchronize_srcu: wait', (c) => synchronize_srcu_wait(c, sp));
  },
});

/** Two grace periods; the reader leaves the section the first one waits for and enters another. */
const twoGracePeriods = defineModel({
  name: 'srcu-two-gps',
  title: 'two overlapping grace periods',
  source: 'test',
  params: {},
  variants: { only: 'gp1 starts in section 1, gp2 in section 2' },
  build(b) {
    const sp = srcu_struct(b, 'ss', 3);
    const R = b.process('reader');
    const S1 = b.process('gp1');
    const S2 = b.process('gp2');
    const first = R.label('unlock');
    const second = R.label('stay');
    R.step('lock', 'srcu_read_lock', (c) => srcu_read_lock(c, sp));
    R.step('unlock', 'srcu_read_unlock', (c) => srcu_read_unlock(c, sp));
    R.step('lock_again', 'srcu_read_lock', (c) => srcu_read_lock(c, sp));
    R.step('stay', 'stays in section 2', (c) => c.block());
    S1.step('sync', 'synchronize_srcu', (c) => synchronize_srcu(c, sp), {
      guard: (c) => c.get(R.pcSlot) === first,
    });
    S1.step('wait', 'wait', (c) => synchronize_srcu_wait(c, sp));
    S2.step('sync', 'synchronize_srcu', (c) => synchronize_srcu(c, sp), {
      guard: (c) => c.get(R.pcSlot) === second,
    });
    S2.step('wait', 'wait', (c) => synchronize_srcu_wait(c, sp));
    b.reachable(
      'firstEndsWhileSecondWaits',
      'gp1 ends while gp2 still waits for the section that began after gp1',
      (s) => S1.at(s, S1.done) && S2.at(s, S2.label('wait')) && R.at(s, second),
    );
  },
});

describe('srcu_struct: synchronize_srcu waits for exactly the readers that began before it', () => {
  it('waits for a reader inside when it began (plain and nested sections), under sc and tso', async () => {
    for (const variant of ['plain', 'nested'])
      for (const memory of ['sc', 'tso']) {
        const r = await explore(instantiate(oneReader, { variant, memory }));
        expect(r.verdict).toBe('holds');
        expect(r.properties).toContain('gracePeriodWaits');
      }
  });

  it('does not wait for a reader that entered after it began', async () => {
    for (const memory of ['sc', 'tso'])
      expect((await explore(instantiate(staying, { variant: 'after', memory }))).verdict).toBe('holds');
  });

  it('waits forever for an earlier reader that never leaves: a deadlock naming the reader', async () => {
    const r = await explore(instantiate(staying, { variant: 'before', memory: 'sc' }));
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.kind).toBe('deadlock');
    expect(r.violation.waitsFor).toEqual([
      {
        process: 'updater',
        label: 'wait',
        step: 'synchronize_srcu: wait',
        lock: 'ss',
        mode: 'synchronize_srcu',
        sleeping: false,
        holders: [
          { process: 'reader', how: 'is in a read-side critical section that began before the grace period' },
        ],
      },
    ]);
  });

  it('a grace period is not held up by a later section another grace period waits for', async () => {
    const r = await explore(instantiate(twoGracePeriods, { memory: 'sc' }), { deadlock: 'off' });
    expect(r.verdict).toBe('holds');
  });

  it('synchronize_srcu inside its own read side is a self-deadlock, and a lock-graph cycle', async () => {
    const self = defineModel({
      name: 'srcu-self',
      title: 'synchronize_srcu in a reader',
      source: 'test',
      params: {},
      variants: { only: '' },
      build(b) {
        const sp = srcu_struct(b, 'ss', 1);
        const P = b.process('p');
        P.step('lock', 'srcu_read_lock', (c) => srcu_read_lock(c, sp));
        P.step('sync', 'synchronize_srcu', (c) => synchronize_srcu(c, sp));
        P.step('wait', 'wait', (c) => synchronize_srcu_wait(c, sp));
        P.step('unlock', 'srcu_read_unlock', (c) => srcu_read_unlock(c, sp));
      },
    });
    const m = instantiate(self, { memory: 'sc' });
    const r = await explore(m);
    expect(r.verdict === 'violated' && r.violation.kind).toBe('deadlock');
    expect(lockGraphText(lockGraph(m))).toContain('cycle: ss (reader) -> ss (synchronize_srcu)');
  });
});
