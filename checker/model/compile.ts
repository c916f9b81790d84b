import type { Context } from '../memory/context.ts';
import type { DeclaredFootprint, MemoryInstance } from '../memory/memory-model.ts';
import { BOOL, enumDomain, intDomain, type Layout } from '../state/layout.ts';
import type { Effect, Guard, ModelBuilder } from './builder.ts';
import { type Footprint, footprintOf } from './footprint.ts';
import type {
  ActionInfo,
  LivenessProperty,
  Model,
  ProcessInfo,
  Property,
  RunConfig,
  Transition,
} from './model.ts';

interface Action extends ActionInfo {
  readonly guard: Guard | undefined;
  readonly effect: Effect;
  /** The pc slot a step writes, or -1 for actions that keep the pc unless they return a label. */
  readonly pcSlot: number;
  readonly next: number;
  readonly labelCount: number;
  /** A footprint the memory model declares for its own action (see MemoryAction.footprint). */
  readonly declared?: DeclaredFootprint;
}

export class ModelDefinitionError extends Error {}

/** Label of the step that performs a CPU's deferred store (splitStores). */
const DEFERRED_STORE = 'deferred-store';

/** Turns a filled ModelBuilder plus a memory model into the engine's Model. */
export function compile(
  name: string,
  b: ModelBuilder,
  config: RunConfig,
  extendMemory: (procNames: string[]) => MemoryInstance,
  splitStores = false,
): Model {
  if (b.processes.length === 0) throw new ModelDefinitionError(`model ${name} declares no process`);
  for (const p of b.processes) {
    void p.done;
    for (let l = 0; l < p.labels.length; l++) {
      if (!p.definedLabels.includes(l) && !p.endLabels.has(l) && !p.removedLabels.has(l)) {
        throw new ModelDefinitionError(
          `process ${p.name}: label '${p.labels[l]}' is used but no step is defined at it`,
        );
      }
    }
    p.pcSlot = b.layout.add(`${p.name}.pc`, 'pc', p.index, enumDomain(p.labels.slice()), p.firstLabel);
  }
  // Deferred stores: per CPU a pending flag, the slot and the value of one store that runs as a
  // step of its own; while it is pending the CPU takes no other step.
  let deferred: DeferredSlots | null = null;
  if (splitStores) {
    const shared = b.layout.build().slots.filter((s) => s.kind === 'shared');
    const vmin = Math.min(0, ...shared.map((s) => s.domain.min));
    const vmax = Math.max(1, ...shared.map((s) => s.domain.max));
    const addrMax = Math.max(0, b.layout.count - 1);
    deferred = {
      pending: Int32Array.from(b.processes, (p) =>
        b.layout.add(`${p.name}.deferred_store.pending`, 'local', p.index, BOOL),
      ),
      addr: Int32Array.from(b.processes, (p) =>
        b.layout.add(`${p.name}.deferred_store.addr`, 'local', p.index, intDomain(0, addrMax)),
      ),
      value: Int32Array.from(b.processes, (p) =>
        b.layout.add(`${p.name}.deferred_store.value`, 'local', p.index, intDomain(vmin, vmax)),
      ),
    };
  }
  const procNames = b.processes.map((p) => p.name);
  const mem = extendMemory(procNames);
  for (const cls of b.symmetric) {
    b.layout.addSymmetry({
      name: cls.name,
      processes: cls.processes.map((p) => p.index),
      indexed: cls.indexed,
      valued: cls.valued,
    });
  }
  const layout = b.layout.build();
  return new CompiledModel(name, b, config, layout, mem, deferred);
}

interface DeferredSlots {
  readonly pending: Int32Array;
  readonly addr: Int32Array;
  readonly value: Int32Array;
}

class CompiledModel implements Model {
  readonly processes: ProcessInfo[];
  readonly actions: Action[] = [];
  readonly invariants: Property[];
  readonly reachables: Property[];
  readonly liveness: LivenessProperty[];
  readonly context: Context;
  private readonly at: (Action[] | undefined)[][];
  private readonly anytime: Action[][];
  private readonly pcSlots: Int32Array;
  private readonly endMasks: Uint8Array[];
  private readonly validEnd: ((s: Int32Array) => boolean) | undefined;
  private readonly t: Transition;
  private readonly waitsForDeferred: Uint8Array | null;

  constructor(
    readonly name: string,
    b: ModelBuilder,
    readonly config: RunConfig,
    readonly layout: Layout,
    private readonly mem: MemoryInstance,
    private readonly deferred: DeferredSlots | null = null,
  ) {
    this.context = mem.createContext(layout);
    this.context.deferred = deferred;
    this.processes = b.processes.map((p) => ({
      index: p.index,
      name: p.name,
      pcSlot: p.pcSlot,
      labels: p.labels.slice(),
      symmetry: p.symmetryClass,
      endLabels: [...p.endLabels],
    }));
    this.pcSlots = Int32Array.from(b.processes, (p) => p.pcSlot);
    this.at = b.processes.map((p) => p.labels.map(() => undefined));
    this.anytime = b.processes.map(() => []);
    this.endMasks = b.processes.map((p) => Uint8Array.from(p.labels, (_, l) => (p.endLabels.has(l) ? 1 : 0)));
    for (const p of b.processes) {
      for (const st of p.steps) {
        const a: Action = {
          id: this.actions.length,
          process: p.index,
          label: p.labels[st.label]!,
          name: st.name,
          kind: 'step',
          guard: st.guard,
          effect: st.effect,
          pcSlot: p.pcSlot,
          next: p.nextLabel(st.label),
          labelCount: p.labels.length,
        };
        this.actions.push(a);
        const row = this.at[p.index]!;
        (row[st.label] ??= []).push(a);
        for (let variant = 1; variant < (mem.stepVariants ?? 1); variant++) {
          const av: Action = { ...a, id: this.actions.length, variant };
          this.actions.push(av);
          row[st.label]!.push(av);
        }
      }
      if (p.interrupt) {
        const { irqsOff, pending, handler, name } = p.interrupt;
        const a: Action = {
          id: this.actions.length,
          process: p.index,
          label: '*',
          name,
          kind: 'interrupt',
          guard: (c) => c.get(pending) === 1 && c.get(irqsOff) === 0,
          effect: (c) => {
            c.set(pending, 0);
            return handler ? handler(c, c.s[p.pcSlot]!) : undefined;
          },
          pcSlot: -1,
          next: -1,
          labelCount: p.labels.length,
        };
        this.actions.push(a);
        this.anytime[p.index]!.push(a);
      }
      if (deferred) {
        const pending = deferred.pending[p.index]!;
        const addr = deferred.addr[p.index]!;
        const value = deferred.value[p.index]!;
        const a: Action = {
          id: this.actions.length,
          process: p.index,
          label: DEFERRED_STORE,
          name: 'the store half of the weakened atomic (a separate step)',
          kind: 'step',
          guard: (c) => c.get(pending) === 1,
          effect: (c) => {
            const ref = c.get(addr);
            const v = c.get(value);
            c.set(pending, 0);
            c.set(addr, 0);
            c.set(value, 0);
            c.store(ref, v);
          },
          pcSlot: -1,
          next: -1,
          labelCount: p.labels.length,
        };
        this.actions.push(a);
        this.anytime[p.index]!.push(a);
      }
      for (const m of mem.actions(p.index)) {
        const a: Action = {
          id: this.actions.length,
          process: p.index,
          label: m.label,
          name: m.name,
          kind: 'memory',
          guard: m.guard,
          effect: m.effect,
          pcSlot: -1,
          next: -1,
          labelCount: p.labels.length,
          ...(m.footprint ? { declared: m.footprint } : {}),
        };
        this.actions.push(a);
        this.anytime[p.index]!.push(a);
      }
    }
    // with deferred stores, which actions wait for their CPU's pending store: its program steps and
    // interrupts, not the store itself nor the memory model's drains
    this.waitsForDeferred =
      deferred === null
        ? null
        : Uint8Array.from(this.actions, (a) => (a.kind !== 'memory' && a.label !== DEFERRED_STORE ? 1 : 0));
    this.invariants = b.invariants.slice();
    this.reachables = b.reachables.slice();
    this.liveness = b.liveness.slice();
    this.validEnd = b.validEnd;
    const c = this.context;
    this.t = {
      action: 0,
      process: 0,
      reads: c.reads,
      nReads: 0,
      writes: c.writes,
      nWrites: 0,
      failed: null,
      error: null,
    };
  }

  initialStates(): Int32Array[] {
    return [this.layout.initialState()];
  }

  successors(s: Int32Array, out: Int32Array, emit: (t: Transition) => void): void {
    const n = this.pcSlots.length;
    for (let p = 0; p < n; p++) {
      const list = this.at[p]![s[this.pcSlots[p]!]!];
      if (list !== undefined) {
        for (let i = 0; i < list.length; i++) if (this.run(list[i]!, s, out)) emit(this.t);
      }
      const any = this.anytime[p]!;
      for (let i = 0; i < any.length; i++) if (this.run(any[i]!, s, out)) emit(this.t);
    }
  }

  fire(s: Int32Array, action: number, out: Int32Array): Transition | null {
    const a = this.actions[action];
    if (a === undefined) return null;
    if (
      a.pcSlot >= 0 &&
      this.layout.slots[a.pcSlot] &&
      s[a.pcSlot] !== this.processes[a.process]!.labels.indexOf(a.label)
    ) {
      return null;
    }
    return this.run(a, s, out) ? this.t : null;
  }

  /** Runs `a` from `s` into `out`; true when it is enabled (the transition is in this.t). */
  private run(a: Action, s: Int32Array, out: Int32Array): boolean {
    if (!this.enabledAt(a, s)) return false;
    out.set(s);
    this.context.s = out;
    return this.apply(a);
  }

  /** Begins `a` in `s` and evaluates its guard: false when it is disabled there. */
  private enabledAt(a: Action, s: Int32Array): boolean {
    const c = this.context;
    c.begin(s, a.process);
    c.variant = a.variant ?? 0;
    // a CPU with a deferred store pending does nothing else until it is done
    if (
      this.waitsForDeferred !== null &&
      this.waitsForDeferred[a.id] === 1 &&
      s[this.deferred!.pending[a.process]!] === 1
    ) {
      return false;
    }
    if (a.guard !== undefined) {
      let ok: boolean;
      try {
        ok = a.guard(c);
      } catch (e) {
        return this.fail(a, `guard of '${a.name}' threw: ${errorText(e)}`);
      }
      if (!ok || c.blocked) return false;
    }
    return true;
  }

  /** Runs the effect of the enabled action `a` on the context's state; false if it blocked. */
  private apply(a: Action): boolean {
    const c = this.context;
    const t = this.t;
    const out = c.s;
    let r: number | undefined | void;
    try {
      r = a.effect(c);
      c.endStep();
    } catch (e) {
      return this.fail(a, `step '${a.name}' threw: ${errorText(e)}`);
    }
    if (c.blocked) return false;
    if (c.nWrites > 510) return this.fail(a, `step '${a.name}' writes more than 510 slots in one step`);
    if (typeof r === 'number') {
      if (!(r >= 0 && r < a.labelCount))
        return this.fail(a, `step '${a.name}' returned ${r}, which is not a label`);
      const slot = this.pcSlots[a.process]!;
      out[slot] = r;
      c.writes[c.nWrites++ & 511] = slot;
    } else if (a.pcSlot >= 0) {
      out[a.pcSlot] = a.next;
      c.writes[c.nWrites++ & 511] = a.pcSlot;
    }
    t.action = a.id;
    t.process = a.process;
    t.nReads = Math.min(c.nReads, 512);
    t.nWrites = Math.min(c.nWrites, 512);
    t.failed = c.failed;
    t.error = c.error;
    return true;
  }

  actionsAt(p: number, label: number): readonly number[] {
    return [...(this.at[p]?.[label] ?? []), ...(this.anytime[p] ?? [])].map((a) => a.id);
  }

  footprint(action: number, budget: number): Footprint | null {
    const a = this.actions[action]!;
    if (a.declared !== undefined) {
      const sorted = (xs: readonly number[]) => Int32Array.from(new Set(xs)).sort();
      return {
        reads: sorted([...a.declared.guard, ...a.declared.reads]),
        writes: sorted(a.declared.writes),
        early: sorted(a.declared.guard),
        mayFail: false,
        paths: 0,
        enabling: [],
      };
    }
    const fixed = new Map<number, number>();
    // a program step runs only at its label
    if (a.pcSlot >= 0) fixed.set(a.pcSlot, this.processes[a.process]!.labels.indexOf(a.label));
    return footprintOf(
      this.layout,
      (probe) => {
        // a model error (a guard that throws, a write outside a domain) on some state the layout
        // admits says little: most such states are unreachable. Only assertions count as failing.
        this.t.error = null;
        const on = this.enabledAt(a, probe.s);
        probe.mark();
        if (!on || this.t.error !== null) return;
        this.context.s = probe.s;
        if (!this.apply(a)) return;
        probe.enabled();
        if (this.t.failed !== null) probe.fail();
      },
      budget,
      fixed,
    );
  }

  private fail(a: Action, message: string): boolean {
    const t = this.t;
    t.action = a.id;
    t.process = a.process;
    t.nReads = 0;
    t.nWrites = 0;
    t.failed = null;
    t.error = message;
    return true;
  }

  isValidEnd(s: Int32Array): boolean {
    if (this.validEnd) return this.validEnd(s);
    for (let p = 0; p < this.pcSlots.length; p++) {
      if (this.endMasks[p]![s[this.pcSlots[p]!]!] !== 1) return false;
    }
    return true;
  }

  pendingStores(s: Int32Array, p: number): { ref: number; value: number }[] {
    return this.mem.pending(s, p);
  }

  deferredSlots(p: number): { count: number; addrs: readonly number[] } | null {
    if (this.deferred === null) return null;
    return { count: this.deferred.pending[p]!, addrs: [this.deferred.addr[p]!] };
  }

  addressSlots(p: number): { count: number; addrs: readonly number[] } | null | undefined {
    if (!this.mem.holdsAddresses) return null;
    return this.mem.addressSlots?.(p);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
