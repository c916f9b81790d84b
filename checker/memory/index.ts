import type { MemoryModel } from './memory-model.ts';
import { pso } from './pso.ts';
import { relaxed } from './relaxed.ts';
import { sc } from './sc.ts';
import { tso } from './tso.ts';

/** The memory models a run may choose with --memory. */
export const MEMORY_MODELS: ReadonlyMap<string, MemoryModel> = new Map([
  ['sc', sc],
  ['tso', tso],
  ['pso', pso],
  ['relaxed', relaxed],
]);

export const DEFAULT_MEMORY = 'tso';

export type { MemoryInstance, MemoryModel, MemoryOptions } from './memory-model.ts';
