import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { BOOL, defineModel, oneOf } from '../../../checker/index.ts';
import {
  down_read,
  down_write,
  down_write_wait,
  rw_semaphore,
  up_read,
  up_write,
} from '../../../checker/kernel/index.ts';
import { instantiate } from '../../../checker/model/define.ts';

/**
 * Two readers and a writer on one rw_semaphore. The properties read only program counters:
 * who is inside its read or write section.
 */
const rwsemModel = defineModel({
  name: 'rwsem-test',
  title: 'two readers, one writer',
  source: 'test',
  params: { fairness: oneOf(['fair', 'unfair'], 'fair') },
  variants: { only: '' },
  build(b, { params }) {
    const sem = rw_semaphore(b, 'sem', { processes: 3, fair: params.fairness === 'fair' });
    const joined = b.ghost('a reader entered while the writer was queued', BOOL);
    const readers = [b.process('reader0'), b.process('reader1')];
    const W = b.process('writer');
    const waiting = W.label('down_write_wait');
    const inside = W.label('up_write');
    for (const R of readers) {
      R.step('down_read', 'down_read', (c) => {
        down_read(c, sem);
        if (c.get(W.pcSlot) === waiting) c.set(joined, 1);
      });
      R.step('up_read', 'up_read', (c) => up_read(c, sem));
    }
    W.step('down_write', 'down_write', (c) => (down_write(c, sem) ? inside : waiting));
    W.step('down_write_wait', 'down_write (slow path)', (c) => down_write_wait(c, sem));
    W.step('up_write', 'up_write', (c) => up_write(c, sem));
    const reading = (s: Int32Array, i: number) => readers[i]!.at(s, readers[i]!.label('up_read'));
    b.invariant(
      'exclusion',
      'a writer inside excludes every reader',
      (s) => !(W.at(s, inside) && (reading(s, 0) || reading(s, 1))),
    );
    b.reachable('writerWaits', 'the writer queues behind a reader', (s) => W.at(s, waiting) && reading(s, 0));
    b.reachable(
      'readerJoinsPastQueuedWriter',
      'a reader enters while the writer is queued',
      (s) => s[joined] === 1,
    );
  },
});

describe('rw_semaphore: writer-preferring when fair', () => {
  it('fair: a queued writer keeps new readers out (no witness of a reader joining past it)', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await explore(instantiate(rwsemModel, { memory, params: { fairness: 'fair' } }));
      expect(r.verdict).toBe('violated');
      if (r.verdict !== 'violated') return;
      expect(r.violation.kind).toBe('reachable');
      expect(r.violation.property).toBe('readerJoinsPastQueuedWriter');
    }
  });

  it('unfair: readers join past a queued writer; exclusion holds either way', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await explore(instantiate(rwsemModel, { memory, params: { fairness: 'unfair' } }));
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual(['exclusion', 'writerWaits', 'readerJoinsPastQueuedWriter', 'deadlock']);
    }
    const fair = await explore(instantiate(rwsemModel, { memory: 'sc' }), {
      properties: ['exclusion', 'writerWaits', 'deadlock'],
    });
    expect(fair.verdict).toBe('holds');
  });
});
