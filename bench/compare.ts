/**
 * kvmcheck against SPIN and Rumur on the same protocol: bench/reference/vcpu-requests.{pml,m} are
 * written to have exactly the reachable states of models/vcpu-requests.ts (fixed, tso, reductions
 * off). For growing vCPU counts this builds SPIN's pan (-O2 -DNOREDUCE) and Rumur's checker
 * (single thread, and all threads), runs each --runs times (default 3), checks that the three
 * state counts agree, and prints states, seconds, states/s, bytes/state and the ratios.
 *   npm run bench:compare                 # vcpus 2,3,4
 *   npm run bench:compare -- --vcpus 2,3 --runs 5 --json
 * Without spin, rumur or cc on the machine it says so and measures kvmcheck alone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { explore } from '../checker/explore/bfs.ts';
import { instantiate } from '../checker/model/define.ts';
import def from '../models/vcpu-requests.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const runs = Number(opt('runs', '3'));
const vcpuCounts = opt('vcpus', '2,3,4').split(',').map(Number);
const json = args.includes('--json');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

interface Row {
  checker: string;
  vcpus: number;
  states: number;
  seconds: number;
  statesPerSecond: number;
  bytesPerState: number | null;
}

const work = mkdtempSync(join(tmpdir(), 'kvmcheck-compare-'));
const rows: Row[] = [];
const notes: string[] = [];

async function kvmcheck(vcpus: number, symmetry: 'on' | 'off'): Promise<Row> {
  const secs: number[] = [];
  let states = 0;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const model = instantiate(def, { variant: 'fixed', memory: 'tso', params: { vcpus } });
    const r = await explore(model, { symmetry });
    if (r.verdict !== 'holds') throw new Error(`kvmcheck: expected holds, got ${r.verdict}`);
    secs.push(r.stats.seconds);
    states = r.stats.states;
    bytes = r.stats.bytesPerState;
  }
  const s = median(secs);
  return {
    checker: symmetry === 'on' ? 'kvmcheck (symmetry)' : 'kvmcheck',
    vcpus,
    states,
    seconds: s,
    statesPerSecond: states / s,
    bytesPerState: bytes,
  };
}

function spin(vcpus: number, expected: number): Row | null {
  const dir = join(work, `spin${vcpus}`);
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'model.pml'), readFileSync(join(here, 'reference', 'vcpu-requests.pml')));
  execFileSync('spin', [`-DNV=${vcpus}`, '-DNR=1', '-a', 'model.pml'], { cwd: dir });
  execFileSync('cc', ['-O2', '-DNOREDUCE', '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'ignore' });
  const secs: number[] = [];
  let states = 0;
  let mem = 0;
  for (let i = 0; i < runs; i++) {
    // a hash table of about twice the states (SPIN's -w), as kvmcheck's table grows to
    const w = Math.max(18, Math.ceil(Math.log2(expected)) + 1);
    const out = execFileSync('./pan', ['-m100000', `-w${w}`], { cwd: dir, encoding: 'utf8' });
    if (!/errors: 0/.test(out)) throw new Error(`spin: the reference model reports errors:\n${out}`);
    states = Number(/(\d+) states, stored/.exec(out)![1]);
    secs.push(Number(/elapsed time ([\d.e+-]+) seconds/.exec(out)![1]));
    mem = Number(/([\d.]+)\s+total actual memory usage/.exec(out)![1]) * 2 ** 20;
  }
  const s = median(secs);
  return {
    checker: 'spin',
    vcpus,
    states,
    seconds: s,
    statesPerSecond: states / s,
    bytesPerState: mem / states,
  };
}

function rumur(vcpus: number, threads: 'single' | 'all'): Row | null {
  const dir = join(work, `rumur${vcpus}`);
  execFileSync('mkdir', ['-p', dir]);
  const src = readFileSync(join(here, 'reference', 'vcpu-requests.m'), 'utf8').replace(
    /^ {2}NV: \d+;/m,
    `  NV: ${vcpus};`,
  );
  writeFileSync(join(dir, 'model.m'), src);
  const bin = `checker-${threads}`;
  const threadArgs = threads === 'single' ? ['--threads', '1'] : [];
  execFileSync('rumur', ['--deadlock-detection', 'off', ...threadArgs, '--output', `${bin}.c`, 'model.m'], {
    cwd: dir,
    stdio: 'ignore',
  });
  execFileSync('cc', ['-O3', '-mcx16', '-o', bin, `${bin}.c`, '-lpthread'], { cwd: dir, stdio: 'ignore' });
  const secs: number[] = [];
  let states = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const out = execFileSync(`./${bin}`, [], { cwd: dir, encoding: 'utf8' });
    secs.push((performance.now() - t0) / 1000);
    if (!/No error found/.test(out)) throw new Error(`rumur: the reference model reports errors:\n${out}`);
    states = Number(/(\d+) states, \d+ rules fired/.exec(out)![1]);
  }
  const s = median(secs);
  return {
    checker: threads === 'single' ? 'rumur (1 thread)' : 'rumur (all threads)',
    vcpus,
    states,
    seconds: s,
    statesPerSecond: states / s,
    bytesPerState: null,
  };
}

const haveSpin = have('spin') && have('cc');
const haveRumur = have('rumur') && have('cc');
if (!haveSpin) notes.push('spin skipped: spin or cc is not installed (apt-get install spin)');
if (!haveRumur) notes.push('rumur skipped: rumur or cc is not installed (apt-get install rumur)');

for (const v of vcpuCounts) {
  const k = await kvmcheck(v, 'off');
  rows.push(k);
  const others: Row[] = [];
  if (haveSpin) others.push(spin(v, k.states)!);
  if (haveRumur) others.push(rumur(v, 'single')!, rumur(v, 'all')!);
  for (const o of others) {
    rows.push(o);
    if (o.states !== k.states)
      notes.push(`MISMATCH at vcpus=${v}: ${o.checker} found ${o.states} states, kvmcheck ${k.states}`);
  }
  rows.push(await kvmcheck(v, 'on'));
}

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
if (json) {
  process.stdout.write(`${JSON.stringify({ runs, rows, notes }, null, 2)}\n`);
} else {
  console.log(`vcpu-requests (fixed, tso, 1 requester), median of ${runs} runs; ratios are kvmcheck / other`);
  console.log(
    `${'checker'.padEnd(22)}${'vcpus'.padEnd(7)}${'states'.padStart(11)}${'seconds'.padStart(10)}${'states/s'.padStart(12)}${'bytes/state'.padStart(13)}${'  states/s ratio'}`,
  );
  for (const r of rows) {
    const k = rows.find((x) => x.checker === 'kvmcheck' && x.vcpus === r.vcpus)!;
    const ratio =
      r.checker === 'kvmcheck' || r.checker.startsWith('kvmcheck (')
        ? ''
        : `  ${(k.statesPerSecond / r.statesPerSecond).toFixed(2)}x`;
    console.log(
      `${r.checker.padEnd(22)}${String(r.vcpus).padEnd(7)}${fmt(r.states).padStart(11)}${fmt(r.seconds, 3).padStart(10)}${fmt(r.statesPerSecond).padStart(12)}${(r.bytesPerState === null ? '-' : fmt(r.bytesPerState, 1)).padStart(13)}${ratio}`,
    );
  }
  for (const n of notes) console.log(`note: ${n}`);
}
if (notes.some((n) => n.startsWith('MISMATCH'))) process.exitCode = 1;
