import type { Layout } from '../state/layout.ts';
import { applyRmw, Context, type FenceKind, type RmwOp } from './context.ts';
import type { MemoryInstance, MemoryModel } from './memory-model.ts';

/** Sequential consistency: every access acts on memory at once, in program order. */
export class ScContext extends Context {
  load(ref: number): number {
    return this.read(ref);
  }
  loadAcquire(ref: number): number {
    return this.read(ref);
  }
  store(ref: number, v: number): void {
    this.write(ref, v);
  }
  storeRelease(ref: number, v: number): void {
    this.write(ref, v);
  }
  fence(_kind: FenceKind): void {}
  cmpxchg(ref: number, expected: number, v: number): number {
    const old = this.read(ref);
    if (old === expected) this.write(ref, v);
    return old;
  }
  xchg(ref: number, v: number): number {
    const old = this.read(ref);
    this.write(ref, v);
    return old;
  }
  rmw(ref: number, op: RmwOp, arg: number, _ordered: boolean): number {
    const old = this.read(ref);
    this.write(ref, applyRmw(op, old, arg));
    return old;
  }
}

export const sc: MemoryModel = {
  name: 'sc',
  description: 'sequential consistency: one global order of all accesses, each in program order',
  extend(): MemoryInstance {
    return {
      createContext: (layout: Layout) => new ScContext(layout),
      actions: () => [],
      pending: () => [],
      holdsAddresses: false,
    };
  },
};
