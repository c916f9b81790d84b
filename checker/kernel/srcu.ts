import { type Context, Fence, RmwOp } from '../memory/context.ts';
import type { ModelBuilder } from '../model/builder.ts';
import { intDomain } from '../state/layout.ts';
import type { LockClass } from '../state/lock-class.ts';

/**
 * Sleepable RCU (include/linux/srcu.h) as a waitable primitive. What matters for KVM's lock
 * rules is the grace-period guarantee: synchronize_srcu() waits for every read-side critical
 * section that began before it, and for no section that began after it (locking.rst §1: "a
 * grace period only waits for readers that started before it").
 *
 * State: one slot per process, `nesting | (waited_by << 2)`: the reader's nesting depth (0..3)
 * and the set of processes whose pending grace period still waits for this reader's current
 * section. A grace period starts by marking every reader then inside a section (the snapshot);
 * the outermost srcu_read_unlock() clears the marks; the grace period ends when none of its
 * marks is left. A reader that enters after the snapshot carries no mark, so it is not waited for.
 *
 * synchronize_srcu() is two steps because a process cannot both take its snapshot and sleep in
 * one atomic step: `synchronize_srcu` starts the grace period, `synchronize_srcu_wait` sleeps
 * until it ends. All operations are fully ordered (srcu_read_lock/unlock contain smp_mb(), and
 * the grace period is bracketed by full barriers): under tso they wait for the store buffer, and
 * a step that reads several reader slots starts with a full fence so it reads them all current.
 */

/** Lock modes of an srcu_struct, as the lock-order graph names them. */
export const SRCU_READER = 1;
export const SRCU_SYNC = 2;

const NEST_BITS = 2;
const NEST_MASK = (1 << NEST_BITS) - 1;
const MAX_PROCESSES = 10;

export interface SrcuStruct {
  readonly name: string;
  /** Lock id in the layout. */
  readonly id: number;
  /** Per process: the reader slot. */
  readonly readers: readonly number[];
}

function valueNames(n: number): string[] {
  return Array.from({ length: (NEST_MASK + 1) << n }, (_, v) => {
    const nest = v & NEST_MASK;
    const by = v >> NEST_BITS;
    if (by === 0) return String(nest);
    const ps: number[] = [];
    for (let p = 0; p < n; p++) if (by & (1 << p)) ps.push(p);
    return `${nest} (grace period of process ${ps.join(',')} waits)`;
  });
}

/** DEFINE_SRCU / init_srcu_struct: an srcu_struct usable by processes 0..processes-1. */
export function srcu_struct(b: ModelBuilder, name: string, processes: number): SrcuStruct {
  if (!(processes >= 1 && processes <= MAX_PROCESSES)) {
    throw new Error(`srcu ${name}: ${processes} processes; supported 1..${MAX_PROCESSES}`);
  }
  const domain = { ...intDomain(0, ((NEST_MASK + 1) << processes) - 1), names: valueNames(processes) };
  const readers = Array.from({ length: processes }, (_, p) => b.shared(`${name}.reader[${p}]`, domain, 0));
  const cls: LockClass = {
    name,
    kind: 'lock',
    slots: readers,
    modes: ['', 'reader', 'synchronize_srcu'],
    held: (s, p) => (p < processes && (s[readers[p]!]! & NEST_MASK) !== 0 ? SRCU_READER : 0),
    // a grace period waits for readers; readers never wait for anything
    conflicts: (_held, wanted) => wanted === SRCU_SYNC,
    blockers: (s, p, wanted) => {
      if (wanted !== SRCU_SYNC) return [];
      const bit = 1 << (p + NEST_BITS);
      const out = [];
      for (let q = 0; q < processes; q++) {
        if ((s[readers[q]!]! & bit) !== 0) {
          out.push({
            process: q,
            how: 'is in a read-side critical section that began before the grace period',
          });
        }
      }
      return out;
    },
  };
  const id = b.layout.addLock(cls);
  return { name, id, readers };
}

function readerSlot(c: Context, sp: SrcuStruct): number {
  const ref = sp.readers[c.proc];
  if (ref === undefined) throw new Error(`process ${c.proc} is not declared as a user of ${sp.name}`);
  return ref;
}

/** srcu_read_lock(ssp): enters (or nests) a read-side critical section. */
export function srcu_read_lock(c: Context, sp: SrcuStruct): void {
  const ref = readerSlot(c, sp);
  c.lockEvent(sp.id, SRCU_READER);
  const old = c.rmw(ref, RmwOp.add, 1, true);
  if (!c.blocked && (old & NEST_MASK) === NEST_MASK)
    throw new Error(`${sp.name}: read-side nesting deeper than 3`);
}

/** srcu_read_unlock(ssp, idx): leaves the section; the outermost unlock releases waiting grace periods. */
export function srcu_read_unlock(c: Context, sp: SrcuStruct): void {
  const ref = readerSlot(c, sp);
  // atomics only (no plain load of the slot), so a grace period's mark is never lost
  const old = c.rmw(ref, RmwOp.add, -1, true);
  if (c.blocked) return;
  const nest = old & NEST_MASK;
  if (nest === 0) throw new Error(`${sp.name}: srcu_read_unlock() outside a read-side critical section`);
  if (nest === 1) c.rmw(ref, RmwOp.set, 0, true);
}

/** synchronize_srcu(ssp), first half: the grace period starts; it will wait for the readers inside now. */
export function synchronize_srcu(c: Context, sp: SrcuStruct): void {
  readerSlot(c, sp);
  c.lockEvent(sp.id, SRCU_SYNC);
  c.fence(Fence.mb);
  if (c.blocked) return;
  const bit = 1 << (c.proc + NEST_BITS);
  for (let p = 0; p < sp.readers.length; p++) {
    const ref = sp.readers[p]!;
    if ((c.load(ref) & NEST_MASK) !== 0) c.rmw(ref, RmwOp.or, bit, true);
  }
}

/** synchronize_srcu(ssp), second half: sleeps until every reader marked at its start has left. */
export function synchronize_srcu_wait(c: Context, sp: SrcuStruct): void {
  readerSlot(c, sp);
  c.lockEvent(sp.id, SRCU_SYNC);
  c.fence(Fence.mb);
  if (c.blocked) return;
  const bit = 1 << (c.proc + NEST_BITS);
  for (let p = 0; p < sp.readers.length; p++) {
    if ((c.load(sp.readers[p]!) & bit) !== 0) {
      c.block();
      return;
    }
  }
}

/** For properties: the read-side nesting depth of process `p` in state `s`. */
export function srcuReadDepth(s: Int32Array, sp: SrcuStruct, p: number): number {
  return s[sp.readers[p]!]! & NEST_MASK;
}

/** For properties: whether some grace period in `s` still waits for a reader. */
export function srcuGracePeriodWaiting(s: Int32Array, sp: SrcuStruct): boolean {
  for (let p = 0; p < sp.readers.length; p++) if (s[sp.readers[p]!]! >> NEST_BITS !== 0) return true;
  return false;
}
