/** Linux primitives as step building blocks, named as in the kernel. */
export * from './atomics.ts';
export * from './irq.ts';
export * from './locks.ts';
export * from './once.ts';
