import { footprintOf } from '../model/footprint.ts';
import type { Model, Property, Transition } from '../model/model.ts';

/**
 * Partial-order reduction by ample sets (Clarke, Grumberg and Peled, "Model Checking", ch. 10).
 * From a state, instead of every enabled transition, the search may take only the enabled
 * transitions of one process p when
 *  - C1 (persistence): each of them is independent of every action any other process may ever
 *    take (no slot one writes is read or written by the other), and no disabled action of p can
 *    be enabled by another process, so nothing the others do can interfere before p moves;
 *  - C2 (invisibility): none of them writes a slot a checked property reads, nor may fail an
 *    assertion;
 *  - C3 (cycles, for BFS): every successor they reach is new; otherwise the state is expanded in
 *    full (the caller checks this), so every cycle of the reduced graph has a full expansion.
 * Deadlocks are kept (an ample set is empty only when nothing is enabled), and so are violations
 * of invariants and reachable properties (stutter-equivalence over the slots they read).
 *
 * Footprints (the slots an action may read and write) come from checker/model/footprint.ts where
 * enumerating the action's paths fits a budget: exact over every state. For the other actions
 * (typically store-buffer drains, whose footprint ranges over every address they may hold) the
 * footprint is learned from every execution the search sees, and the caller restarts the search
 * when a learned footprint grows after a reduction relied on it. A learned footprint covers what
 * the action did in the states explored, not necessarily in states the reduction skipped.
 */

/** Paths an action's footprint enumeration may take before the footprint is learned instead. */
const ACTION_BUDGET = 4000;
/** Paths a property's read-set enumeration may take; past it, every slot counts as read. */
const PROPERTY_BUDGET = 200_000;

export class AmpleSets {
  private readonly n: number;
  private readonly reads: Uint8Array;
  private readonly writes: Uint8Array;
  /** Slots an action's guard reads (for learned actions, all it reads). */
  private readonly guardReads: Uint8Array;
  private readonly exact: Uint8Array;
  private readonly mayFail: Uint8Array;
  /** Slots the checked properties read. */
  private readonly propertyReads: Uint8Array;
  private readonly actionProcess: Int32Array;
  private readonly pcSlots: Int32Array;
  private readonly lists: (readonly number[])[][];
  // derived from the footprints, recomputed when a learned one grows
  private readonly othersRead: Uint8Array;
  private readonly othersWrite: Uint8Array;
  private readonly independent: Uint8Array;
  /** 0: no other process can enable the action; 1: some can; 2: depends on the state (`enablers`). */
  private readonly enableable: Uint8Array;
  /** Exact actions: the paths on which they are enabled (footprint.ts `enabling`). */
  private readonly enablingPaths: (readonly { slots: Int32Array; values: Int32Array }[] | null)[];
  /**
   * Per action with enableable 2: the enabling paths cut down to the slots no other process
   * writes, as flat (slot, value) runs: [length, slot, value, slot, value, ..., length, ...].
   * The others can enable the action from `s` iff `s` matches one of them.
   */
  private readonly enablers: (Int32Array | null)[];
  private stale = true;
  /** Set when a learned footprint grew; the caller decides whether the search must restart. */
  grew = false;
  /** The enabled actions of the chosen process after `choose` (the first `nChosen`). */
  readonly chosen: Int32Array;
  nChosen = 0;
  exactActions = 0;
  propertiesExact = true;
  /** Whether the footprints were analysed (the search got far enough to reduce). */
  analysed = false;

  private constructor(
    private readonly model: Model,
    private readonly properties: readonly Property[],
  ) {
    const n = model.layout.size;
    const nA = model.actions.length;
    const nP = model.processes.length;
    this.n = n;
    this.reads = new Uint8Array(nA * n);
    this.writes = new Uint8Array(nA * n);
    this.guardReads = new Uint8Array(nA * n);
    this.exact = new Uint8Array(nA);
    this.mayFail = new Uint8Array(nA);
    this.actionProcess = Int32Array.from(model.actions, (a) => a.process);
    this.pcSlots = Int32Array.from(model.processes, (p) => p.pcSlot);
    this.othersRead = new Uint8Array(nP * n);
    this.othersWrite = new Uint8Array(nP * n);
    this.independent = new Uint8Array(nA);
    this.enableable = new Uint8Array(nA);
    this.chosen = new Int32Array(nA);
    this.enablingPaths = new Array(nA).fill(null);
    this.enablers = new Array(nA).fill(null);
    this.propertyReads = new Uint8Array(n);
    this.lists = model.processes.map((p) => p.labels.map((_, l) => model.actionsAt!(p.index, l)));
  }

  /**
   * Finds the exact footprints (actions) and read sets (properties): done on the first `choose`,
   * so a search that never reduces never pays for it.
   */
  private analyse(): void {
    this.analysed = true;
    const model = this.model;
    const n = this.n;
    for (let a = 0; a < model.actions.length; a++) {
      const fp = model.footprint!(a, ACTION_BUDGET);
      if (fp === null) continue;
      this.exactActions++;
      this.exact[a] = 1;
      this.mayFail[a] = fp.mayFail ? 1 : 0;
      // what was learned so far lies inside the exact footprint; start from the exact one
      this.reads.fill(0, a * n, (a + 1) * n);
      this.writes.fill(0, a * n, (a + 1) * n);
      this.guardReads.fill(0, a * n, (a + 1) * n);
      for (const i of fp.reads) this.reads[a * n + i] = 1;
      for (const i of fp.writes) this.writes[a * n + i] = 1;
      for (const i of fp.early) this.guardReads[a * n + i] = 1;
      this.enablingPaths[a] = fp.enabling;
    }
    for (const p of this.properties) {
      const fp = footprintOf(model.layout, (probe) => void p.check(probe.s), PROPERTY_BUDGET);
      if (fp === null) {
        this.propertiesExact = false;
        this.propertyReads.fill(1);
        break;
      }
      for (const i of fp.reads) this.propertyReads[i] = 1;
    }
    this.stale = true;
  }

  /** The reducer for `model`, or why it has none. */
  static forModel(model: Model, properties: readonly Property[]): AmpleSets | string {
    if (model.footprint === undefined || model.actionsAt === undefined)
      return 'the model does not expose its actions for analysis';
    if (model.processes.length < 2) return 'the model has a single process';
    return new AmpleSets(model, properties);
  }

  get learnedActions(): number {
    return this.model.actions.length - this.exactActions;
  }

  /** Records what an executed transition read and wrote (learned footprints only). */
  learn(t: Transition): void {
    const a = t.action;
    if (this.exact[a] === 1) return;
    const base = a * this.n;
    for (let k = 0; k < t.nReads; k++) this.mark(this.reads, base + t.reads[k]!);
    for (let k = 0; k < t.nReads; k++) this.mark(this.guardReads, base + t.reads[k]!);
    for (let k = 0; k < t.nWrites; k++) this.mark(this.writes, base + t.writes[k]!);
  }

  private mark(set: Uint8Array, i: number): void {
    if (set[i] === 0) {
      set[i] = 1;
      this.grew = true;
      this.stale = true;
    }
  }

  /**
   * Picks a process whose enabled actions at `s` form an ample set; -1 when there is none (expand
   * `s` in full). On success `chosen` holds those actions. Fires candidates into `scratch`.
   */
  choose(s: Int32Array, scratch: Int32Array): number {
    if (!this.analysed) this.analyse();
    const model = this.model;
    const c = model.context;
    for (let p = 0; p < this.pcSlots.length; p++) {
      const list = this.lists[p]![s[this.pcSlots[p]!]!]!;
      if (this.stale) this.derive();
      let ok = true;
      let k = 0;
      for (let i = 0; i < list.length && ok; i++) {
        const a = list[i]!;
        const t = model.fire(s, a, scratch);
        if (t === null) {
          // disabled: what its guard read may tell of a wider footprint
          if (this.exact[a] === 0) {
            const base = a * this.n;
            const nr = Math.min(c.nReads, 512);
            for (let r = 0; r < nr; r++) this.mark(this.guardReads, base + c.reads[r]!);
            for (let r = 0; r < nr; r++) this.mark(this.reads, base + c.reads[r]!);
            if (this.stale) this.derive();
          }
          const e = this.enableable[a];
          if (e === 1 || (e === 2 && this.othersCanEnable(a, s))) ok = false;
          continue;
        }
        this.learn(t);
        if (this.stale) this.derive();
        if (t.error !== null || t.failed !== null || this.independent[a] === 0) ok = false;
        else this.chosen[k++] = a;
      }
      if (ok && k > 0) {
        this.nChosen = k;
        return p;
      }
    }
    this.nChosen = 0;
    return -1;
  }

  /** Recomputes, from the footprints, which actions commute with every other process's. */
  private derive(): void {
    const n = this.n;
    const nP = this.pcSlots.length;
    const nA = this.actionProcess.length;
    this.othersRead.fill(0);
    this.othersWrite.fill(0);
    for (let a = 0; a < nA; a++) {
      const pa = this.actionProcess[a]!;
      for (let p = 0; p < nP; p++) {
        if (p === pa) continue;
        const o = p * n;
        for (let i = 0; i < n; i++) {
          this.othersRead[o + i]! |= this.reads[a * n + i]!;
          this.othersWrite[o + i]! |= this.writes[a * n + i]!;
        }
      }
    }
    for (let a = 0; a < nA; a++) {
      const o = this.actionProcess[a]! * n;
      const base = a * n;
      let indep = this.mayFail[a] === 0;
      let enableable = false;
      for (let i = 0; i < n; i++) {
        const w = this.writes[base + i]!;
        const r = this.reads[base + i]!;
        if (w === 1 && (this.othersRead[o + i] === 1 || this.othersWrite[o + i] === 1)) indep = false;
        if (w === 1 && this.propertyReads[i] === 1) indep = false;
        if (r === 1 && this.othersWrite[o + i] === 1) indep = false;
        if (this.guardReads[base + i] === 1 && this.othersWrite[o + i] === 1) enableable = true;
      }
      this.independent[a] = indep ? 1 : 0;
      this.enableable[a] = enableable ? 1 : 0;
      this.enablers[a] = null;
      const paths = this.enablingPaths[a];
      if (enableable && paths) {
        // which values of the slots only this process writes leave the others a way to enable it
        const seen = new Set<string>();
        const runs: number[] = [];
        for (const path of paths) {
          const run: number[] = [];
          for (let k = 0; k < path.slots.length; k++) {
            const slot = path.slots[k]!;
            if (this.othersWrite[o + slot] === 0) run.push(slot, path.values[k]!);
          }
          if (run.length === 0) {
            runs.length = 0;
            break;
          }
          const key = run.join(',');
          if (!seen.has(key)) {
            seen.add(key);
            runs.push(run.length / 2, ...run);
          }
        }
        if (runs.length > 0) {
          this.enableable[a] = 2;
          this.enablers[a] = Int32Array.from(runs);
        }
      }
    }
    this.stale = false;
  }

  /** Whether some other process can enable the disabled action `a` from `s`. */
  private othersCanEnable(a: number, s: Int32Array): boolean {
    const runs = this.enablers[a]!;
    let i = 0;
    while (i < runs.length) {
      const len = runs[i++]!;
      let match = true;
      for (let k = 0; k < len && match; k++) if (s[runs[i + 2 * k]!] !== runs[i + 2 * k + 1]) match = false;
      if (match) return true;
      i += 2 * len;
    }
    return false;
  }
}
