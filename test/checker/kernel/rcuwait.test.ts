import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { defineModel, intDomain } from '../../../checker/index.ts';
import {
  __set_current_state,
  finish_rcuwait,
  prepare_to_rcuwait,
  READ_ONCE,
  rcuwait,
  rcuwait_wake_up,
  schedule,
  set_current_state,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  WRITE_ONCE,
  wake_up_process,
} from '../../../checker/kernel/index.ts';
import { instantiate } from '../../../checker/model/define.ts';

/**
 * rcuwait_wait_event(w, flag, TASK_UNINTERRUPTIBLE) against a waker that sets the flag and
 * calls rcuwait_wake_up. Setting the task state before testing the condition is what makes a
 * wake-up in between harmless; testing first loses it.
 */
const waitEvent = defineModel({
  name: 'rcuwait-test',
  title: 'rcuwait_wait_event vs rcuwait_wake_up',
  source: 'test',
  params: {},
  variants: {
    correct: 'set_current_state, then test the condition, then schedule',
    'test-first': 'test the condition, then set_current_state, then schedule',
  },
  build(b, { variant }) {
    const w = rcuwait(b, 'w', 2);
    const flag = b.shared('flag');
    const W = b.process('waiter');
    const K = b.process('waker');
    const task = K.local('task', intDomain(-1, 1), -1);
    const testFirst = variant === 'test-first';
    const L = {
      setState: W.label('set_current_state'),
      check: W.label('check'),
      schedule: W.label('schedule'),
      running: W.label('running'),
    };
    W.step('prepare', 'prepare_to_rcuwait(w)', (c) => prepare_to_rcuwait(c, w));
    if (testFirst) {
      W.step('check', 'if (flag) break', (c) => (READ_ONCE(c, flag) ? L.running : L.setState));
      W.step('set_current_state', 'set_current_state(TASK_UNINTERRUPTIBLE)', (c) => {
        set_current_state(c, w, TASK_UNINTERRUPTIBLE);
        return L.schedule;
      });
    } else {
      W.step('set_current_state', 'set_current_state(TASK_UNINTERRUPTIBLE)', (c) =>
        set_current_state(c, w, TASK_UNINTERRUPTIBLE),
      );
      W.step('check', 'if (flag) break', (c) => (READ_ONCE(c, flag) ? L.running : L.schedule));
    }
    W.step('schedule', 'schedule()', (c) => {
      schedule(c, w);
      return testFirst ? L.check : L.setState;
    });
    W.step('running', '__set_current_state(TASK_RUNNING)', (c) => __set_current_state(c, w, TASK_RUNNING));
    W.step('finish', 'finish_rcuwait(w)', (c) => finish_rcuwait(c, w));
    K.step('set_flag', 'WRITE_ONCE(flag, 1)', (c) => WRITE_ONCE(c, flag, 1));
    K.step('wake', 'rcuwait_wake_up(w): smp_mb(); task = w->task', (c) => {
      const t = rcuwait_wake_up(c, w);
      c.set(task, t);
      return t >= 0 ? undefined : K.done;
    });
    K.step('wake_up_process', 'wake_up_process(task)', (c) => wake_up_process(c, w, c.get(task)));
    b.reachable('sleeps', 'the waiter goes to sleep', (s) => W.at(s, L.schedule) && s[w.state[0]!] === 1);
  },
});

describe('rcuwait: an explicit sleeping state', () => {
  it('set_current_state before the test never loses the wake-up, under sc and tso', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await explore(instantiate(waitEvent, { variant: 'correct', memory }));
      expect(r.verdict).toBe('holds');
      expect(r.properties).toContain('sleeps');
    }
  });

  it('testing first loses a wake-up: the waiter sleeps forever, reported as a deadlock', async () => {
    const r = await explore(instantiate(waitEvent, { variant: 'test-first', memory: 'sc' }));
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.kind).toBe('deadlock');
    expect(r.violation.trace!.steps.map((s) => `${s.processName}:${s.label}`)).toEqual([
      'waiter:prepare',
      'waiter:check',
      'waker:set_flag',
      'waker:wake',
      'waker:wake_up_process',
      'waiter:set_current_state',
    ]);
    expect(r.violation.waitsFor).toMatchObject([
      { process: 'waiter', label: 'schedule', lock: 'w', sleeping: true },
    ]);
    expect(r.violation.description).toContain('waiter sleeps at schedule on w; nothing is left to wake it');
  });
});
