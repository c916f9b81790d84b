import type { LivenessKind } from '../model/model.ts';
import { STRONG, WEAK } from './fairness.ts';
import { GOAL, type StateGraph, TRIGGER, treePath } from './graph.ts';

/**
 * The search for a fair cycle that violates a liveness property, on the stored state graph.
 *
 * Every kind of property reduces to one question: is there a fair infinite run that, from some
 * `seed` state on, never visits a `goal` state? (`eventually g`: seeds are the initial states;
 * `p leadsTo g`: the p-states; `alwaysEventually g`: every state.) Runs that end stutter forever
 * in their last state, so a terminal state counts as a (fair) cycle of its own.
 *
 * 1. A BFS through non-goal states from the seeds finds the part of the graph such a run can be
 *    in. Seeds enter the BFS at their own BFS depth, so the lasso prefix found is a shortest one.
 * 2. Tarjan's algorithm splits that part into strongly connected components. A non-trivial
 *    component C holds a fair cycle iff it passes the Emerson-Lei / Streett-emptiness test, per
 *    fairness unit u: weak u enabled in every state of C must move on an edge inside C (else no
 *    cycle in C is fair: drop C); strong u enabled anywhere in C must move inside C, else the
 *    states where u is enabled are removed and what is left is decomposed again. A component
 *    that passes has a fair cycle: one through all of it.
 * 3. From the nearest state of a fair component, a cycle is built inside it through one
 *    witness per obligation (an edge of each unit that must move, a state where each weakly
 *    fair unit that need not move is disabled) and back.
 *
 * The set of fair components is unique (it does not depend on the order states were found or
 * edges visited), so neither is the verdict. Memory: about 13 Int32s per state of scratch,
 * allocated once per graph and reused for every property.
 */

export interface LassoPath {
  /** Which initial state the run starts from (index into model.initialStates()). */
  readonly initial: number;
  readonly prefix: readonly number[];
  /** Empty when the run ends in a state with no enabled step and stutters there. */
  readonly cycle: readonly number[];
  /** State indices: where the cycle starts, and the seed state that obliged progress. */
  readonly entry: number;
  readonly seed: number;
  /** States in the fair component that the cycle was built in. */
  readonly componentSize: number;
}

export interface SccStats {
  /** Non-trivial components examined (including those from refinements). */
  components: number;
  /** Times a component was cut down for a strong-fairness unit. */
  refinements: number;
}

export class FairCycleSearch {
  private readonly n: number;
  private readonly mark: Int32Array;
  private readonly aEdge: Int32Array;
  private readonly queue: Int32Array;
  private readonly depth: Int32Array;
  private readonly idxTok: Int32Array;
  private readonly index: Int32Array;
  private readonly low: Int32Array;
  private readonly stk: Int32Array;
  private readonly onStk: Int32Array;
  private readonly callV: Int32Array;
  private readonly callE: Int32Array;
  private readonly fairMark: Int32Array;
  private readonly compBuf: Int32Array;
  /** Units whose edges the current search ignores (bitmask words). */
  private readonly banned: Uint32Array;
  private tok = 0;
  readonly stats: SccStats = { components: 0, refinements: 0 };

  constructor(private readonly g: StateGraph) {
    const n = g.n;
    this.n = n;
    const a = () => new Int32Array(n);
    this.mark = a();
    this.aEdge = a();
    this.queue = a();
    this.depth = a();
    this.idxTok = a();
    this.index = a();
    this.low = a();
    this.stk = a();
    this.onStk = a();
    this.callV = a();
    this.callE = a();
    this.fairMark = a();
    this.compBuf = a();
    this.banned = new Uint32Array(g.words);
    for (let v = 0; v < n; v++) this.depth[v] = v < g.nInit ? 0 : this.depth[g.parent[v]!]! + 1;
  }

  get bytes(): number {
    return 13 * 4 * this.n;
  }

  /**
   * A fair lasso violating property `k` of the graph's labels, or null if there is none. Which
   * lasso is reported does not change the verdict; to make it readable, the search keeps as few
   * fairness units moving in the cycle as it can: it tries, unit by unit, to forbid a unit's
   * steps inside the component and keeps the ban when a fair cycle remains. (A starved updater
   * then sleeps through the whole cycle instead of waking and sleeping again.)
   */
  find(k: number, kind: LivenessKind, levels: Uint8Array): LassoPath | null {
    const g = this.g;
    this.banned.fill(0);
    const reached = this.reach(k, kind);
    if (reached === 0) return null;
    let best = this.nearest(this.fairComponents(this.queue.slice(0, reached), levels), reached);
    if (best === null) return null;
    for (let u = 0; u < levels.length; u++) {
      if (!this.movesIn(best.component, u)) continue;
      this.banned[u >>> 5] = this.banned[u >>> 5]! | (1 << (u & 31));
      const smaller = this.nearest(this.fairComponents(best.component, levels), reached);
      if (smaller !== null) best = smaller;
      else this.banned[u >>> 5] = this.banned[u >>> 5]! & ~(1 << (u & 31));
    }
    const { entry, component } = best;
    const toEntry: number[] = [];
    let v = entry;
    while (this.aEdge[v]! >= 0) {
      const e = this.aEdge[v]!;
      toEntry.push(g.act[e]!);
      v = this.sourceOf(e);
    }
    toEntry.reverse();
    const seed = v;
    const tree = treePath(seed, g.parent, g.via);
    const cycle = this.cycleThrough(entry, component, levels);
    return {
      initial: tree.initial,
      prefix: [...tree.actions, ...toEntry],
      cycle,
      entry,
      seed,
      componentSize: component.length,
    };
  }

  /** The fair component holding the state reached first by the seed BFS (queue order), and that state. */
  private nearest(
    fair: Map<number, Int32Array>,
    reached: number,
  ): { entry: number; component: Int32Array } | null {
    if (fair.size === 0) return null;
    for (let i = 0; i < reached; i++) {
      const v = this.queue[i]!;
      const c = fair.get(this.fairMark[v]!);
      if (c !== undefined) return { entry: v, component: c };
    }
    return null;
  }

  /** Does unit `u` take an (unbanned) edge inside `c`? */
  private movesIn(c: Int32Array, u: number): boolean {
    const { start, dst, act, unitOf } = this.g;
    const ct = ++this.tok;
    for (let i = 0; i < c.length; i++) this.mark[c[i]!] = ct;
    for (let i = 0; i < c.length; i++) {
      const v = c[i]!;
      for (let e = start[v]!; e < start[v + 1]!; e++)
        if (this.mark[dst[e]!] === ct && unitOf[act[e]!] === u && !this.isBanned(e)) return true;
    }
    return false;
  }

  private isBanned(e: number): boolean {
    const u = this.g.unitOf[this.g.act[e]!]!;
    return (this.banned[u >>> 5]! & (1 << (u & 31))) !== 0;
  }

  /** Non-goal states reachable from the seeds through non-goal states, into `queue`; returns how many. */
  private reach(k: number, kind: LivenessKind): number {
    const g = this.g;
    const { labels, nProps, start, dst } = g;
    const n = this.n;
    const t = ++this.tok;
    const isSeed = (v: number): boolean => {
      const l = labels[v * nProps + k]!;
      if ((l & GOAL) !== 0) return false;
      if (kind === 'eventually') return v < g.nInit;
      if (kind === 'leadsTo') return (l & TRIGGER) !== 0;
      return true;
    };
    let qt = 0;
    let ls = 0;
    let sp = 0;
    let d = 0;
    for (;;) {
      if (ls === qt) {
        while (sp < n && (this.mark[sp] === t || !isSeed(sp))) sp++;
        if (sp === n) break;
        d = Math.max(d, this.depth[sp]!);
      }
      // seeds join at their own depth, so prefixes come out shortest
      while (sp < n && this.depth[sp]! <= d) {
        if (this.mark[sp] !== t && isSeed(sp)) {
          this.mark[sp] = t;
          this.aEdge[sp] = -1;
          this.queue[qt++] = sp;
        }
        sp++;
      }
      const le = qt;
      for (let i = ls; i < le; i++) {
        const v = this.queue[i]!;
        for (let e = start[v]!; e < start[v + 1]!; e++) {
          const w = dst[e]!;
          if (this.mark[w] === t || (labels[w * nProps + k]! & GOAL) !== 0) continue;
          this.mark[w] = t;
          this.aEdge[w] = e;
          this.queue[qt++] = w;
        }
      }
      ls = le;
      d++;
    }
    return qt;
  }

  /**
   * Marks the states of fair components in `fairMark` (one token per component) and returns
   * their member lists by token.
   */
  private fairComponents(states: Int32Array, levels: Uint8Array): Map<number, Int32Array> {
    const fair = new Map<number, Int32Array>();
    const work: Int32Array[] = [states];
    while (work.length > 0) {
      const set = work.pop()!;
      const t = ++this.tok;
      for (let i = 0; i < set.length; i++) this.mark[set[i]!] = t;
      const bounds = this.tarjan(set, t);
      // copy out: analysing a component re-tokens `mark`, and a refinement re-runs tarjan
      const comps: Int32Array[] = [];
      let from = 0;
      for (const to of bounds) {
        if (to - from > 1 || this.loopsOrStops(this.compBuf[from]!)) comps.push(this.compBuf.slice(from, to));
        from = to;
      }
      for (const c of comps) {
        const r = this.analyse(c, levels);
        if (r === null) continue;
        if (r === 0) {
          const ft = ++this.tok;
          for (let i = 0; i < c.length; i++) this.fairMark[c[i]!] = ft;
          fair.set(ft, c);
        } else {
          this.stats.refinements++;
          const keep = c.filter((v) => !this.anyEnabled(v, r));
          if (keep.length > 0) work.push(keep);
        }
      }
    }
    return fair;
  }

  /**
   * null: no fair cycle in `c` (trivial, or a weakly fair unit is enabled throughout and never
   * moves); 0: `c` is fair; else the units (bitmask words) of strong fairness enabled somewhere in
   * `c` that never move inside it.
   */
  private analyse(c: Int32Array, levels: Uint8Array): Uint32Array | 0 | null {
    const g = this.g;
    const { start, dst, act, unitOf, enabled, words } = g;
    const ct = ++this.tok;
    for (let i = 0; i < c.length; i++) this.mark[c[i]!] = ct;
    let nontrivial = c.length > 1;
    const some = new Uint32Array(words);
    const all = new Uint32Array(words).fill(0xffffffff);
    const taken = new Uint32Array(words);
    for (let i = 0; i < c.length; i++) {
      const v = c[i]!;
      for (let w = 0; w < words; w++) {
        some[w] = some[w]! | enabled[v * words + w]!;
        all[w] = all[w]! & enabled[v * words + w]!;
      }
      if (start[v] === start[v + 1]) nontrivial = true; // a final state stutters forever
      for (let e = start[v]!; e < start[v + 1]!; e++) {
        const x = dst[e]!;
        if (this.mark[x] !== ct || this.isBanned(e)) continue;
        if (x === v) nontrivial = true;
        const u = unitOf[act[e]!]!;
        taken[u >>> 5] = taken[u >>> 5]! | (1 << (u & 31));
      }
    }
    if (!nontrivial) return null;
    this.stats.components++;
    let bad: Uint32Array | null = null;
    for (let u = 0; u < levels.length; u++) {
      const w = u >>> 5;
      const bit = 1 << (u & 31);
      if ((taken[w]! & bit) !== 0) continue;
      if (levels[u] === WEAK && (all[w]! & bit) !== 0) return null;
      if (levels[u] === STRONG && (some[w]! & bit) !== 0) {
        bad ??= new Uint32Array(words);
        bad[w] = bad[w]! | bit;
      }
    }
    return bad ?? 0;
  }

  /** A single state is a cycle when it has an edge to itself or none at all (it stutters). */
  private loopsOrStops(v: number): boolean {
    const { start, dst } = this.g;
    if (start[v] === start[v + 1]) return true;
    for (let e = start[v]!; e < start[v + 1]!; e++) if (dst[e] === v && !this.isBanned(e)) return true;
    return false;
  }

  private anyEnabled(v: number, mask: Uint32Array): boolean {
    const { enabled, words } = this.g;
    for (let w = 0; w < words; w++) if ((enabled[v * words + w]! & mask[w]!) !== 0) return true;
    return false;
  }

  private isEnabled(v: number, u: number): boolean {
    const { enabled, words } = this.g;
    return (enabled[v * words + (u >>> 5)]! & (1 << (u & 31))) !== 0;
  }

  /** Tarjan's SCCs of the subgraph on the states marked `t`, into compBuf; returns component ends. */
  private tarjan(nodes: Int32Array, t: number): number[] {
    const { start, dst } = this.g;
    const rt = ++this.tok;
    const bounds: number[] = [];
    let counter = 0;
    let sp = 0;
    let cs = 0;
    let cb = 0;
    const open = (w: number) => {
      this.idxTok[w] = rt;
      this.index[w] = counter;
      this.low[w] = counter;
      counter++;
      this.stk[sp++] = w;
      this.onStk[w] = rt;
      this.callV[cs] = w;
      this.callE[cs] = start[w]!;
      cs++;
    };
    for (let r = 0; r < nodes.length; r++) {
      const root = nodes[r]!;
      if (this.idxTok[root] === rt) continue;
      open(root);
      while (cs > 0) {
        const v = this.callV[cs - 1]!;
        const e = this.callE[cs - 1]!;
        if (e < start[v + 1]!) {
          this.callE[cs - 1] = e + 1;
          const w = dst[e]!;
          if (this.mark[w] !== t || this.isBanned(e)) continue;
          if (this.idxTok[w] !== rt) open(w);
          else if (this.onStk[w] === rt && this.index[w]! < this.low[v]!) this.low[v] = this.index[w]!;
          continue;
        }
        cs--;
        if (this.low[v] === this.index[v]) {
          let w: number;
          do {
            w = this.stk[--sp]!;
            this.onStk[w] = 0;
            this.compBuf[cb++] = w;
          } while (w !== v);
          bounds.push(cb);
        }
        if (cs > 0) {
          const u = this.callV[cs - 1]!;
          if (this.low[v]! < this.low[u]!) this.low[u] = this.low[v]!;
        }
      }
    }
    return bounds;
  }

  /** The state an edge leaves (binary search in the compressed successor lists). */
  private sourceOf(e: number): number {
    const start = this.g.start;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (start[mid]! <= e) lo = mid;
      else hi = mid - 1;
    }
    // skip states without edges that share the same start
    while (start[lo + 1]! <= e) lo++;
    return lo;
  }

  /**
   * A cycle from `entry` back to it inside the fair component `comp`, through a witness for every
   * fairness obligation; as actions. Empty for a final state (the run stutters there).
   */
  private cycleThrough(entry: number, comp: Int32Array, levels: Uint8Array): number[] {
    const g = this.g;
    const { start, dst, act, unitOf, words } = g;
    const ct = ++this.tok;
    for (let i = 0; i < comp.length; i++) this.mark[comp[i]!] = ct;
    if (comp.length === 1 && start[entry] === start[entry + 1]) return [];
    // obligations: 1 = an edge of u inside comp, 2 = a state of comp where u is disabled
    const some = new Uint32Array(words);
    const all = new Uint32Array(words).fill(0xffffffff);
    for (let i = 0; i < comp.length; i++) {
      for (let w = 0; w < words; w++) {
        some[w] = some[w]! | g.enabled[comp[i]! * words + w]!;
        all[w] = all[w]! & g.enabled[comp[i]! * words + w]!;
      }
    }
    const need = new Uint8Array(levels.length);
    for (let u = 0; u < levels.length; u++) {
      const bit = 1 << (u & 31);
      if (levels[u] === 0 || (some[u >>> 5]! & bit) === 0) continue;
      need[u] = levels[u] === STRONG || (all[u >>> 5]! & bit) !== 0 ? 1 : 2;
    }
    const moved = new Uint8Array(levels.length);
    const disabledSeen = new Uint8Array(levels.length);
    const visit = (v: number) => {
      for (let u = 0; u < levels.length; u++) if (!this.isEnabled(v, u)) disabledSeen[u] = 1;
    };
    const edges: number[] = [];
    const follow = (path: number[]) => {
      for (const e of path) {
        edges.push(e);
        moved[unitOf[act[e]!]!] = 1;
        visit(dst[e]!);
      }
    };
    visit(entry);
    let cur = entry;
    for (let u = 0; u < levels.length; u++) {
      if (need[u] === 0 || moved[u] === 1 || (need[u] === 2 && disabledSeen[u] === 1)) continue;
      const wantDisabled = need[u] === 2;
      const path = this.bfsInside(cur, ct, false, (v) => {
        for (let e = start[v]!; e < start[v + 1]!; e++)
          if (this.mark[dst[e]!] === ct && unitOf[act[e]!] === u && !this.isBanned(e)) return e;
        return wantDisabled && !this.isEnabled(v, u) ? -2 : -1;
      });
      follow(path);
      cur = edges.length > 0 ? dst[edges[edges.length - 1]!]! : entry;
    }
    if (cur !== entry || edges.length === 0) {
      follow(this.bfsInside(cur, ct, cur === entry, (v) => (v === entry ? -2 : -1)));
    }
    return this.tighten(entry, edges, need).map((e) => act[e]!);
  }

  /**
   * Cuts the loops of a cycle that come back to a state already on it, as long as what is left
   * still meets every fairness obligation (`need`: 1 = a step of the unit, 2 = a step of it or a
   * state where it is disabled) and still moves.
   */
  private tighten(entry: number, edges: number[], need: Uint8Array): number[] {
    const { dst, act, unitOf } = this.g;
    const meets = (path: readonly number[]): boolean => {
      if (path.length === 0) return false;
      for (let u = 0; u < need.length; u++) {
        if (need[u] === 0) continue;
        let ok = false;
        for (let i = 0; i < path.length && !ok; i++) {
          if (unitOf[act[path[i]!]!] === u) ok = true;
          else if (need[u] === 2 && !this.isEnabled(dst[path[i]!]!, u)) ok = true;
        }
        if (!ok) return false;
      }
      return true;
    };
    let path = edges;
    for (let changed = true; changed; ) {
      changed = false;
      const states = [entry, ...path.map((e) => dst[e]!)];
      for (let i = 0; i < path.length && !changed; i++) {
        for (let j = path.length; j > i + 1 && !changed; j--) {
          if (states[i] !== states[j]) continue;
          const shorter = [...path.slice(0, i), ...path.slice(j)];
          if (meets(shorter)) {
            path = shorter;
            changed = true;
          }
        }
      }
    }
    return path;
  }

  /**
   * Shortest path (edge indices) inside the states marked `ct` from `from` to the first state
   * `goal` accepts: goal returns -1 (go on), -2 (stop here) or an edge index (stop after it).
   * With `mustMove`, `from` itself is not tested (a cycle needs at least one step).
   */
  private bfsInside(from: number, ct: number, mustMove: boolean, goal: (v: number) => number): number[] {
    const { start, dst } = this.g;
    // Tarjan's scratch arrays are free now: queue in stk, predecessor edge in callE
    const seen = this.idxTok;
    const q = this.stk;
    const prev = this.callE;
    const bt = ++this.tok;
    let qh = 0;
    let qt = 0;
    seen[from] = bt;
    prev[from] = -1;
    q[qt++] = from;
    const pathTo = (v: number, last: number): number[] => {
      const path: number[] = last >= 0 ? [last] : [];
      let x = v;
      while (prev[x]! >= 0) {
        path.push(prev[x]!);
        x = this.sourceOf(prev[x]!);
      }
      return path.reverse();
    };
    while (qh < qt) {
      const v = q[qh++]!;
      if (!(mustMove && v === from && qh === 1)) {
        const r = goal(v);
        if (r === -2) return pathTo(v, -1);
        if (r >= 0) return pathTo(v, r);
      }
      for (let e = start[v]!; e < start[v + 1]!; e++) {
        const w = dst[e]!;
        if (this.mark[w] !== ct || this.isBanned(e)) continue;
        if (mustMove && w === from) return pathTo(v, e);
        if (seen[w] === bt) continue;
        seen[w] = bt;
        prev[w] = e;
        q[qt++] = w;
      }
    }
    throw new Error('internal error: a fair component is not strongly connected');
  }
}
