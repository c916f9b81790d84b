/**
 * Random-mode benchmark (issue 7, "Performance"):
 *   1. random steps per second on vcpu-requests (fixed, vcpus=4, tso) and on an MMU model,
 *      uniform and PCT, median over seeds;
 *   2. time to first violation on two broken variants (vcpu-requests no-mb-vcpu and
 *      no-mb-requester under tso, vcpus=4), median over seeds, with the raw and shrunk lengths;
 *   3. with --quint PATH (the `quint` executable, @informalsystems/quint; see
 *      bench/reference/quint/README.md), Quint's `quint run --backend=typescript` on the
 *      equivalent spec bench/reference/quint/vcpu_requests.qnt, measured side by side with our
 *      walks of the same length, and the ratio of steps per second.
 *
 *   npx tsx bench/random.ts [--seeds 5] [--quint /tmp/quint-bench/node_modules/.bin/quint] [--json]
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exploreRandom } from '../checker/explore/random.ts';
import type { StrategyName } from '../checker/explore/strategy.ts';
import { instantiate, type ModelDefinition } from '../checker/model/define.ts';
import { loadCatalog } from '../models/index.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const json = args.includes('--json');
const seeds = Number(flag('--seeds') ?? 5);
const quint = flag('--quint');
const here = dirname(fileURLToPath(import.meta.url));
const catalog = await loadCatalog();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const log = (s: string) => {
  if (!json) console.log(s);
};

interface Config {
  model: string;
  variant: string;
  memory: string;
  params: Record<string, number>;
}

function build(c: Config) {
  const def = catalog.get(c.model) as ModelDefinition;
  return instantiate(def, { variant: c.variant, memory: c.memory, params: c.params });
}

/** Steps/s of walks over a fixed model, one run per seed. */
async function throughput(c: Config, strategy: StrategyName, runs: number, depth?: number) {
  const model = build(c);
  await exploreRandom(model, { seed: 12345, runs: Math.max(1, runs >> 3), strategy, depth }); // warm-up
  const rates: number[] = [];
  let walkLength = 0;
  for (let s = 1; s <= seeds; s++) {
    const r = await exploreRandom(model, { seed: s, runs, strategy, depth });
    if (r.result.verdict !== 'incomplete')
      throw new Error(`${c.model}: expected no violation, got ${r.result.verdict}`);
    rates.push(r.search.stepsPerSecond);
    walkLength = r.search.steps / r.search.walks;
  }
  return { ...c, strategy, runs, depth: depth ?? null, walkLength, stepsPerSecond: median(rates) };
}

/** Time, walks and steps to the first violation, and the shrink, one run per seed. */
async function firstViolation(c: Config, strategy: StrategyName) {
  const model = build(c);
  const rows: {
    seconds: number;
    walks: number;
    steps: number;
    raw: number;
    fastCheck: number;
    shrunk: number;
    switches: number;
    shrinkSeconds: number;
  }[] = [];
  for (let s = 1; s <= Math.max(seeds, 11); s++) {
    const r = await exploreRandom(model, { seed: s, runs: 1_000_000, strategy });
    if (r.result.verdict !== 'violated')
      throw new Error(`${c.model} ${c.variant}: no violation with seed ${s}`);
    const x = r.counterexample!;
    rows.push({
      seconds: r.search.seconds,
      walks: r.search.walks,
      steps: r.search.steps,
      raw: x.rawLength,
      fastCheck: x.fastCheckLength,
      shrunk: x.shrunkLength,
      switches: x.shrunkSwitches,
      shrinkSeconds: x.shrinkSeconds,
    });
  }
  const m = (f: (r: (typeof rows)[number]) => number) => median(rows.map(f));
  return {
    ...c,
    strategy,
    seeds: rows.length,
    secondsToViolation: m((r) => r.seconds),
    walksToViolation: m((r) => r.walks),
    stepsToViolation: m((r) => r.steps),
    rawLength: m((r) => r.raw),
    fastCheckLength: m((r) => r.fastCheck),
    shrunkLength: m((r) => r.shrunk),
    shrunkMax: Math.max(...rows.map((r) => r.shrunk)),
    shrunkSwitches: m((r) => r.switches),
    shrinkSeconds: m((r) => r.shrinkSeconds),
  };
}

const out: Record<string, unknown> = {};

log(`random mode, one thread, median of ${seeds} seeds`);
const vr = { model: 'vcpu-requests', variant: 'fixed', memory: 'tso', params: { vcpus: 4 } };
// An MMU model: the first of these that the catalog has and that runs clean.
const mmuCandidates = ['mn-invalidate', 'tlbs-dirty', 'tlb-flush-ro', 'dirty-bit'];
let mmu: Config | null = null;
for (const name of mmuCandidates) {
  if (!catalog.has(name)) continue;
  const c = { model: name, variant: 'fixed', memory: 'tso', params: {} };
  const probe = await exploreRandom(build(c), { seed: 1, runs: 50 });
  if (probe.result.verdict === 'incomplete') {
    mmu = c;
    break;
  }
  log(`(skipping ${name}: a random run of its fixed variant ends ${probe.result.verdict})`);
}
const tp = [];
for (const c of [vr, ...(mmu ? [mmu] : [])]) {
  for (const strategy of ['uniform', 'pct'] as const) tp.push(await throughput(c, strategy, 4000));
}
out.throughput = tp;
log('\nsteps per second (walks run until nothing is enabled, at most 500 steps)');
log('model           variant  memory  params     strategy  walk length  steps/s');
for (const r of tp) {
  log(
    `${r.model.padEnd(16)}${r.variant.padEnd(9)}${r.memory.padEnd(8)}${JSON.stringify(r.params).padEnd(11)}${r.strategy.padEnd(10)}${r.walkLength.toFixed(1).padEnd(13)}${Math.round(r.stepsPerSecond).toLocaleString('en-US')}`,
  );
}

const ttv = [];
for (const variant of ['no-mb-vcpu', 'no-mb-requester']) {
  for (const strategy of ['uniform', 'pct'] as const) {
    ttv.push(
      await firstViolation(
        { model: 'vcpu-requests', variant, memory: 'tso', params: { vcpus: 4 } },
        strategy,
      ),
    );
  }
}
out.timeToViolation = ttv;
log(`\ntime to first violation, vcpu-requests vcpus=4 tso, median of ${ttv[0]!.seeds} seeds`);
log('variant          strategy  seconds  walks   steps    raw  fast-check  shrunk (max)  switches  shrink s');
for (const r of ttv) {
  log(
    `${r.variant.padEnd(17)}${r.strategy.padEnd(10)}${r.secondsToViolation.toFixed(3).padEnd(9)}${String(r.walksToViolation).padEnd(8)}${String(r.stepsToViolation).padEnd(9)}${String(r.rawLength).padEnd(5)}${String(r.fastCheckLength).padEnd(12)}${`${r.shrunkLength} (${r.shrunkMax})`.padEnd(14)}${String(r.shrunkSwitches).padEnd(10)}${r.shrinkSeconds.toFixed(3)}`,
  );
}

if (quint) {
  // Side by side on the same model, walks of the same length (60 steps: no walk of this model
  // ends sooner, so every Quint sample and every walk of ours is exactly 60 steps).
  const spec = join(here, 'reference', 'quint', 'vcpu_requests.qnt');
  const steps = 60;
  const samples = Number(flag('--quint-samples') ?? 300);
  // ours just before and just after Quint, so a change in machine load shows in the spread
  const before = await throughput(vr, 'uniform', 4000, steps);
  const t0 = performance.now();
  const q = spawnSync(
    quint,
    [
      'run',
      '--backend=typescript',
      '--main',
      'fixed',
      '--max-samples',
      String(samples),
      '--max-steps',
      String(steps),
      '--invariant',
      'invariants',
      '--verbosity',
      '1',
      '--seed',
      '0x1',
      spec,
    ],
    { encoding: 'utf8' },
  );
  const wall = (performance.now() - t0) / 1000;
  const text = `${q.stdout}\n${q.stderr}`;
  const sim = /\((\d+)ms at/.exec(text);
  const avg = /average=([\d.]+)/.exec(text);
  if (q.status !== 0 || !sim) {
    log(`\nquint run failed (exit ${q.status}):\n${text.slice(0, 2000)}`);
    out.quint = { error: text.slice(0, 2000) };
  } else {
    const simSeconds = Number(sim[1]) / 1000;
    // Quint counts the initial state in a trace's length
    const perSample = avg ? Number(avg[1]) - 1 : steps;
    const quintRate = (samples * perSample) / simSeconds;
    const after = await throughput(vr, 'uniform', 4000, steps);
    const oursRate = (before.stepsPerSecond + after.stepsPerSecond) / 2;
    const ratio = oursRate / quintRate;
    out.quint = {
      samples,
      stepsPerSample: perSample,
      simulationSeconds: simSeconds,
      wallSeconds: wall,
      quintStepsPerSecond: quintRate,
      oursStepsPerSecond: oursRate,
      oursBeforeAfter: [before.stepsPerSecond, after.stepsPerSecond],
      ratio,
    };
    log(`\nside by side: vcpu-requests fixed, vcpus=4, tso, walks of ${steps} steps`);
    log(
      `quint run --backend=typescript: ${samples} samples x ${perSample} steps in ${simSeconds.toFixed(2)} s ` +
        `(process ${wall.toFixed(1)} s) = ${Math.round(quintRate).toLocaleString('en-US')} steps/s`,
    );
    log(
      `kvmcheck --mode random:          ${Math.round(oursRate).toLocaleString('en-US')} steps/s ` +
        `(${Math.round(before.stepsPerSecond).toLocaleString('en-US')} before Quint, ` +
        `${Math.round(after.stepsPerSecond).toLocaleString('en-US')} after)`,
    );
    log(`ratio: ${Math.round(ratio)}x`);
  }
}

if (json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
