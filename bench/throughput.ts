/**
 * Exhaustive-search throughput on vcpu-requests (fixed): distinct states, transitions, seconds and
 * states/s for vcpus=2,3 under sc and tso, median of --runs runs (default 3).
 *   npm run bench                    # the table
 *   npm run bench -- --json          # machine-readable
 *   npm run bench -- --workers 2     # the parallel search (checker/explore/parallel.ts)
 * With --workers, the first run also starts the worker threads (about a second); later runs reuse
 * them, so the median is a warm run.
 */
import { explore } from '../checker/explore/bfs.ts';
import { closeWorkers } from '../checker/explore/parallel.ts';
import { instantiate, registerModelModule } from '../checker/model/define.ts';
import def from '../models/vcpu-requests.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const runsArg = args.indexOf('--runs');
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 3;
const workersArg = args.indexOf('--workers');
const workers = workersArg >= 0 ? Number(args[workersArg + 1]) : 1;
if (!Number.isInteger(workers) || workers < 1) throw new Error(`bad --workers ${args[workersArg + 1]}`);
// the workers rebuild the model from its module
registerModelModule(def, new URL('../models/vcpu-requests.ts', import.meta.url).href);
const configs = [
  { vcpus: 2, memory: 'sc' },
  { vcpus: 2, memory: 'tso' },
  { vcpus: 3, memory: 'sc' },
  { vcpus: 3, memory: 'tso' },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows = [];
for (const c of configs) {
  const secs: number[] = [];
  let states = 0;
  let transitions = 0;
  let bytesPerState = 0;
  for (let i = 0; i < runs; i++) {
    const r = await explore(
      instantiate(def, { variant: 'fixed', memory: c.memory, params: { vcpus: c.vcpus } }),
      { workers },
    );
    if (r.verdict !== 'holds') throw new Error(`expected holds, got ${r.verdict}`);
    secs.push(r.stats.seconds);
    states = r.stats.states;
    transitions = r.stats.transitions;
    bytesPerState = r.stats.bytesPerState;
  }
  const s = median(secs);
  rows.push({
    model: 'vcpu-requests',
    ...c,
    workers,
    states,
    transitions,
    seconds: s,
    statesPerSecond: states / s,
    bytesPerState,
  });
}
if (json) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  console.log(
    `vcpu-requests (fixed), exhaustive BFS, ${workers === 1 ? 'one thread' : `${workers} worker threads`}, median of ${runs} runs`,
  );
  console.log('vcpus  memory  states       transitions   seconds  states/s   bytes/state');
  for (const r of rows) {
    console.log(
      `${String(r.vcpus).padEnd(7)}${r.memory.padEnd(8)}${String(r.states).padEnd(13)}${String(r.transitions).padEnd(14)}${r.seconds.toFixed(3).padEnd(9)}${Math.round(r.statesPerSecond).toString().padEnd(11)}${r.bytesPerState.toFixed(1)}`,
    );
  }
}
await closeWorkers();
