import { type Context, Fence } from '../memory/context.ts';
import type { ModelBuilder } from '../model/builder.ts';
import { enumDomain } from '../state/layout.ts';
import type { LockClass } from '../state/lock-class.ts';

/**
 * struct rcuwait (include/linux/rcuwait.h, kernel/exit.c): one task waiting for a condition,
 * woken by whoever makes it true. The sleeping state is explicit, so a lost wake-up is a task
 * asleep forever, which the search reports as a deadlock.
 *
 * rcuwait_wait_event(w, cond, TASK_UNINTERRUPTIBLE) is the loop
 *   prepare_to_rcuwait(w); for (;;) { set_current_state(TASK_UNINTERRUPTIBLE);
 *   if (cond) break; schedule(); } finish_rcuwait(w);
 * and callers such as install_new_memslots open-code it around a spinlock; each piece below is
 * one step, so a model writes the loop it follows. The waker runs rcuwait_wake_up(w): smp_mb(),
 * then reads w->task and wakes that task (two steps: `rcuwait_wake_up`, `wake_up_process`).
 */

export const TASK_RUNNING = 0;
export const TASK_UNINTERRUPTIBLE = 1;
export const TASK_STATES = ['TASK_RUNNING', 'TASK_UNINTERRUPTIBLE'] as const;

/** The mode in which a task waits on an rcuwait (for deadlock reports). */
export const RCUWAIT_SLEEP = 1;

export interface Rcuwait {
  readonly name: string;
  readonly id: number;
  /** w->task: 0 (NULL) or the waiting process + 1. */
  readonly task: number;
  /** Per process: its task's __state (what schedule() sleeps on and wake_up_process() sets). */
  readonly state: readonly number[];
}

/** rcuwait_init: an rcuwait for processes 0..processes-1, with their task states. */
export function rcuwait(b: ModelBuilder, name: string, processes: number): Rcuwait {
  const taskNames = ['NULL', ...Array.from({ length: processes }, (_, p) => `task of process ${p}`)];
  const task = b.shared(`${name}.task`, enumDomain(taskNames), 0);
  const state = Array.from({ length: processes }, (_, p) =>
    b.shared(`${name}: task${p}->__state`, enumDomain(TASK_STATES), TASK_RUNNING),
  );
  const cls: LockClass = {
    name,
    kind: 'wait',
    slots: [task, ...state],
    modes: ['', 'sleep'],
    held: () => 0,
    conflicts: () => false,
    blockers: () => [],
  };
  return { name, id: b.layout.addLock(cls), task, state };
}

function stateSlot(c: Context, w: Rcuwait): number {
  const ref = w.state[c.proc];
  if (ref === undefined) throw new Error(`process ${c.proc} is not declared as a user of ${w.name}`);
  return ref;
}

/** prepare_to_rcuwait(w): rcu_assign_pointer(w->task, current). */
export function prepare_to_rcuwait(c: Context, w: Rcuwait): void {
  stateSlot(c, w);
  c.storeRelease(w.task, c.proc + 1);
}

/** set_current_state(state): smp_store_mb(current->__state, state) (an xchg on x86). */
export function set_current_state(c: Context, w: Rcuwait, state: number): void {
  c.xchg(stateSlot(c, w), state);
}

/** __set_current_state(state): a plain store, no barrier. */
export function __set_current_state(c: Context, w: Rcuwait, state: number): void {
  c.store(stateSlot(c, w), state);
}

/** schedule(): returns at once if the task was woken (TASK_RUNNING), else sleeps until it is. */
export function schedule(c: Context, w: Rcuwait): void {
  const ref = stateSlot(c, w);
  c.lockEvent(w.id, RCUWAIT_SLEEP);
  if (c.load(ref) !== TASK_RUNNING) c.block();
}

/** finish_rcuwait(w): rcu_assign_pointer(w->task, NULL) (the task is running again). */
export function finish_rcuwait(c: Context, w: Rcuwait): void {
  stateSlot(c, w);
  c.storeRelease(w.task, 0);
}

/** rcuwait_wake_up(w), first half: smp_mb(); task = rcu_dereference(w->task). Returns the process or -1. */
export function rcuwait_wake_up(c: Context, w: Rcuwait): number {
  c.fence(Fence.mb);
  return c.load(w.task) - 1;
}

/** wake_up_process(task): try_to_wake_up() sets the task's state to TASK_RUNNING (fully ordered). */
export function wake_up_process(c: Context, w: Rcuwait, process: number): void {
  const ref = w.state[process];
  if (ref === undefined) throw new Error(`${w.name}: no task state for process ${process}`);
  c.xchg(ref, TASK_RUNNING);
}
