import type { Layout, LayoutBuilder } from '../state/layout.ts';
import type { Context } from './context.ts';

/**
 * A memory model owns the part of a state that holds not-yet-visible stores (store buffers),
 * the Context that gives loads and stores their meaning, and the steps it adds of its own
 * (a buffered store draining to memory). Models never see which one is in use.
 */
export interface MemoryOptions {
  /** Entries per store buffer (tso, pso). */
  readonly bufferDepth: number;
}

export interface MemoryAction {
  readonly name: string;
  /** Shown in traces as the step's label. */
  readonly label: string;
  /** Cheap test, run before the state is copied: is the action possible at all? */
  readonly guard?: (c: Context) => boolean;
  readonly effect: (c: Context) => void;
  /**
   * Every slot the action may read (its guard: `guard`) and write from any state, declared by the
   * memory model that knows them; the partial-order reduction uses it instead of enumerating
   * (a drain may store to any address its buffer holds, too many paths to enumerate).
   */
  readonly footprint?: DeclaredFootprint;
}

export interface DeclaredFootprint {
  readonly guard: readonly number[];
  readonly reads: readonly number[];
  readonly writes: readonly number[];
}

/**
 * The footprint of a store-buffer drain of process `p` under tso or pso: it reads and writes
 * `p`'s own buffer slots and writes one shared variable, any of them. Call once every slot is
 * declared.
 */
export function drainFootprint(lb: LayoutBuilder, p: number): DeclaredFootprint {
  const slots = lb.build().slots;
  const own = slots.filter((s) => s.kind === 'memory' && s.owner === p).map((s) => s.index);
  const shared = slots.filter((s) => s.kind === 'shared').map((s) => s.index);
  return { guard: own, reads: own, writes: [...own, ...shared] };
}

export interface MemoryInstance {
  createContext(layout: Layout): Context;
  /** The memory model's own steps for process `p` (e.g. its store-buffer drain). */
  actions(p: number): MemoryAction[];
  /** The stores of process `p` not yet visible to others, oldest first, for traces. */
  pending(s: Int32Array, p: number): { ref: number; value: number }[];
  /**
   * Where the memory model keeps slot numbers inside a state (a store buffer's address field),
   * so symmetry reduction can rename them: per process, the slot counting used entries and the
   * address slot of each entry. Absent when the model keeps no addresses; a memory model that
   * keeps addresses but does not say where makes symmetry reduction unavailable.
   */
  addressSlots?(p: number): { count: number; addrs: readonly number[] };
  /** True when the state holds addresses (buffers); then `addressSlots` is needed for symmetry. */
  readonly holdsAddresses: boolean;
  /**
   * How many ways the model runs each step of a process (default 1): each becomes an action of
   * its own and the step sees which one in `Context.variant`. `relaxed` uses 2: loads read what
   * the CPU has seen so far, or first catch up on the variables they load.
   */
  readonly stepVariants?: number;
}

export interface MemoryModel {
  readonly name: string;
  readonly description: string;
  /** Declares the memory model's slots after the model's own, for `processes` CPUs. */
  extend(lb: LayoutBuilder, processes: readonly string[], options: MemoryOptions): MemoryInstance;
}
