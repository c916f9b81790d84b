import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { LivenessProperty, Model, Property } from '../model/model.ts';
import { coverageReport } from '../report/coverage.ts';
import type { IncompleteReason, Result, Stats } from '../report/result.ts';
import { collisionProbability } from '../state/fingerprint-set.ts';
import { SymmetryReducer } from '../state/symmetry.ts';
import { buildTrace, buildTraceSymmetric, finalState, ReplayDivergence, type Trace } from '../trace/trace.ts';
import { checkedProperties, type Found, foundResult, unwitnessedResult } from './found.ts';
import { DEFAULT_MEMORY_CAP, type SearchOptions } from './options.ts';
import { Pacer } from './pacer.ts';
import {
  before,
  type Candidate,
  CTRL_MAIL,
  CTRL_STOP,
  type FromWorker,
  type LevelReport,
  STATS_WORDS,
  type ToWorker,
  type WorkerConfig,
} from './parallel-worker.ts';
import { describeWaits, waitsFor } from './waits-for.ts';

/**
 * Exhaustive safety search in worker threads (`workers` > 1), still returning a shortest
 * counterexample. Level-synchronous BFS over a state space partitioned by fingerprint (Stern and
 * Dill's parallel Murphi): worker w owns the states whose fingerprint maps to w (one of n equal
 * ranges of its high word) and keeps their visited set, parent links and frontier; successors travel to
 * their owners in batches over direct MessagePorts (checker/explore/parallel-worker.ts). This
 * thread only paces the levels: after each one it collects the workers' reports, and stops at the
 * first level where a violation turned up. Because every worker finishes that level, the one
 * reported is chosen by a key that does not depend on timing: the shortest trace, then the
 * first-declared invariant, then the smallest fingerprint (and step). Its path is rebuilt by asking
 * the workers for the parent links, which cross from worker to worker, and replayed as bfs.ts does.
 * Counts and coverage come out as in one thread.
 *
 * Workers rebuild the model from `model.source` (set by `instantiate` for definitions whose module
 * was registered, as the catalog and the CLI's model files are). Where that is missing, or the
 * run needs what only one thread does (liveness, partial-order reduction), the search runs here
 * and `reductions` says why.
 */

/** Bytes of a batch of successors sent to another worker. */
const BATCH_BYTES = 64 << 10;

interface Selected {
  readonly invariants: Property[];
  readonly reachables: Property[];
  readonly liveness: LivenessProperty[];
}

/**
 * explore() with `workers` > 1: the parallel search, or the one-thread search (`inOneThread`)
 * with a note in `reductions` saying why the workers were not used.
 */
export async function exploreWithWorkers(
  model: Model,
  options: SearchOptions,
  selected: Selected,
  inOneThread: (model: Model, options: SearchOptions) => Promise<Result>,
): Promise<Result> {
  const n = typeof options.workers === 'number' ? options.workers : 1;
  const oneThread = async (why: string): Promise<Result> => {
    const r = await inOneThread(model, { ...options, workers: 1 });
    return { ...r, reductions: [...(r.reductions ?? []), `one thread, not ${n} workers: ${why}`] };
  };
  const why = parallelUnsupported(model, options, selected);
  if (why !== null) return oneThread(why);
  const r = await exploreParallel(model, options, selected, n);
  return typeof r === 'string' ? oneThread(r) : r;
}

/** Why this run cannot use worker threads, or null when it can. */
export function parallelUnsupported(model: Model, options: SearchOptions, selected: Selected): string | null {
  if (selected.liveness.length > 0) return 'the liveness search needs the whole state graph in one thread';
  if (options.por === 'on') return 'partial-order reduction runs in one thread';
  if (model.source === undefined)
    return "the model's definition was not loaded from a registered module (registerModelModule), so workers cannot rebuild it";
  return null;
}

/** A worker and the replies it owes, in order. */
class Peer {
  private readonly inbox: FromWorker[] = [];
  private readonly waiting: { resolve: (m: FromWorker) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;
  private closing = false;

  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromWorker) => {
      const w = this.waiting.shift();
      if (w) w.resolve(m);
      else this.inbox.push(m);
    });
    worker.on('error', (e: Error) => this.fail(e));
    worker.on('exit', (code) => {
      const i = idle.indexOf(this);
      if (i >= 0) idle.splice(i, 1);
      if (!this.closing) this.fail(new Error(`a search worker exited (code ${code})`));
    });
  }

  get healthy(): boolean {
    return this.failure === null && !this.closing && this.inbox.length === 0 && this.waiting.length === 0;
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  next(): Promise<FromWorker> {
    const m = this.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  request(m: ToWorker, transfer: MessagePort[] = []): Promise<FromWorker> {
    this.worker.postMessage(m, transfer);
    return this.next();
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}

/**
 * Idle workers, kept for the next run: starting one costs most of a second (a thread, tsx and
 * the model's modules), reusing one a rebuild of the model. They do not keep the process alive.
 */
const idle: Peer[] = [];

function acquire(n: number): Peer[] {
  const peers = idle.splice(0, n);
  while (peers.length < n) peers.push(new Peer(new Worker(new URL('./parallel-boot.js', import.meta.url))));
  for (const p of peers) p.worker.ref();
  return peers;
}

/** Returns the run's workers to the pool, or ends them if the run left them in a bad state. */
async function release(peers: readonly Peer[], clean: boolean): Promise<void> {
  await Promise.all(
    peers.map(async (p) => {
      if (clean && p.healthy) {
        p.worker.postMessage({ type: 'end' } satisfies ToWorker);
        p.worker.unref();
        idle.push(p);
      } else {
        await p.close();
      }
    }),
  );
}

/** Ends the idle workers (they never keep the process alive; this frees them sooner). */
export async function closeWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((p) => p.close()));
}

async function exploreParallel(
  model: Model,
  options: SearchOptions,
  { invariants, reachables }: Selected,
  n: number,
): Promise<Result | string> {
  const checkDeadlock =
    (options.deadlock ?? 'report') === 'report' &&
    (!options.properties?.length || options.properties.includes('deadlock'));
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
  const cap = options.memoryCapBytes ?? DEFAULT_MEMORY_CAP;
  const started = performance.now();
  const reduced = options.symmetry === 'on' ? SymmetryReducer.forModel(model) : null;
  const reducer = reduced instanceof SymmetryReducer ? reduced : null;

  const ctrlBuf = new SharedArrayBuffer(4 * (CTRL_MAIL + n));
  const ctrl = new Int32Array(ctrlBuf);
  const statsBuf = new SharedArrayBuffer(8 * STATS_WORDS * n);
  const stats = new Float64Array(statsBuf);
  const ports: (MessagePort | null)[][] = Array.from({ length: n }, () => new Array(n).fill(null));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const ch = new MessageChannel();
      ports[i]![j] = ch.port1;
      ports[j]![i] = ch.port2;
    }
  }
  const configs = ports.map(
    (mine, id): WorkerConfig => ({
      id,
      workers: n,
      source: model.source!,
      invariants: invariants.map((p) => p.name),
      reachables: reachables.map((p) => p.name),
      checkDeadlock,
      maxStates,
      maxDepth,
      capBytes: Math.max(1, Math.floor(cap / n)),
      runCapBytes: cap,
      fingerprint: options.fingerprint ?? 'incremental',
      symmetry: reducer !== null,
      batchBytes: BATCH_BYTES,
      ctrl: ctrlBuf,
      stats: statsBuf,
      ports: mine,
    }),
  );
  const peers = acquire(n);
  let clean = false;

  const pacer = new Pacer(options, started);
  let depth = 0;
  let stopReason: IncompleteReason | null = null;
  let stopDetail = '';
  const stopAll = (reason: IncompleteReason, detail: string) => {
    if (stopReason === null) {
      stopReason = reason;
      stopDetail = detail;
    }
    Atomics.store(ctrl, CTRL_STOP, 1);
    for (let w = 0; w < n; w++) {
      Atomics.add(ctrl, CTRL_MAIL + w, 1);
      Atomics.notify(ctrl, CTRL_MAIL + w);
    }
  };
  const sum = (k: number) => {
    let t = 0;
    for (let w = 0; w < n; w++) t += stats[w * STATS_WORDS + k]!;
    return t;
  };
  const counts = () => ({ states: sum(0), transitions: sum(1), queue: sum(2), depth });
  const bytes = () => sum(3);
  // time limit, Ctrl-C and progress while the workers run a level
  let pacing = false;
  const tick = async () => {
    if (pacing || stopReason !== null) return;
    pacing = true;
    try {
      if (await pacer.check(counts, bytes)) stopAll(pacer.reason!, pacer.detail);
    } finally {
      pacing = false;
    }
  };
  const ticker = setInterval(() => void tick(), 50);

  try {
    const ready = await Promise.all(
      peers.map((p, w) =>
        p.request(
          { type: 'start', config: configs[w]! },
          ports[w]!.filter((q): q is MessagePort => q !== null),
        ),
      ),
    );
    for (const r of ready) {
      if (r.type === 'failed') {
        clean = true;
        return `a worker could not rebuild the model: ${r.message}`;
      }
      if (r.type !== 'ready' || r.size !== model.layout.size || r.actions !== model.actions.length) {
        clean = true;
        return 'the model a worker rebuilt differs from this one';
      }
    }
    const all = async (m: ToWorker) => (await Promise.all(peers.map((p) => p.request(m)))) as LevelReport[];

    let reports = await all({ type: 'init' });
    let found: { worker: number; c: Candidate } | null = null;
    // `depth` is the level the workers' frontiers hold; each round expands it into the next
    for (;;) {
      for (let w = 0; w < n; w++) {
        const c = reports[w]!.found;
        if (c !== null && (found === null || before(c.length, c.rank, c.hi, c.lo, c.action, found.c)))
          found = { worker: w, c };
      }
      if (found !== null) break;
      const stopped = reports.find((r) => r.stop !== null)?.stop;
      if (stopped) stopAll(stopped.reason, stopped.detail);
      if (stopReason === null && (await pacer.check(counts, bytes))) stopAll(pacer.reason!, pacer.detail);
      if (stopReason !== null || reports.every((r) => r.frontier === 0)) break;
      reports = await all({ type: 'expand', depth });
      const done = reports.some((r) => r.found !== null || r.stop !== null) || stopReason !== null;
      if (!done && reports.some((r) => r.frontier > 0)) depth++;
    }
    clearInterval(ticker);
    clean = true; // every worker has finished its level and waits for requests

    const seconds = (performance.now() - started) / 1000;
    const total = (f: (r: LevelReport) => number) => reports.reduce((a, r) => a + f(r), 0);
    const states = total((r) => r.states);
    const peakBytes = total((r) => r.peakBytes);
    const stats: Stats = {
      states,
      transitions: total((r) => r.transitions),
      depth,
      seconds,
      statesPerSecond: seconds > 0 ? states / seconds : states,
      collisionProbability: collisionProbability(states),
      bytesPerState: states > 0 ? peakBytes / states : 0,
      queuePeak: total((r) => r.queuePeak),
    };
    const common = {
      model: model.name,
      config: model.config,
      stats,
      properties: checkedProperties(invariants, reachables, checkDeadlock),
      reductions: [
        ...(options.symmetry === 'on'
          ? [
              reducer !== null
                ? `symmetry over ${model.layout.symmetry.map((c) => `${c.name} (${c.processes.length})`).join(', ')}`
                : `no symmetry reduction: ${reduced as string}`,
            ]
          : []),
        `parallel search in ${n} worker threads`,
      ],
    };

    if (found !== null) return await counterexample(model, reducer, peers, found.worker, found.c, common);
    if (stopReason !== null)
      return { ...common, verdict: 'incomplete', reason: stopReason, detail: stopDetail };
    if (reports.some((r) => r.depthBounded)) {
      return {
        ...common,
        verdict: 'incomplete',
        reason: 'max-depth',
        detail: `states at --max-depth ${maxDepth} were not expanded`,
      };
    }
    const fired = new Uint32Array(model.actions.length);
    const changed = new Uint8Array(model.layout.size);
    const witnessed = new Uint8Array(reachables.length);
    for (const p of peers) {
      const r = await p.request({ type: 'finish' });
      if (r.type !== 'finish') throw new Error(`unexpected reply from a search worker: ${r.type}`);
      for (let i = 0; i < fired.length; i++) fired[i]! += r.fired[i]!;
      for (let i = 0; i < changed.length; i++) changed[i]! |= r.changed[i]!;
      for (let i = 0; i < witnessed.length; i++) witnessed[i]! |= r.witnessed[i]!;
    }
    const coverage = coverageReport(model, fired, changed, common.properties);
    const unwitnessed = unwitnessedResult({ ...common, coverage }, reachables, witnessed);
    if (unwitnessed !== null) return unwitnessed;
    return { ...common, coverage, verdict: 'holds' };
  } finally {
    clearInterval(ticker);
    await release(peers, clean);
  }
}

type Common = Parameters<typeof foundResult>[0];

/** Rebuilds the path to the chosen violation from the workers' parent links and replays it. */
async function counterexample(
  model: Model,
  reducer: SymmetryReducer | null,
  peers: readonly Peer[],
  worker: number,
  c: Candidate,
  common: Common,
): Promise<Result> {
  const n = peers.length;
  const actions: number[] = [];
  let w = worker;
  let i = c.state;
  let initial: number;
  for (;;) {
    const r = await peers[w]!.request({ type: 'link', index: i });
    if (r.type !== 'link') throw new Error(`unexpected reply from a search worker: ${r.type}`);
    const from = r.via % n;
    const step = (r.via - from) / n;
    if (r.parent < 0) {
      initial = step;
      break;
    }
    actions.push(step);
    w = from;
    i = r.parent;
  }
  actions.reverse();
  if (c.action >= 0) actions.push(c.action);
  const init = model.initialStates()[initial]!;
  let trace: Trace;
  try {
    trace =
      reducer !== null
        ? buildTraceSymmetric(model, reducer, init, actions)
        : buildTrace(model, init, actions);
  } catch (e) {
    if (e instanceof ReplayDivergence)
      return { ...common, verdict: 'error', message: e.message, trace: null };
    throw e;
  }
  const f: Found = {
    property: c.property,
    kind: c.kind,
    description: c.description,
    state: c.state,
    action: c.action,
    error: c.error,
  };
  if (c.kind === 'deadlock') {
    // the deadlocked state as the search held it (the representative, under symmetry)
    let s = finalState(trace);
    if (reducer !== null) {
      const canon = new Int32Array(s.length);
      reducer.canonicalize(s, canon);
      s = canon;
    }
    f.waits = waitsFor(model, s);
    f.description = describeWaits(f.waits);
  }
  return foundResult(common, f, trace);
}
