import { type MessagePort, parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { instantiate, type ModelDefinition } from '../model/define.ts';
import type { Model, ModelSource, Transition } from '../model/model.ts';
import type { PropertyKind } from '../report/result.ts';
import { ADD_FULL, ADD_NEW, FingerprintSet } from '../state/fingerprint-set.ts';
import { Frontier } from '../state/frontier.ts';
import { Links } from '../state/links.ts';
import { SymmetryReducer } from '../state/symmetry.ts';
import { Zobrist } from '../state/zobrist.ts';
import { SafetyCheck } from './safety-check.ts';

/**
 * One worker of the parallel search (checker/explore/parallel.ts): it owns the states whose
 * fingerprint maps to its id (`ownerOf`), and keeps their visited set,
 * parent links and frontier. Each BFS level it expands its part of the frontier, keeps the
 * successors it owns and sends the others, in batches of records, straight to their owners
 * over MessagePorts, which it reads synchronously (receiveMessageOnPort) between states so nothing
 * waits on the event loop. A level ends when every peer has sent its end-of-level batch; then the
 * worker reports to the main thread and waits for the next level.
 *
 * A record is four Int32 words (fingerprint hi and lo, parent index in the sender, and
 * `action * workers + sender`) then the state's words.
 */

/**
 * The worker that owns a fingerprint: its high word's top 16 bits scaled to [0, n), in integer
 * arithmetic (a `%` of the unsigned word would be a floating-point remainder).
 */
export function ownerOf(hi: number, n: number): number {
  return ((hi >>> 16) * n) >>> 16;
}

/** Words of the shared control array. */
export const CTRL_STOP = 0; // nonzero: stop the level now (a bound, the memory cap, the main thread)
export const CTRL_ADMITTED = 1; // states admitted over all workers (only kept under --max-states)
export const CTRL_MAIL = 2; // CTRL_MAIL + w: bumped and notified when a batch is sent to worker w
/** Float64 words of each worker in the shared stats array: states, transitions, queue, bytes. */
export const STATS_WORDS = 4;
/** log2 of the entries (8 bytes each) of the cache of fingerprints a worker sent lately. */
const SENT_BITS = 14;

export interface WorkerConfig {
  readonly id: number;
  readonly workers: number;
  readonly source: ModelSource;
  readonly invariants: readonly string[];
  readonly reachables: readonly string[];
  readonly checkDeadlock: boolean;
  readonly maxStates: number;
  readonly maxDepth: number;
  /** This worker's share of the memory cap. */
  readonly capBytes: number;
  /** The whole run's cap, for the messages. */
  readonly runCapBytes: number;
  readonly fingerprint: 'incremental' | 'full';
  readonly symmetry: boolean;
  readonly batchBytes: number;
  readonly ctrl: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
  /** ports[w]: the channel to worker w (null for this one). */
  readonly ports: readonly (MessagePort | null)[];
}

/** A violation found in this worker's part of a level. */
export interface Candidate {
  /** Steps of its trace: candidates of one level are compared by (length, rank, hi, lo, action). */
  readonly length: number;
  /** The invariant's place in the model's list; after them, failed steps, then deadlocks. */
  readonly rank: number;
  readonly hi: number;
  readonly lo: number;
  readonly action: number;
  readonly property: string;
  readonly kind: PropertyKind;
  readonly description: string;
  /** Index (in this worker) of the state the trace ends in, or the state `action` is taken from. */
  readonly state: number;
  readonly error: string | null;
}

export type ToWorker =
  | { readonly type: 'start'; readonly config: WorkerConfig }
  | { readonly type: 'init' }
  | { readonly type: 'expand'; readonly depth: number }
  | { readonly type: 'link'; readonly index: number }
  | { readonly type: 'finish' }
  | { readonly type: 'end' };

export interface LevelReport {
  readonly type: 'level';
  readonly states: number;
  readonly transitions: number;
  readonly frontier: number;
  readonly queuePeak: number;
  readonly peakBytes: number;
  readonly depthBounded: boolean;
  readonly stop: { readonly reason: 'max-states' | 'memory'; readonly detail: string } | null;
  readonly found: Candidate | null;
}

export type FromWorker =
  | { readonly type: 'ready'; readonly size: number; readonly actions: number }
  | { readonly type: 'failed'; readonly message: string }
  | LevelReport
  | { readonly type: 'link'; readonly parent: number; readonly via: number }
  | {
      readonly type: 'finish';
      readonly fired: Uint32Array;
      readonly changed: Uint8Array;
      readonly witnessed: Uint8Array;
    };

/**
 * Whether a violation with this key is reported before `c`: the shorter trace, then the
 * first-declared invariant, then the smaller fingerprint and step (never the timing).
 */
export function before(
  length: number,
  rank: number,
  hi: number,
  lo: number,
  action: number,
  c: Candidate,
): boolean {
  if (length !== c.length) return length < c.length;
  if (rank !== c.rank) return rank < c.rank;
  if (hi !== c.hi) return hi < c.hi;
  if (lo !== c.lo) return lo < c.lo;
  return action < c.action;
}

interface Batch {
  readonly buf: ArrayBuffer;
  readonly count: number;
  readonly end: boolean;
}

function isDefinition(x: unknown, name: string): x is ModelDefinition {
  if (typeof x !== 'object' || x === null) return false;
  const d = x as Record<string, unknown>;
  return d.name === name && typeof d.build === 'function' && typeof d.variants === 'object';
}

/** Imports the definition's module and instantiates the model the main thread explores. */
export async function rebuildModel(source: ModelSource): Promise<Model> {
  const mod = (await import(source.module)) as Record<string, unknown>;
  const dflt = mod.default as Record<string, unknown> | undefined;
  const candidates = [dflt, dflt?.default, ...Object.values(mod)];
  const def = candidates.find((c) => isDefinition(c, source.name));
  if (def === undefined) throw new Error(`${source.module} exports no model named ${source.name}`);
  return instantiate(def as ModelDefinition, {
    variant: source.variant,
    params: source.params,
    memory: source.memory,
    bufferDepth: source.bufferDepth,
    splitStores: source.splitStores,
  });
}

/**
 * The worker's entry point (started by parallel-boot.js). A worker serves one run at a time and
 * stays for the next (checker/explore/parallel.ts keeps a pool): `start` builds the model and this
 * worker's part of the search, `end` drops them.
 */
export function runWorker(): void {
  const port = parentPort!;
  let part: ReturnType<typeof partition> | null = null;
  let config: WorkerConfig | null = null;
  let last: { key: string; model: Model } | null = null;
  const post = (m: FromWorker) => port.postMessage(m);
  const start = async (cfg: WorkerConfig) => {
    config = cfg;
    try {
      const key = JSON.stringify(cfg.source);
      if (last?.key !== key) last = { key, model: await rebuildModel(cfg.source) };
      part = partition(last.model, cfg);
      post({ type: 'ready', size: last.model.layout.size, actions: last.model.actions.length });
    } catch (e) {
      post({ type: 'failed', message: (e as Error).message });
    }
  };
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'start':
        void start(m.config);
        break;
      case 'init':
        post(part!.init());
        break;
      case 'expand':
        post(part!.expand(m.depth));
        break;
      case 'link':
        post(part!.link(m.index));
        break;
      case 'finish':
        post(part!.finish());
        break;
      case 'end':
        part = null;
        for (const p of config?.ports ?? []) p?.close();
        config = null;
        break;
    }
  });
}

/** This worker's part of the search; the loop allocates nothing per state. */
function partition(model: Model, cfg: WorkerConfig) {
  const { id, workers: n } = cfg;
  const len = model.layout.size;
  const invariants = model.invariants.filter((p) => cfg.invariants.includes(p.name));
  const reachables = model.reachables.filter((p) => cfg.reachables.includes(p.name));
  const maxStates = cfg.maxStates;
  const maxDepth = cfg.maxDepth;
  const limitStates = Number.isFinite(maxStates);
  const cap = cfg.capBytes;
  const capMiB = Math.round(cfg.runCapBytes / 2 ** 20);
  const zobrist = cfg.fingerprint === 'full' ? null : Zobrist.forLayout(model.layout);
  const reduced = cfg.symmetry ? SymmetryReducer.forModel(model) : null;
  const reducer = reduced instanceof SymmetryReducer ? reduced : null;
  const canonBuf = new Int32Array(len);
  const inits = model.initialStates();

  const initialLog2 = Math.max(4, Math.min(16, Math.floor(Math.log2(cap / 64))));
  const visited = new FingerprintSet(cap, initialLog2);
  // via = action * n + the worker holding the parent; 2-byte vias where they fit
  const links = new Links(Math.max(model.actions.length, inits.length) * n < 65536, initialLog2);
  const queue = new Frontier(model.layout);
  const ctrl = new Int32Array(cfg.ctrl);
  const stats = new Float64Array(cfg.stats);
  const ports = cfg.ports;

  // batches: records of 4 header words and the state's words (copied natively: packing them to
  // bytes cost more than the bytes it saved, as batches are transferred, not copied)
  const recWords = 4 + len;
  const perBatch = Math.max(1, Math.floor(cfg.batchBytes / (recWords * 4)));
  const bufBytes = perBatch * recWords * 4;
  const pool: ArrayBuffer[] = [];
  const POOL_MAX = 4 * n + 8;
  const outBuf: (ArrayBuffer | null)[] = [];
  const outWords: Int32Array[] = [];
  const outCount = new Int32Array(n);
  const fresh = (o: number) => {
    const buf = pool.pop() ?? new ArrayBuffer(bufBytes);
    outBuf[o] = buf;
    outWords[o] = new Int32Array(buf);
    outCount[o] = 0;
  };
  for (let o = 0; o < n; o++) {
    outBuf.push(null);
    outWords.push(new Int32Array(0));
    if (o !== id) fresh(o);
  }

  let count = 0;
  let transitions = 0;
  let depth = 0;
  let depthBounded = false;
  let peakBytes = 0;
  let halt = false; // this worker must stop (its reason in stopReason), or another asked
  let stopReason: LevelReport['stop'] = null;
  let found: Candidate | null = null;
  let endsPending = 0;
  const safety = new SafetyCheck(invariants, reachables);
  const witnessed = safety.witnessed;
  const fired = new Uint32Array(model.actions.length);
  const changed = new Uint8Array(len);
  const cur = new Int32Array(len);
  const out = new Int32Array(len);
  const tmp = new Int32Array(len);
  let curIdx = 0;
  let curHi = 0;
  let curLo = 0;
  let enabled = 0;

  // the cap bounds the search structures, as in bfs.ts; the batch buffers count in the peak only
  const structureBytes = () => visited.bytes + links.byteLength + queue.byteLength;

  const publish = () => {
    const b = structureBytes() + (pool.length + n - 1) * bufBytes;
    if (b > peakBytes) peakBytes = b;
    const o = id * STATS_WORDS;
    stats[o] = count;
    stats[o + 1] = transitions;
    stats[o + 2] = queue.length;
    stats[o + 3] = b;
  };

  const requestStop = (reason: 'max-states' | 'memory' | null, detail: string) => {
    halt = true;
    if (reason !== null && stopReason === null) stopReason = { reason, detail };
    Atomics.store(ctrl, CTRL_STOP, 1);
    for (let w = 0; w < n; w++) {
      Atomics.add(ctrl, CTRL_MAIL + w, 1);
      Atomics.notify(ctrl, CTRL_MAIL + w);
    }
  };

  /** Keeps the violation that `before` orders first: the same whatever the timing. */
  const offer = (
    length: number,
    rank: number,
    hi: number,
    lo: number,
    action: number,
    property: string,
    kind: PropertyKind,
    description: string,
    state: number,
    error: string | null,
  ) => {
    if (found !== null && !before(length, rank, hi, lo, action, found)) return;
    found = { length, rank, hi, lo, action, property, kind, description, state, error };
  };

  /** Records a new state this worker owns (its fingerprint already added); false to stop. */
  const record = (
    s: Int32Array,
    hi: number,
    lo: number,
    parent: number,
    via: number,
    level: number,
  ): boolean => {
    if (structureBytes() + links.nextChunkBytes > cap) {
      requestStop('memory', `parent links reached the memory cap of ${capMiB} MiB`);
      return false;
    }
    let last = false;
    if (limitStates) {
      const before = Atomics.add(ctrl, CTRL_ADMITTED, 1);
      if (before >= maxStates) {
        requestStop(null, '');
        return false;
      }
      last = before + 1 >= maxStates;
    }
    const idx = links.add(parent, via);
    count++;
    const bad = safety.check(s);
    if (bad >= 0) {
      const inv = invariants[bad]!;
      offer(level, bad, hi, lo, -1, inv.name, 'invariant', inv.description, idx, null);
      if (last) requestStop('max-states', `stopped at --max-states ${maxStates}`);
      return !last;
    }
    if (queue.length === queue.capacity && structureBytes() + queue.growthBytes > cap) {
      requestStop('memory', `the BFS queue reached the memory cap of ${capMiB} MiB`);
      return false;
    }
    queue.push(s, idx, hi, lo);
    if (last) {
      requestStop('max-states', `stopped at --max-states ${maxStates}`);
      return false;
    }
    return true;
  };

  /** Adds a fingerprint this worker owns; true when the state is new and must be recorded. */
  const claim = (hi: number, lo: number): boolean => {
    const r = visited.addHash(hi, lo);
    if (r === ADD_NEW) return true;
    if (r === ADD_FULL) requestStop('memory', `visited set reached the memory cap of ${capMiB} MiB`);
    return false;
  };

  const flush = (o: number, end: boolean) => {
    const buf = outBuf[o]!;
    const batch: Batch = { buf, count: outCount[o]!, end };
    ports[o]!.postMessage(batch, [buf]);
    Atomics.add(ctrl, CTRL_MAIL + o, 1);
    Atomics.notify(ctrl, CTRL_MAIL + o);
    fresh(o);
  };

  // Fingerprints sent lately (direct-mapped): a state sent once is not sent again, its owner
  // has it already or will record it from that earlier batch, at the same level or before. About
  // two of five remote successors are repeats (vcpu-requests), so this saves their packing,
  // their bytes and their owner's probes.
  const sent = new Int32Array(2 << SENT_BITS);
  const sentMask = (1 << SENT_BITS) - 1;

  const send = (o: number, s: Int32Array, hi: number, lo: number, parent: number, via: number) => {
    const h = ((hi ^ Math.imul(lo, 0x9e3779b1)) & sentMask) << 1;
    if (sent[h] === (hi | 0) && sent[h + 1] === (lo | 0)) return;
    sent[h] = hi;
    sent[h + 1] = lo;
    const k = outCount[o]!;
    const w = outWords[o]!;
    const base = k * recWords;
    w[base] = hi;
    w[base + 1] = lo;
    w[base + 2] = parent;
    w[base + 3] = via;
    w.set(s, base + 4);
    outCount[o] = k + 1;
    if (k + 1 === perBatch) flush(o, false);
  };

  /** Takes in a peer's batch: dedup, then record the new states. */
  const absorb = (buf: ArrayBuffer, n: number) => {
    const w = new Int32Array(buf);
    for (let r = 0; r < n && !halt; r++) {
      const base = r * recWords;
      const hi = w[base]! >>> 0;
      const lo = w[base + 1]! >>> 0;
      if (!claim(hi, lo)) continue;
      const from = base + 4;
      for (let i = 0; i < len; i++) tmp[i] = w[from + i]!;
      if (!record(tmp, hi, lo, w[base + 2]!, w[base + 3]!, depth + 1)) return;
    }
  };

  /** Reads every batch waiting on the peers' ports; returns how many arrived. */
  const poll = (): number => {
    let got = 0;
    if (!halt && Atomics.load(ctrl, CTRL_STOP) !== 0) halt = true;
    for (let j = 0; j < n; j++) {
      if (j === id) continue;
      const p = ports[j]!;
      for (;;) {
        const m = receiveMessageOnPort(p);
        if (m === undefined) break;
        got++;
        const batch = m.message as Batch;
        if (!halt) absorb(batch.buf, batch.count);
        if (pool.length < POOL_MAX) pool.push(batch.buf);
        if (batch.end) endsPending--;
      }
    }
    return got;
  };

  const emit = (t: Transition): void => {
    if (halt) return;
    enabled++;
    transitions++;
    fired[t.action]++;
    if (t.error !== null || t.failed !== null) {
      offer(
        depth + 1,
        invariants.length,
        curHi,
        curLo,
        t.action,
        t.failed ?? 'model-error',
        'assertion',
        t.failed !== null ? `assertion ${t.failed} failed in a step` : t.error!,
        curIdx,
        t.error,
      );
      return;
    }
    // coverage: the slots written, as bfs.ts marks them (there on the edges to new states only)
    const writes = t.writes;
    for (let k = 0; k < t.nWrites; k++) changed[writes[k]!] = 1;
    let s = out;
    if (reducer !== null) {
      reducer.canonicalize(out, canonBuf);
      s = canonBuf;
      for (let k = 0; k < reducer.nChanged; k++) changed[reducer.changed[k]!] = 1;
    }
    let hi: number;
    let lo: number;
    if (zobrist !== null) {
      zobrist.updateWritten(cur, out, curHi, curLo, writes, t.nWrites);
      if (reducer !== null)
        zobrist.updateWritten(out, s, zobrist.hi, zobrist.lo, reducer.changed, reducer.nChanged);
      hi = zobrist.hi;
      lo = zobrist.lo || 1;
    } else {
      visited.hash(s, len);
      hi = visited.hi;
      lo = visited.lo;
    }
    const owner = ownerOf(hi, n);
    const via = t.action * n + id;
    if (owner === id) {
      if (claim(hi, lo)) record(s, hi, lo, curIdx, via, depth + 1);
    } else {
      send(owner, s, hi, lo, curIdx, via);
    }
  };

  const countOnly = (): void => {
    enabled++;
  };

  const report = (): LevelReport => {
    publish();
    return {
      type: 'level',
      states: count,
      transitions,
      frontier: queue.length,
      queuePeak: queue.peak,
      peakBytes,
      depthBounded,
      stop: stopReason,
      found,
    };
  };

  return {
    /** Records the initial states this worker owns. */
    init(): LevelReport {
      for (let i = 0; i < inits.length && !halt; i++) {
        let s = inits[i]!;
        if (reducer !== null) {
          reducer.canonicalize(s, canonBuf);
          s = canonBuf;
        }
        let hi: number;
        let lo: number;
        if (zobrist !== null) {
          zobrist.full(s);
          hi = zobrist.hi;
          lo = zobrist.lo || 1;
        } else {
          visited.hash(s, len);
          hi = visited.hi;
          lo = visited.lo;
        }
        if (ownerOf(hi, n) === id && claim(hi, lo)) record(s, hi, lo, -1, i * n, 0);
      }
      return report();
    },

    /** Expands this worker's part of level `d` and takes in its part of level d+1. */
    expand(d: number): LevelReport {
      depth = d;
      found = null;
      endsPending = n - 1;
      let remaining = queue.length;
      let sincePoll = 0;
      while (remaining > 0 && !halt) {
        if (++sincePoll === 64) {
          sincePoll = 0;
          poll();
          publish();
          if (halt) break;
        }
        queue.pop(cur);
        curIdx = queue.index;
        curHi = queue.hi;
        curLo = queue.lo;
        remaining--;
        if (d >= maxDepth) {
          // do not expand; remember that the bound cut something off
          enabled = 0;
          model.successors(cur, out, countOnly);
          if (enabled > 0) depthBounded = true;
          continue;
        }
        enabled = 0;
        model.successors(cur, out, emit);
        if (halt) break;
        if (enabled === 0 && cfg.checkDeadlock && !model.isValidEnd(cur))
          offer(d, invariants.length + 1, curHi, curLo, -1, 'deadlock', 'deadlock', '', curIdx, null);
      }
      for (let o = 0; o < n; o++) if (o !== id) flush(o, true);
      while (endsPending > 0) {
        const seen = Atomics.load(ctrl, CTRL_MAIL + id);
        if (poll() === 0 && endsPending > 0) Atomics.wait(ctrl, CTRL_MAIL + id, seen, 100);
      }
      return report();
    },

    link(i: number): FromWorker {
      return { type: 'link', parent: links.parent(i), via: links.via(i) };
    },

    finish(): FromWorker {
      return { type: 'finish', fired, changed, witnessed };
    },
  };
}
