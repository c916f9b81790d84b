import { LOCK_DOMAIN, mutexClass } from '../kernel/locks.ts';
import type { Context } from '../memory/context.ts';
import { BOOL, type Domain, LayoutBuilder } from '../state/layout.ts';
import type { Fairness, LivenessProperty } from './model.ts';

/**
 * The authoring API: a model declares its variables, then its processes as lists of labelled
 * steps (PlusCal-style). A step has a label (its program-counter value), a name (the kernel code
 * it stands for, shown in traces), an optional guard, and an atomic effect that returns the
 * label to go to next (by default the next label declared). Several steps at one label are a
 * nondeterministic choice (PlusCal's either/or).
 */

/** An effect returns the next label (from `ProcessBuilder.label`) or nothing to fall through. */
export type Effect = (c: Context) => number | undefined | void;
export type Guard = (c: Context) => boolean;
/** Invariants and reachability predicates read the state directly: `s[ref]`. */
export type Predicate = (s: Int32Array) => boolean;

export interface StepOptions {
  readonly guard?: Guard;
}

export interface StepSpec {
  readonly label: number;
  readonly name: string;
  readonly guard: Guard | undefined;
  readonly effect: Effect;
}

/** An interrupt handler sees the label the process was at when the IPI arrived. */
export type InterruptHandler = (c: Context, at: number) => number | undefined | void;

export interface InterruptSpec {
  readonly name: string;
  readonly handler: InterruptHandler | undefined;
  readonly irqsOff: number;
  readonly pending: number;
}

/** Fairness of a liveness property: a level for every process, and per-process exceptions by name. */
export interface LivenessOptions {
  readonly fairness?: Fairness;
  readonly processFairness?: Readonly<Record<string, Fairness>>;
}

const always: Predicate = () => true;

export interface PropertySpec {
  readonly name: string;
  readonly description: string;
  readonly check: Predicate;
}

export class ProcessBuilder {
  readonly labels: string[] = [];
  readonly steps: StepSpec[] = [];
  readonly endLabels = new Set<number>();
  interrupt: InterruptSpec | undefined;
  pcSlot = -1;
  private readonly labelIds = new Map<string, number>();
  private readonly definedOrder: number[] = [];

  constructor(
    private readonly model: ModelBuilder,
    readonly index: number,
    readonly name: string,
    readonly symmetryClass: string | undefined,
  ) {}

  /** The number standing for label `name` (created on first mention; define it with `step`). */
  label(name: string): number {
    let id = this.labelIds.get(name);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(name);
      this.labelIds.set(name, id);
    }
    return id;
  }

  /** The terminal label: a process there has finished, which is a valid end state. */
  get done(): number {
    const id = this.label('done');
    this.endLabels.add(id);
    return id;
  }

  /** Marks labels where the process may rest forever without that being a deadlock. */
  endAt(...labels: number[]): void {
    for (const l of labels) this.endLabels.add(l);
  }

  /** A per-process variable, not shared memory: read with `c.get`, written with `c.set`. */
  local(name: string, domain: Domain = BOOL, init = domain.min): number {
    return this.model.layout.add(`${this.name}.${name}`, 'local', this.index, domain, init);
  }

  step(label: string, name: string, effect: Effect, options: StepOptions = {}): this {
    const id = this.label(label);
    if (!this.definedOrder.includes(id)) this.definedOrder.push(id);
    this.steps.push({ label: id, name, guard: options.guard, effect });
    return this;
  }

  /**
   * Lets this CPU take IPIs: a pending IPI is taken at any step where interrupts are enabled
   * (also right after guest entry, which enables them), running `handler` (it may return a
   * label, e.g. the VM-exit path). Returns the slots for local_irq_disable and the IPI pending bit.
   */
  interruptible(name: string, handler?: InterruptHandler): { irqsOff: number; pending: number } {
    if (this.interrupt) throw new Error(`${this.name}: interruptible() declared twice`);
    const irqsOff = this.local('irqs_disabled', BOOL, 0);
    const pending = this.model.layout.add(`ipi_pending[${this.name}]`, 'ghost', -1, BOOL, 0);
    this.interrupt = { name, handler, irqsOff, pending };
    return { irqsOff, pending };
  }

  /** Label order as declared: a step's default successor is the next label in this order. */
  nextLabel(label: number): number {
    const i = this.definedOrder.indexOf(label);
    const next = this.definedOrder[i + 1];
    return next ?? this.done;
  }

  get firstLabel(): number {
    return this.definedOrder[0] ?? this.done;
  }

  get definedLabels(): readonly number[] {
    return this.definedOrder;
  }

  /** Labels taken out by `removeLabel` (extendModel): never reached, so they need no step. */
  readonly removedLabels = new Set<number>();

  /** Deletes the steps at `label` and takes it out of the declared order (extendModel). */
  removeLabel(label: number): void {
    for (let i = this.steps.length - 1; i >= 0; i--)
      if (this.steps[i]!.label === label) this.steps.splice(i, 1);
    const i = this.definedOrder.indexOf(label);
    if (i >= 0) this.definedOrder.splice(i, 1);
    this.removedLabels.add(label);
  }

  /** Moves `label` in the declared order to just before `before` (extendModel's inserts). */
  moveLabel(label: number, before: number): void {
    const i = this.definedOrder.indexOf(label);
    if (i >= 0) this.definedOrder.splice(i, 1);
    const j = this.definedOrder.indexOf(before);
    if (j >= 0) this.definedOrder.splice(j, 0, label);
    else this.definedOrder.push(label);
  }

  /** True when the state `s` has this process at `label`. */
  at(s: Int32Array, label: number): boolean {
    return s[this.pcSlot] === label;
  }
}

export class ModelBuilder {
  readonly layout = new LayoutBuilder();
  readonly processes: ProcessBuilder[] = [];
  readonly invariants: PropertySpec[] = [];
  readonly reachables: PropertySpec[] = [];
  readonly liveness: LivenessProperty[] = [];
  readonly symmetric: { name: string; processes: ProcessBuilder[]; indexed: number[][]; valued: number[] }[] =
    [];
  validEnd: Predicate | undefined;

  /**
   * A shared variable: accessed through the memory model (`c.load`, `c.store`, atomics). One
   * declared with LOCK_DOMAIN is also registered as a lock (see `lock`).
   */
  shared(name: string, domain: Domain = BOOL, init = domain.min): number {
    const ref = this.layout.add(name, 'shared', -1, domain, init);
    if (domain === LOCK_DOMAIN) this.layout.addLock(mutexClass(name, ref));
    return ref;
  }

  /** A mutex or spinlock (spin_lock, mutex_lock): 0 when free, holder+1 when held. */
  lock(name: string): number {
    return this.shared(name, LOCK_DOMAIN, 0);
  }

  sharedArray(name: string, n: number, domain: Domain = BOOL, init = domain.min): number[] {
    return Array.from({ length: n }, (_, i) => this.shared(`${name}[${i}]`, domain, init));
  }

  /** A ghost (history) variable for properties: written directly, invisible to the memory model. */
  ghost(name: string, domain: Domain = BOOL, init = domain.min): number {
    return this.layout.add(name, 'ghost', -1, domain, init);
  }

  ghostArray(name: string, n: number, domain: Domain = BOOL, init = domain.min): number[] {
    return Array.from({ length: n }, (_, i) => this.ghost(`${name}[${i}]`, domain, init));
  }

  process(name: string, options: { symmetry?: string } = {}): ProcessBuilder {
    if (this.processes.some((p) => p.name === name)) throw new Error(`process ${name} is declared twice`);
    const p = new ProcessBuilder(this, this.processes.length, name, options.symmetry);
    this.processes.push(p);
    return p;
  }

  /** A safety property: `check` must hold in every reachable state. */
  invariant(name: string, description: string, check: Predicate): void {
    this.invariants.push({ name, description, check });
  }

  /** Some reachable state must satisfy `check`, else the run fails: guards against vacuous passes. */
  reachable(name: string, description: string, check: Predicate): void {
    this.reachables.push({ name, description, check });
  }

  /** Liveness: every run (fair under `options.fairness`, default weak) reaches a `goal` state. */
  eventually(name: string, description: string, goal: Predicate, options: LivenessOptions = {}): void {
    this.liveness.push({ name, description, kind: 'eventually', trigger: always, goal, ...options });
  }

  /** Liveness: from every reachable `trigger` state, every fair run reaches a `goal` state (p ~> q). */
  leadsTo(
    name: string,
    description: string,
    trigger: Predicate,
    goal: Predicate,
    options: LivenessOptions = {},
  ): void {
    this.liveness.push({ name, description, kind: 'leadsTo', trigger, goal, ...options });
  }

  /** Liveness: on every fair run `goal` holds again and again (infinitely often). */
  alwaysEventually(name: string, description: string, goal: Predicate, options: LivenessOptions = {}): void {
    this.liveness.push({ name, description, kind: 'alwaysEventually', trigger: always, goal, ...options });
  }

  /**
   * Declares `processes` interchangeable (a scalarset): `indexed` lists arrays with one slot per
   * member (in member order), `valued` the slots whose value names a member.
   */
  symmetry(name: string, processes: ProcessBuilder[], indexed: number[][] = [], valued: number[] = []): void {
    this.symmetric.push({ name, processes, indexed, valued });
  }

  /** Overrides which terminal states are valid ends (default: every process at an end label). */
  validEndWhen(pred: Predicate): void {
    this.validEnd = pred;
  }
}
