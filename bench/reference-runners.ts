/**
 * Building and timing SPIN and Rumur on the reference models of bench/reference (for
 * bench/compare.ts), and timing kvmcheck on a model: each returns the state count, the median
 * seconds of `runs` runs and, where the tool reports it, its memory per state.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explore } from '../checker/explore/bfs.ts';
import type { SearchOptions } from '../checker/explore/options.ts';
import type { Model } from '../checker/model/model.ts';

export const referenceDir = join(dirname(fileURLToPath(import.meta.url)), 'reference');

export interface Measured {
  /** 'holds' when the tool explored everything and found no violation (else its complaint). */
  verdict: string;
  states: number;
  seconds: number;
  bytesPerState: number | null;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** kvmcheck's exhaustive search, `runs` times on a fresh instance each. */
export async function timeKvmcheck(
  make: () => Model,
  options: SearchOptions,
  runs: number,
): Promise<Measured> {
  const secs: number[] = [];
  let last: Measured | null = null;
  for (let i = 0; i < runs; i++) {
    const r = await explore(make(), options);
    secs.push(r.stats.seconds);
    last = {
      verdict: r.verdict,
      states: r.stats.states,
      seconds: 0,
      bytesPerState: r.stats.bytesPerState,
    };
  }
  return { ...last!, seconds: median(secs) };
}

/**
 * Replaces the value of each `  NAME: <int>;` constant of a Murphi model (one per line, as the
 * reference models declare them); throws if one is missing, so a renamed constant cannot be
 * silently ignored.
 */
export function setMurphiConsts(src: string, consts: Readonly<Record<string, number>>): string {
  let out = src;
  for (const [name, value] of Object.entries(consts)) {
    const re = new RegExp(`^ {2}${name}: -?\\d+;`, 'm');
    if (!re.test(out)) throw new Error(`the Murphi model has no constant line '  ${name}: <n>;'`);
    out = out.replace(re, `  ${name}: ${value};`);
  }
  return out;
}

/**
 * SPIN: generates pan from `model` (a file of bench/reference) with the -D defines, compiles it
 * without partial-order reduction, runs it `runs` times with a hash table of about twice the
 * expected states (as kvmcheck's table grows to).
 */
export function timeSpin(
  dir: string,
  model: string,
  defines: Readonly<Record<string, number>>,
  expectedStates: number,
  runs: number,
): Measured {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.pml'), readFileSync(join(referenceDir, model)));
  const d = Object.entries(defines).map(([k, v]) => `-D${k}=${v}`);
  execFileSync('spin', [...d, '-a', 'model.pml'], { cwd: dir, stdio: 'ignore' });
  execFileSync('cc', ['-O2', '-DNOREDUCE', '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'ignore' });
  const w = Math.max(18, Math.ceil(Math.log2(Math.max(expectedStates, 1))) + 1);
  const secs: number[] = [];
  let states = 0;
  let mem = 0;
  let verdict = 'holds';
  for (let i = 0; i < runs; i++) {
    const out = execFileSync('./pan', ['-m100000', `-w${w}`], { cwd: dir, encoding: 'utf8' });
    if (!/errors: 0/.test(out)) verdict = `errors (${/errors: (\d+)/.exec(out)?.[1] ?? '?'})`;
    states = Number(/(\d+) states, stored/.exec(out)![1]);
    secs.push(Number(/elapsed time ([\d.e+-]+) seconds/.exec(out)![1]));
    mem = Number(/([\d.]+)\s+total actual memory usage/.exec(out)![1]) * 2 ** 20;
  }
  return { verdict, states, seconds: median(secs), bytesPerState: mem / states };
}

/**
 * Rumur: generates and compiles the checker for `source` (Murphi text) with `rumurArgs`, on one
 * thread or on all, runs it `runs` times and times each run (the checker prints whole seconds).
 */
export function timeRumur(
  dir: string,
  source: string,
  threads: 'single' | 'all',
  rumurArgs: readonly string[],
  runs: number,
): Measured {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.m'), source);
  const bin = `checker-${threads}`;
  const threadArgs = threads === 'single' ? ['--threads', '1'] : [];
  execFileSync('rumur', [...rumurArgs, ...threadArgs, '--output', `${bin}.c`, 'model.m'], {
    cwd: dir,
    stdio: 'ignore',
  });
  execFileSync('cc', ['-O3', '-mcx16', '-o', bin, `${bin}.c`, '-lpthread'], { cwd: dir, stdio: 'ignore' });
  const secs: number[] = [];
  let states = 0;
  let verdict = 'holds';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    // the checker exits non-zero when it finds an error: keep its output to say which
    const r = spawnSync(`./${bin}`, [], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
    secs.push((performance.now() - t0) / 1000);
    const out = r.stdout ?? '';
    if (!/No error found/.test(out)) {
      const what = /^\s*(invariant "[^"]*" failed|deadlock|assertion[^\n]*)/m.exec(out)?.[1];
      verdict = `error (${what ?? `exit ${r.status}`})`;
    }
    states = Number(/(\d+) states, \d+ rules fired/.exec(out)?.[1] ?? Number.NaN);
  }
  return { verdict, states, seconds: median(secs), bytesPerState: null };
}
