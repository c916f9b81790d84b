import type { Context } from '../memory/context.ts';
import type { Model, Transition } from '../model/model.ts';
import { ADD_FULL, ADD_NEW, FingerprintSet } from '../state/fingerprint-set.ts';
import type { LockClass } from '../state/lock-class.ts';
import { DEFAULT_MEMORY_CAP } from './options.ts';

/**
 * The lock-order graph a model's reachable states exhibit, lockdep-style: an edge A -> B when a
 * process tries to take B while it holds A. Cycles are flagged even where the search never
 * reaches the deadlock they allow (lockdep's "possible circular locking dependency").
 *
 * A separate BFS pass over all reachable states (it does not stop at violations), with the
 * Context's lock hook set: lock primitives report each acquisition attempt before it takes
 * effect, and the locks the attempting process holds are read from the state through each
 * LockClass (seen from that process, so its own buffered unlocks count as done). Nothing here
 * knows which locks exist; models declare them through the kernel primitives.
 *
 * Modes matter for cycles: a dependency path is a deadlock only if, at every lock on it, the
 * mode it is taken in can wait for the mode it is held in (LockClass.conflicts): SRCU readers
 * never wait for readers, but a grace period waits for them; a fair rwsem's readers can wait
 * for readers (behind a queued writer), an unfair one's cannot.
 */

export interface LockDependency {
  readonly from: number;
  readonly fromMode: number;
  readonly to: number;
  readonly toMode: number;
  /** Where it was first seen: the process trying to take `to`, and its label. */
  readonly process: string;
  readonly label: string;
}

export interface LockGraph {
  readonly locks: readonly LockClass[];
  readonly edges: readonly LockDependency[];
  /** One cycle per strongly connected group of dependencies; each a closed path of edges. */
  readonly cycles: readonly (readonly LockDependency[])[];
  /** Reachable states visited, and whether that was all of them. */
  readonly states: number;
  readonly complete: boolean;
}

export interface LockGraphOptions {
  readonly maxStates?: number;
  readonly memoryCapBytes?: number;
  readonly signal?: AbortSignal;
}

const MODES = 8;

export function lockGraph(model: Model, options: LockGraphOptions = {}): LockGraph {
  const locks = model.layout.locks;
  const len = model.layout.size;
  const edges = new Map<number, LockDependency>();
  const view = new Int32Array(len);
  const c = model.context;

  const hook = (ctx: Context, lock: number, mode: number): void => {
    const target = locks[lock];
    if (target?.kind !== 'lock') return;
    const p = ctx.proc;
    let s = ctx.s;
    const pending = model.pendingStores(s, p);
    if (pending.length > 0) {
      view.set(s);
      for (const e of pending) view[e.ref] = e.value;
      s = view;
    }
    for (let k = 0; k < locks.length; k++) {
      const from = locks[k]!;
      if (from.kind !== 'lock') continue;
      const h = from.held(s, p);
      if (h === 0) continue;
      const key = ((k * MODES + h) * 4096 + lock) * MODES + mode;
      if (edges.has(key)) continue;
      const proc = model.processes[p]!;
      edges.set(key, {
        from: k,
        fromMode: h,
        to: lock,
        toMode: mode,
        process: proc.name,
        label: proc.labels[ctx.s[proc.pcSlot]!] ?? '?',
      });
    }
  };

  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const cap = options.memoryCapBytes ?? DEFAULT_MEMORY_CAP;
  const visited = new FingerprintSet(cap, 12);
  let queue = new Int32Array(len * 256);
  let head = 0;
  let tail = 0;
  let states = 0;
  let complete = true;
  const out = new Int32Array(len);
  const cur = new Int32Array(len);

  const admit = (s: Int32Array): boolean => {
    const r = visited.add(s, len);
    if (r === ADD_FULL) return false;
    if (r !== ADD_NEW) return true;
    if (++states > maxStates) return false;
    if (tail + len > queue.length) {
      const live = queue.subarray(head, tail);
      const q2 = live.length * 2 + len > queue.length ? new Int32Array(queue.length * 2) : queue;
      q2.set(live, 0);
      queue = q2;
      tail -= head;
      head = 0;
    }
    queue.set(s, tail);
    tail += len;
    return true;
  };

  let stop = false;
  const emit = (t: Transition): void => {
    if (stop || t.error !== null) return;
    if (!admit(out)) stop = true;
  };

  const saved = c.lockHook;
  c.lockHook = hook;
  try {
    for (const s of model.initialStates()) if (!admit(s)) stop = true;
    while (!stop && head < tail) {
      cur.set(queue.subarray(head, head + len));
      head += len;
      model.successors(cur, out, emit);
      if (options.signal?.aborted) stop = true;
    }
    if (stop) complete = false;
  } finally {
    c.lockHook = saved;
  }

  const list = [...edges.values()].sort(
    (a, b) => a.from - b.from || a.to - b.to || a.fromMode - b.fromMode || a.toMode - b.toMode,
  );
  return {
    locks,
    edges: list,
    cycles: findCycles(locks, list),
    states: Math.min(states, maxStates),
    complete,
  };
}

/**
 * Cycles of dependencies that can deadlock. Nodes are (lock, mode) pairs on two sides: "taken
 * in mode w" and "held in mode h". A dependency goes from held(A, h) to taken(B, w); at each
 * lock, taken(L, w) leads on to held(L, h) when w can wait for h. Every cycle of this graph
 * alternates the two, so its strongly connected components hold exactly the deadlock cycles.
 */
export function findCycles(
  locks: readonly LockClass[],
  edges: readonly LockDependency[],
): LockDependency[][] {
  const n = locks.length * MODES * 2;
  const held = (l: number, m: number) => (l * MODES + m) * 2;
  const taken = (l: number, m: number) => (l * MODES + m) * 2 + 1;
  const adj: { to: number; edge: number }[][] = Array.from({ length: n }, () => []);
  edges.forEach((e, i) => {
    adj[held(e.from, e.fromMode)]!.push({ to: taken(e.to, e.toMode), edge: i });
  });
  locks.forEach((l, id) => {
    for (let w = 1; w < l.modes.length; w++) {
      for (let h = 1; h < l.modes.length; h++) {
        if (l.conflicts(h, w)) adj[taken(id, w)]!.push({ to: held(id, h), edge: -1 });
      }
    }
  });

  // Tarjan's strongly connected components (iterative graphs are tiny: recursion is fine).
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const comp = new Int32Array(n).fill(-1);
  let next = 0;
  let comps = 0;
  const connect = (v: number): void => {
    index[v] = low[v] = next++;
    stack.push(v);
    onStack[v] = 1;
    for (const { to } of adj[v]!) {
      if (index[to] === -1) {
        connect(to);
        low[v] = Math.min(low[v]!, low[to]!);
      } else if (onStack[to]) low[v] = Math.min(low[v]!, index[to]!);
    }
    if (low[v] === index[v]) {
      let w: number;
      do {
        w = stack.pop()!;
        onStack[w] = 0;
        comp[w] = comps;
      } while (w !== v);
      comps++;
    }
  };
  for (let v = 0; v < n; v++) if (index[v] === -1 && adj[v]!.length > 0) connect(v);

  const cycles: LockDependency[][] = [];
  const done = new Set<number>();
  // start each component's cycle at its first dependency in edge order (lowest lock first)
  for (const e of edges) {
    const start = held(e.from, e.fromMode);
    const k = comp[start]!;
    if (k < 0 || done.has(k) || comp[taken(e.to, e.toMode)] !== k) continue;
    // shortest way back from the edge's target to its source, inside the component
    const first = taken(e.to, e.toMode);
    const prev = new Map<number, { from: number; edge: number }>();
    const seen = new Set([first]);
    const queue = [first];
    while (queue.length > 0 && !seen.has(start)) {
      const v = queue.shift()!;
      for (const a of adj[v]!) {
        if (comp[a.to] !== k || seen.has(a.to)) continue;
        seen.add(a.to);
        prev.set(a.to, { from: v, edge: a.edge });
        queue.push(a.to);
      }
    }
    if (!seen.has(start)) continue;
    const path: LockDependency[] = [];
    for (let v = start; v !== first; ) {
      const p = prev.get(v)!;
      if (p.edge >= 0) path.push(edges[p.edge]!);
      v = p.from;
    }
    path.reverse();
    path.unshift(e);
    done.add(k);
    cycles.push(path);
  }
  return cycles;
}

function lockName(locks: readonly LockClass[], id: number, mode: number): string {
  const l = locks[id]!;
  const m = l.modes[mode];
  return m ? `${l.name} (${m})` : l.name;
}

/** A cycle as one line: `A (mode) -> B -> A (other mode)`. */
export function cycleText(locks: readonly LockClass[], cycle: readonly LockDependency[]): string {
  const first = cycle[0]!;
  return [
    lockName(locks, first.from, first.fromMode),
    ...cycle.map((e) => lockName(locks, e.to, e.toMode)),
  ].join(' -> ');
}

/** The graph as text: its edges with where each was first seen, then every cycle or `no cycle`. */
export function lockGraphText(g: LockGraph): string {
  const lines: string[] = [];
  const scope = `${g.states.toLocaleString('en-US')} states${g.complete ? '' : ', stopped early: not every reachable state was visited'}`;
  if (g.locks.every((l) => l.kind !== 'lock')) {
    lines.push(`lock-order graph: the model declares no locks (${scope})`);
    return lines.join('\n');
  }
  lines.push(`lock-order graph (lockdep-style: A -> B when B is taken while A is held; ${scope}):`);
  if (g.edges.length === 0) lines.push('  (no lock is taken while another is held)');
  const texts = g.edges.map(
    (e) => `${lockName(g.locks, e.from, e.fromMode)} -> ${lockName(g.locks, e.to, e.toMode)}`,
  );
  const width = Math.max(0, ...texts.map((t) => t.length));
  g.edges.forEach((e, i) => {
    lines.push(`  ${texts[i]!.padEnd(width)}   first: ${e.process} at ${e.label}`);
  });
  if (g.cycles.length === 0) lines.push('no cycle');
  for (const cyc of g.cycles) lines.push(`cycle: ${cycleText(g.locks, cyc)}`);
  return lines.join('\n');
}

/** The graph as plain data, for `--json`. */
export function lockGraphJson(g: LockGraph): Record<string, unknown> {
  const name = (id: number, mode: number) => ({
    lock: g.locks[id]!.name,
    mode: g.locks[id]!.modes[mode] || null,
  });
  return {
    states: g.states,
    complete: g.complete,
    edges: g.edges.map((e) => ({
      from: name(e.from, e.fromMode),
      to: name(e.to, e.toMode),
      process: e.process,
      label: e.label,
    })),
    cycles: g.cycles.map((c) => cycleText(g.locks, c)),
  };
}
