import type { Layout } from '../state/layout.ts';
import { Context, type FenceKind } from './context.ts';
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
