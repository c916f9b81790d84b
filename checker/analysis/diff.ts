import { explore } from '../explore/bfs.ts';
import type { SearchOptions } from '../explore/options.ts';
import type { Model } from '../model/model.ts';
import type { Result } from '../report/result.ts';

/**
 * What a change does to a protocol: two model configurations (two variants, or two model files)
 * are checked property by property, so that every property's verdict is known on both sides (a
 * single run stops at the first violation), plus a run with no property at all for the number
 * of reachable states. A property that held and now fails comes with its new counterexample.
 */

export type PropertyStatus = 'holds' | 'violated' | 'incomplete' | 'error' | 'absent';

export interface SideVerdict {
  readonly status: PropertyStatus;
  /** The run that decided it (null when the side has no such property). */
  readonly result: Result | null;
}

export interface PropertyDiff {
  readonly name: string;
  readonly kind: 'invariant' | 'reachable' | 'deadlock' | 'assertion';
  readonly from: SideVerdict;
  readonly to: SideVerdict;
  readonly changed: boolean;
}

export interface DiffReport {
  readonly from: Model;
  readonly to: Model;
  readonly properties: readonly PropertyDiff[];
  /** Reachable states on each side (null when that run did not complete). */
  readonly states: { readonly from: number | null; readonly to: number | null };
  /** A property that held on `from` and is violated on `to`. */
  readonly regressions: readonly PropertyDiff[];
  /** A property violated on `from` that holds on `to`. */
  readonly fixes: readonly PropertyDiff[];
}

function status(r: Result, property: string): PropertyStatus {
  if (r.verdict === 'violated') return r.violation.property === property ? 'violated' : 'error';
  return r.verdict;
}

/** Every run of one side: per property, plus the state count. */
async function side(
  model: Model,
  names: readonly { name: string; kind: PropertyDiff['kind'] }[],
  search: SearchOptions,
): Promise<{ verdicts: Map<string, SideVerdict>; states: number | null; assertions: Result[] }> {
  const own = new Set([...model.invariants, ...model.reachables].map((p) => p.name));
  const verdicts = new Map<string, SideVerdict>();
  const assertions: Result[] = [];
  for (const { name } of names) {
    if (name !== 'deadlock' && !own.has(name)) {
      verdicts.set(name, { status: 'absent', result: null });
      continue;
    }
    const r = await explore(model, { ...search, properties: [name], deadlock: 'report' });
    verdicts.set(name, { status: status(r, name), result: r });
    if (r.verdict === 'violated' && r.violation.property !== name) assertions.push(r);
  }
  // with no property to check, the search visits every reachable state (a failing step assertion aside)
  const all = await explore(model, { ...search, properties: ['deadlock'], deadlock: 'off' });
  return { verdicts, states: all.verdict === 'holds' ? all.stats.states : null, assertions };
}

export async function diffModels(from: Model, to: Model, search: SearchOptions = {}): Promise<DiffReport> {
  const names: { name: string; kind: PropertyDiff['kind'] }[] = [];
  const add = (name: string, kind: PropertyDiff['kind']) => {
    if (!names.some((n) => n.name === name)) names.push({ name, kind });
  };
  for (const m of [from, to]) {
    for (const p of m.invariants) add(p.name, 'invariant');
    for (const p of m.reachables) add(p.name, 'reachable');
  }
  add('deadlock', 'deadlock');
  const a = await side(from, names, search);
  const b = await side(to, names, search);
  // a step assertion stops every run it is reachable in: show it as its own property
  for (const r of [...a.assertions, ...b.assertions]) {
    if (r.verdict !== 'violated') continue;
    const name = r.violation.property;
    if (names.some((n) => n.name === name)) continue;
    names.push({ name, kind: 'assertion' });
    for (const s of [a, b]) {
      const hit = s.assertions.find((x) => x.verdict === 'violated' && x.violation.property === name);
      s.verdicts.set(name, hit ? { status: 'violated', result: hit } : { status: 'holds', result: null });
    }
  }
  const properties = names.map(({ name, kind }) => {
    const f = a.verdicts.get(name)!;
    const t = b.verdicts.get(name)!;
    return { name, kind, from: f, to: t, changed: f.status !== t.status };
  });
  return {
    from,
    to,
    properties,
    states: { from: a.states, to: b.states },
    regressions: properties.filter((p) => p.from.status === 'holds' && p.to.status === 'violated'),
    fixes: properties.filter((p) => p.from.status === 'violated' && p.to.status === 'holds'),
  };
}
