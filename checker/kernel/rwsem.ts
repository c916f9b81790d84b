import { type Context, Fence, RmwOp } from '../memory/context.ts';
import type { ModelBuilder } from '../model/builder.ts';
import { intDomain } from '../state/layout.ts';
import { type LockBlocker, type LockClass, processMaskNames } from '../state/lock-class.ts';

/**
 * Read-write semaphores (include/linux/rwsem.h). The kernel keeps one atomic `count`; the model
 * keeps its parts apart so traces read well: the set of readers holding it, the writer holding
 * it (holder+1), and the set of writers queued for it. Every operation is one atomic step on
 * them, fully ordered (under tso it waits for the store buffer); one that reads several of them
 * starts with a full fence, so it reads them as the kernel's single atomic word would.
 *
 * Fairness decides what a queued writer does to new readers:
 *  - fair (writer-preferring, like the kernel's rwsem): a new down_read() waits while a writer
 *    is queued, so readers already inside can end up waiting, through the writer, for a reader
 *    that waits for them: the deadlock of the first mn_active_invalidate_count patch;
 *  - unfair: readers join whenever no writer holds it (lockdep's "recursive readers").
 *
 * A writer that cannot take the lock at once queues itself: `down_write` returns false and the
 * model continues at a step calling `down_write_wait`, which sleeps until it can take it.
 */

export const RWSEM_READ = 1;
export const RWSEM_WRITE = 2;

const MAX_PROCESSES = 10;

export interface RwSemaphore {
  readonly name: string;
  readonly id: number;
  readonly fair: boolean;
  /** Set of processes holding it for read (bit p). */
  readonly readers: number;
  /** The writer holding it, as holder+1; 0 when none. */
  readonly owner: number;
  /** Set of writers queued for it (bit p). */
  readonly waiters: number;
}

/** init_rwsem: an rw_semaphore usable by processes 0..processes-1. */
export function rw_semaphore(
  b: ModelBuilder,
  name: string,
  options: { readonly processes: number; readonly fair: boolean },
): RwSemaphore {
  const n = options.processes;
  if (!(n >= 1 && n <= MAX_PROCESSES)) {
    throw new Error(`rwsem ${name}: ${n} processes; supported 1..${MAX_PROCESSES}`);
  }
  const masks = { ...intDomain(0, (1 << n) - 1), names: processMaskNames(n) };
  const readers = b.shared(`${name}.readers`, masks, 0);
  const owner = b.shared(`${name}.owner`, intDomain(0, n), 0);
  const waiters = b.shared(`${name}.queued_writers`, masks, 0);
  const fair = options.fair;
  const cls: LockClass = {
    name,
    kind: 'lock',
    slots: [readers, owner, waiters],
    modes: ['', 'read', 'write'],
    held: (s, p) => (s[owner] === p + 1 ? RWSEM_WRITE : (s[readers]! & (1 << p)) !== 0 ? RWSEM_READ : 0),
    // a reader waits for readers only through a queued writer, which only a fair rwsem honours
    conflicts: (held, wanted) => held === RWSEM_WRITE || wanted === RWSEM_WRITE || fair,
    blockers: (s, p, wanted) => {
      const out: LockBlocker[] = [];
      if (s[owner] !== 0) out.push({ process: s[owner]! - 1, how: 'holds it for write' });
      const set = wanted === RWSEM_WRITE ? s[readers]! : fair ? s[waiters]! : 0;
      const how =
        wanted === RWSEM_WRITE ? 'holds it for read' : 'is a queued writer (new readers wait behind it)';
      for (let q = 0; q < n; q++) if (q !== p && (set & (1 << q)) !== 0) out.push({ process: q, how });
      return out;
    },
  };
  const id = b.layout.addLock(cls);
  return { name, id, fair, readers, owner, waiters };
}

function bit(c: Context, sem: RwSemaphore): number {
  if (c.proc >= MAX_PROCESSES) throw new Error(`process ${c.proc} cannot use ${sem.name}`);
  return 1 << c.proc;
}

/** down_read(sem): waits while a writer holds it (fair: also while a writer is queued). */
export function down_read(c: Context, sem: RwSemaphore): void {
  const me = bit(c, sem);
  c.lockEvent(sem.id, RWSEM_READ);
  c.fence(Fence.mb);
  if (c.load(sem.owner) !== 0 || (sem.fair && c.load(sem.waiters) !== 0)) {
    c.block();
    return;
  }
  const old = c.rmw(sem.readers, RmwOp.or, me, true);
  if (!c.blocked && (old & me) !== 0) throw new Error(`${sem.name}: recursive down_read() is not modelled`);
}

export function up_read(c: Context, sem: RwSemaphore): void {
  c.rmw(sem.readers, RmwOp.andNot, bit(c, sem), true);
}

/**
 * down_write(sem), fast path: takes it when nobody holds it and returns true; otherwise queues
 * this writer and returns false (continue with `down_write_wait`).
 */
export function down_write(c: Context, sem: RwSemaphore): boolean {
  const me = bit(c, sem);
  c.lockEvent(sem.id, RWSEM_WRITE);
  c.fence(Fence.mb);
  if (c.load(sem.owner) === 0 && c.load(sem.readers) === 0) {
    c.rmw(sem.owner, RmwOp.set, c.proc + 1, true);
    return true;
  }
  c.rmw(sem.waiters, RmwOp.or, me, true);
  return false;
}

/** down_write(sem), slow path (rwsem_down_write_slowpath): sleeps until it can take it. */
export function down_write_wait(c: Context, sem: RwSemaphore): void {
  const me = bit(c, sem);
  c.lockEvent(sem.id, RWSEM_WRITE);
  c.fence(Fence.mb);
  if (c.load(sem.owner) !== 0 || c.load(sem.readers) !== 0) {
    c.block();
    return;
  }
  c.rmw(sem.owner, RmwOp.set, c.proc + 1, true);
  c.rmw(sem.waiters, RmwOp.andNot, me, true);
}

export function up_write(c: Context, sem: RwSemaphore): void {
  c.rmw(sem.owner, RmwOp.set, 0, true);
}
