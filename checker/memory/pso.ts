import type { Layout, LayoutBuilder } from '../state/layout.ts';
import { Fence, type FenceKind } from './context.ts';
import { drainFootprint, type MemoryInstance, type MemoryModel, type MemoryOptions } from './memory-model.ts';
import {
  BufferedContext,
  type BufferSlots,
  bufferAddressSlots,
  declareStoreBuffers,
  drainActions,
  pendingStores,
} from './store-buffer.ts';

/**
 * SPARC PSO (SPARC V9 manual, partial store order): TSO plus store->store reordering between
 * different addresses. Each CPU's store buffer drains per address in order but across addresses
 * in any order, except across an smp_wmb() (STBAR) or the barrier a release store carries.
 * Loads still execute in order against one memory (multicopy atomic), so smp_rmb() orders
 * nothing extra and removing one never shows a bug here. smp_mb() and smp_mb__before/after_atomic()
 * wait for an empty buffer; every atomic, even a failing cmpxchg, is a locked instruction that
 * waits for an empty buffer and acts on memory (the mapping of ../shared/litmus/NOTES.md §2).
 */
export class PsoContext extends BufferedContext {
  protected commit(ref: number, v: number): void {
    this.write(ref, v);
  }

  load(ref: number): number {
    const f = this.forward(ref);
    return f !== undefined ? f : this.read(ref);
  }

  loadAcquire(ref: number): number {
    return this.load(ref);
  }

  store(ref: number, v: number): void {
    this.bufferStore(ref, v);
  }

  storeRelease(ref: number, v: number): void {
    this.markFence();
    this.bufferStore(ref, v);
  }

  fence(kind: FenceKind): void {
    if (kind === Fence.wmb) this.markFence();
    else if (kind !== Fence.rmb && this.buffered() !== 0) this.blocked = true;
  }

  /** Locked instructions wait for an empty buffer. */
  protected override ownBuffered(): number {
    return this.buffered();
  }
}

export const pso: MemoryModel = {
  name: 'pso',
  description:
    'SPARC PSO: tso plus store->store reordering across addresses; smp_wmb and release order stores',
  extend(lb: LayoutBuilder, processes: readonly string[], options: MemoryOptions): MemoryInstance {
    const buffers: BufferSlots = declareStoreBuffers(lb, processes, options.bufferDepth);
    return {
      createContext: (layout: Layout) => new PsoContext(layout, buffers),
      actions: (p) => drainActions(options.bufferDepth, drainFootprint(lb, p)),
      pending: (s, p) => pendingStores(s, buffers, p),
      holdsAddresses: true,
      addressSlots: (p) => bufferAddressSlots(buffers, p),
    };
  },
};
