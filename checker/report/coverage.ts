import type { ActionKind, Model, Property } from '../model/model.ts';

/**
 * What an exhaustive run never exercised. A step that never fired has a guard that is never
 * true or a label nothing reaches, which is a bug in a model more often than not. An invariant
 * is never exercised when every variable it reads in the initial state keeps its initial value
 * in every reachable state: it then evaluates the same everywhere, so it passes vacuously.
 */

export interface StepCoverage {
  readonly process: string;
  readonly label: string;
  readonly name: string;
  readonly kind: ActionKind;
  readonly fired: number;
}

export interface UnexercisedProperty {
  readonly name: string;
  /** The variables it reads in the initial state, none of which ever changes. */
  readonly reads: readonly string[];
}

export interface CoverageReport {
  readonly steps: readonly StepCoverage[];
  /** Steps and interrupts that never fired (memory-model steps such as drains are left out). */
  readonly neverFired: readonly StepCoverage[];
  readonly unexercised: readonly UnexercisedProperty[];
}

/** The slots `p` reads when evaluated on `s`. */
export function slotsRead(p: Property, s: Int32Array): number[] {
  const read = new Set<number>();
  const spy = new Proxy(s, {
    get(target, key) {
      if (typeof key === 'string' && /^\d+$/.test(key)) read.add(Number(key));
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  p.check(spy);
  return [...read].sort((a, b) => a - b);
}

/**
 * The coverage of a run that explored every reachable state: `fired` counts each action's
 * firings, `changed` marks the slots that left their initial value somewhere.
 */
export function coverageReport(
  model: Model,
  fired: Uint32Array,
  changed: Uint8Array,
  checked: readonly string[],
): CoverageReport {
  const steps = model.actions.map((a) => ({
    process: model.processes[a.process]!.name,
    label: a.label,
    name: a.name,
    kind: a.kind,
    fired: fired[a.id] ?? 0,
  }));
  const init = model.initialStates()[0]!;
  const unexercised: UnexercisedProperty[] = [];
  for (const inv of model.invariants) {
    if (!checked.includes(inv.name)) continue;
    const reads = slotsRead(inv, init);
    if (reads.every((i) => changed[i] === 0))
      unexercised.push({ name: inv.name, reads: reads.map((i) => model.layout.slots[i]!.name) });
  }
  return {
    steps,
    neverFired: steps.filter((s) => s.kind !== 'memory' && s.fired === 0),
    unexercised,
  };
}

/**
 * `vcpu1: cancel_injection, vm_exit; requester0: IPI taken`: the never-fired steps of `steps`
 * by process, a step named beside its label when other steps at that label did fire.
 */
export function neverFiredList(steps: readonly StepCoverage[]): string {
  const by = new Map<string, string[]>();
  for (const s of steps) {
    if (s.kind === 'memory' || s.fired > 0) continue;
    const list = by.get(s.process) ?? [];
    const partly = steps.some((o) => o.process === s.process && o.label === s.label && o.fired > 0);
    const name = s.label === '*' ? s.name : partly ? `${s.label} (${s.name})` : s.label;
    if (!list.includes(name)) list.push(name);
    by.set(s.process, list);
  }
  return [...by].map(([p, l]) => `${p}: ${l.join(', ')}`).join('; ');
}

/** The coverage lines of a check report; `warn` marks the lines that point at a likely model bug. */
export function coverageLines(c: CoverageReport): { text: string; warn: boolean }[] {
  const counted = c.steps.filter((s) => s.kind !== 'memory');
  const out: { text: string; warn: boolean }[] = [];
  if (c.neverFired.length === 0)
    out.push({ text: `coverage: all ${counted.length} steps fired`, warn: false });
  else
    out.push({
      text: `never fired (${c.neverFired.length} of ${counted.length} steps): ${neverFiredList(c.steps)}`,
      warn: true,
    });
  for (const u of c.unexercised)
    out.push({
      text: `never exercised: invariant ${u.name} (${u.reads.length > 0 ? `what it reads, ${u.reads.join(', ')}, never changes` : 'it reads no variable'})`,
      warn: true,
    });
  return out;
}

/** The `coverage` member of `--json`. */
export function coverageJson(c: CoverageReport): Record<string, unknown> {
  const strip = (s: StepCoverage) => ({ process: s.process, label: s.label, name: s.name, kind: s.kind });
  return {
    neverFired: c.neverFired.map(strip),
    unexercised: c.unexercised,
    steps: c.steps.map((s) => ({ ...strip(s), fired: s.fired })),
  };
}
