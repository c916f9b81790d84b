import type { Property } from '../model/model.ts';
import type { PropertyKind, Result, WaitsFor } from '../report/result.ts';
import type { Trace } from '../trace/trace.ts';

/** What a search found wrong, before its trace is rebuilt. */
export interface Found {
  property: string;
  kind: PropertyKind;
  description: string;
  /** Index of the state the trace ends in (the violating state, or the parent of `action`). */
  state: number;
  /** For an assertion or a model error inside a step: the step taken from `state`. */
  action: number;
  error: string | null;
  /** For a deadlock: who waits for whom. */
  waits?: WaitsFor[];
}

/** A violation of invariant `inv` in state `state`. */
export function invariantFound(inv: Property, state: number): Found {
  return {
    property: inv.name,
    kind: 'invariant',
    description: inv.description,
    state,
    action: -1,
    error: null,
  };
}

/** The names of the safety properties a run checks, in report order. */
export function checkedProperties(
  invariants: readonly Property[],
  reachables: readonly Property[],
  checkDeadlock: boolean,
): string[] {
  return [
    ...invariants.map((p) => p.name),
    ...reachables.map((p) => p.name),
    ...(checkDeadlock ? ['deadlock'] : []),
  ];
}

type Common = Omit<Extract<Result, { verdict: 'holds' }>, 'verdict'>;

/** The result for `f` with its rebuilt trace: a model error if a step failed, else a violation. */
export function foundResult(common: Common, f: Found, trace: Trace): Result {
  if (f.error !== null) return { ...common, verdict: 'error', message: f.error, trace };
  return {
    ...common,
    verdict: 'violated',
    violation: {
      property: f.property,
      kind: f.kind,
      description: f.description,
      trace,
      ...(f.waits ? { waitsFor: f.waits } : {}),
    },
  };
}

/** A complete search's verdict on its reachable properties: the first no state witnessed, or null. */
export function unwitnessedResult(
  common: Common,
  reachables: readonly Property[],
  witnessed: Uint8Array,
): Result | null {
  const i = witnessed.indexOf(0);
  if (i < 0 || i >= reachables.length) return null;
  const r = reachables[i]!;
  return {
    ...common,
    verdict: 'violated',
    violation: {
      property: r.name,
      kind: 'reachable',
      description: `no reachable state witnesses: ${r.description}`,
      trace: null,
    },
  };
}
