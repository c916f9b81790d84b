/** Linux primitives as step building blocks, named as in the kernel. */
export * from './atomics.ts';
export * from './irq.ts';
export * from './locks.ts';
export * from './once.ts';
export * from './rcuwait.ts';
export * from './rwlock.ts';
export * from './rwsem.ts';
export * from './srcu.ts';
