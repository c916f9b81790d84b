// Entry of the worker threads of checker/explore/parallel.ts. A worker starts without the main
// thread's module hooks, so it registers tsx itself (as bin/kvmcheck.js does) before loading the
// TypeScript sources; this works under `kvmcheck`, the tsx CLI and vitest alike.
import { register } from 'tsx/esm/api';

register();
const { runWorker } = await import('./parallel-worker.ts');
runWorker();
