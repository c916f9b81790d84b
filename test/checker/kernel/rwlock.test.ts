import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { defineModel } from '../../../checker/index.ts';
import {
  DEFINE_RWLOCK,
  RWLOCK_READ,
  RWLOCK_WRITE,
  read_lock,
  read_unlock,
  write_lock,
  write_unlock,
} from '../../../checker/kernel/index.ts';
import { instantiate } from '../../../checker/model/define.ts';

/**
 * Two readers and a writer on one rwlock_t. The properties read only program counters: who is
 * inside its read or write section. Variant `upgrade` makes reader0 take the write lock while
 * it still holds the read lock, which can never succeed: a deadlock.
 */
const rwlockModel = defineModel({
  name: 'rwlock-test',
  title: 'two readers, one writer',
  source: 'test',
  params: {},
  variants: { only: '', upgrade: 'reader0 calls write_lock() while holding the read lock' },
  build(b, { variant }) {
    const lock = DEFINE_RWLOCK(b, 'lock', 3);
    const readers = [b.process('reader0'), b.process('reader1')];
    const W = b.process('writer');
    readers.forEach((R, i) => {
      R.step('read_lock', 'read_lock(&lock)', (c) => read_lock(c, lock));
      if (i === 0 && variant === 'upgrade')
        R.step('write_lock', 'write_lock(&lock)', (c) => write_lock(c, lock));
      R.step('read_unlock', 'read_unlock(&lock)', (c) => read_unlock(c, lock));
    });
    W.step('write_lock', 'write_lock(&lock)', (c) => write_lock(c, lock));
    W.step('write_unlock', 'write_unlock(&lock)', (c) => write_unlock(c, lock));
    const writing = (s: Int32Array) => W.at(s, W.label('write_unlock'));
    const reading = (s: Int32Array, i: number) => readers[i]!.at(s, readers[i]!.label('read_unlock'));
    b.invariant(
      'exclusion',
      'a writer inside excludes every reader',
      (s) => !(writing(s) && (reading(s, 0) || reading(s, 1))),
    );
    b.reachable('readersShare', 'both readers are inside at once', (s) => reading(s, 0) && reading(s, 1));
    b.reachable('writerIn', 'the writer gets in', writing);
  },
});

describe('rwlock_t', () => {
  it('readers share it, a writer excludes them, under sc and tso', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await explore(instantiate(rwlockModel, { memory }));
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual(['exclusion', 'readersShare', 'writerIn', 'deadlock']);
    }
  });

  it('says who holds it and in which mode', () => {
    const m = instantiate(rwlockModel, { memory: 'sc' });
    const cls = m.layout.locks.find((l) => l.name === 'lock')!;
    const s = m.layout.initialState();
    const [readers, writer] = cls.slots as [number, number];
    s[readers] = 0b011;
    expect(cls.held(s, 0)).toBe(RWLOCK_READ);
    expect(cls.held(s, 2)).toBe(0);
    expect(cls.blockers(s, 2, RWLOCK_WRITE).map((x) => x.process)).toEqual([0, 1]);
    expect(cls.blockers(s, 2, RWLOCK_READ)).toEqual([]);
    s[readers] = 0;
    s[writer] = 3;
    expect(cls.held(s, 2)).toBe(RWLOCK_WRITE);
    expect(cls.blockers(s, 0, RWLOCK_READ)).toEqual([{ process: 2, how: 'holds it for write' }]);
  });

  it('an upgrade from read to write deadlocks', async () => {
    const r = await explore(instantiate(rwlockModel, { memory: 'sc', variant: 'upgrade' }));
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.kind).toBe('deadlock');
    // reader0 waits for itself; the writer waits for reader0 once reader1 is done
    expect(r.violation.trace!.steps.map((s) => `${s.processName}:${s.label}`)).toEqual([
      'reader0:read_lock',
      'reader1:read_lock',
      'reader1:read_unlock',
    ]);
  });
});
