import { MEMORY_MODELS } from '../checker/memory/index.ts';
import { UsageError } from './errors.ts';

/** Helpers every command shares: option parsing, Ctrl-C, progress on stderr. */
export const memoryChoices = [...MEMORY_MODELS.keys()];

export function positiveInt(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`bad value '${v}' for --${name}: expected a positive integer`);
  return n;
}

export function positiveNumber(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) throw new UsageError(`bad value '${v}' for --${name}: expected a positive number of seconds`);
  return n;
}

/** Ctrl-C aborts the run (it then reports what it explored); a second Ctrl-C exits at once. */
export function interruptible(): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  const onInt = () => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', onInt);
  return { signal: ac.signal, done: () => process.off('SIGINT', onInt) };
}

export function progressPrinter():
  | ((p: { states: number; statesPerSecond: number; queue: number; depth: number; seconds: number }) => void)
  | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    process.stderr.write(
      `\r\x1b[K  ${p.states.toLocaleString('en-US')} states  ${Math.round(p.statesPerSecond / 1000)}k states/s  queue ${p.queue.toLocaleString('en-US')}  depth ${p.depth}  ${p.seconds.toFixed(0)} s`,
    );
  };
}

export function clearProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
}

/** The `<model>` positional of check, necessity and diff. */
export const modelPositional = {
  type: 'string',
  demandOption: true,
  describe: 'model name (see list) or path to a model file',
} as const;

export const modelOptions = {
  variant: { type: 'string', describe: 'model variant (see `kvmcheck list`); default: the first, fixed' },
  set: {
    type: 'string',
    array: true,
    describe: 'model parameter, key=value (repeatable, or comma-separated)',
  },
  memory: { type: 'string', default: 'tso', describe: `memory model: ${memoryChoices.join(', ')}` },
  'sb-depth': { type: 'number', describe: 'store-buffer entries per CPU (tso, pso, relaxed)', default: 2 },
} as const;
