import { type Context, RmwOp } from '../memory/context.ts';
import type { ModelBuilder } from '../model/builder.ts';
import { intDomain } from '../state/layout.ts';
import { type LockBlocker, type LockClass, processMaskNames } from '../state/lock-class.ts';

/**
 * Read-write spinlocks (include/linux/rwlock.h; the qrwlock on x86, where kvm->mmu_lock has been
 * one since the TDP MMU's parallel page faults). Many readers or one writer.
 *
 * State: the set of readers holding it (bit p; the kernel's reader count is its popcount, kept
 * as a set so deadlock reports can name the holders) and the writer holding it (holder+1).
 * Taking it is one atomic acquire RMW that is disabled while it is incompatible (the thread
 * spins); under tso it waits for the store buffer, as LOCK xadd/cmpxchg do. read_unlock is a
 * release RMW (atomic_sub_return_release), write_unlock a release store (smp_store_release of
 * the writer byte), which under tso may sit in the buffer.
 *
 * Not modelled: the qrwlock's queueing, which makes new readers wait behind a waiting writer.
 * Here readers get in whenever no writer holds it; that changes fairness, not which states
 * are reachable once a writer has the lock.
 */

export const RWLOCK_READ = 1;
export const RWLOCK_WRITE = 2;

const MAX_PROCESSES = 10;

export interface RwLock {
  readonly name: string;
  /** Lock id in the layout. */
  readonly id: number;
  /** Set of processes holding it for read (bit p). */
  readonly readers: number;
  /** The writer holding it, as holder+1; 0 when none. */
  readonly writer: number;
}

/** DEFINE_RWLOCK / rwlock_init: an rwlock_t usable by processes 0..processes-1. */
export function DEFINE_RWLOCK(b: ModelBuilder, name: string, processes: number): RwLock {
  if (!(processes >= 1 && processes <= MAX_PROCESSES)) {
    throw new Error(`rwlock ${name}: ${processes} processes; supported 1..${MAX_PROCESSES}`);
  }
  const readers = b.shared(
    `${name}.readers`,
    { ...intDomain(0, (1 << processes) - 1), names: processMaskNames(processes) },
    0,
  );
  const writer = b.shared(`${name}.writer`, intDomain(0, processes), 0);
  const cls: LockClass = {
    name,
    kind: 'lock',
    slots: [readers, writer],
    modes: ['', 'read', 'write'],
    held: (s, p) => (s[writer] === p + 1 ? RWLOCK_WRITE : (s[readers]! & (1 << p)) !== 0 ? RWLOCK_READ : 0),
    conflicts: (held, wanted) => held === RWLOCK_WRITE || wanted === RWLOCK_WRITE,
    blockers: (s, p, wanted) => {
      const out: LockBlocker[] = [];
      if (s[writer] !== 0) out.push({ process: s[writer]! - 1, how: 'holds it for write' });
      if (wanted === RWLOCK_WRITE) {
        for (let q = 0; q < processes; q++)
          if (q !== p && (s[readers]! & (1 << q)) !== 0) out.push({ process: q, how: 'holds it for read' });
      }
      return out;
    },
  };
  const id = b.layout.addLock(cls);
  return { name, id, readers, writer };
}

function bit(c: Context, l: RwLock): number {
  if (c.proc >= MAX_PROCESSES) throw new Error(`process ${c.proc} cannot use ${l.name}`);
  return 1 << c.proc;
}

/** read_lock(lock): spins while a writer holds it. */
export function read_lock(c: Context, l: RwLock): void {
  const me = bit(c, l);
  c.lockEvent(l.id, RWLOCK_READ);
  if (c.load(l.writer) !== 0) {
    c.block();
    return;
  }
  const old = c.rmw(l.readers, RmwOp.or, me, true);
  if (!c.blocked && (old & me) !== 0) throw new Error(`${l.name}: recursive read_lock() is not modelled`);
}

export function read_unlock(c: Context, l: RwLock): void {
  c.rmw(l.readers, RmwOp.andNot, bit(c, l), true);
}

/** write_lock(lock): spins while anybody holds it. */
export function write_lock(c: Context, l: RwLock): void {
  bit(c, l);
  c.lockEvent(l.id, RWLOCK_WRITE);
  if (c.load(l.writer) !== 0 || c.load(l.readers) !== 0) {
    c.block();
    return;
  }
  c.rmw(l.writer, RmwOp.set, c.proc + 1, true);
}

export function write_unlock(c: Context, l: RwLock): void {
  c.storeRelease(l.writer, 0);
}
