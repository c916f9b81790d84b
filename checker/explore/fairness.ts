import type { Fairness, LivenessProperty, Model } from '../model/model.ts';

/**
 * Fairness units: who must eventually move on a fair run. Each process is a unit for its
 * program steps; each CPU's interrupt delivery and each CPU's store buffer are units of their
 * own. A CPU that keeps executing does not thereby take a pending IPI or drain its buffer, but
 * the hardware does both eventually: were the IPI and the drains folded into the process, a
 * process spinning in a loop would count as "moving" while its IPI waited or its stores stayed
 * invisible forever. So under weak fairness a store buffer that never drains is unfair, and so
 * is an IPI left pending while interrupts stay on. Where a memory model drains a buffer by
 * several steps (pso, relaxed: one per entry), each is a unit, so no entry can wait forever.
 *
 * A fairness spec is a level for every unit plus exceptions per process (applying to all of that
 * process's units), written `weak` or `weak,notifier0=none`: the `--fairness` syntax, also kept
 * in saved traces.
 */

export const FAIRNESS_LEVELS: readonly Fairness[] = ['none', 'weak', 'strong'];
export const NONE = 0;
export const WEAK = 1;
export const STRONG = 2;

export interface FairnessSpec {
  readonly level: Fairness;
  readonly processes: Readonly<Record<string, Fairness>>;
}

export class FairnessError extends Error {}

export interface FairnessUnits {
  readonly count: number;
  /** For traces and reports: `vcpu0`, `vcpu0 IPI delivery`, `vcpu0 store buffer`. */
  readonly names: readonly string[];
  /** The process each unit belongs to. */
  readonly owner: Int32Array;
  /** Action id -> unit. */
  readonly unitOf: Int32Array;
  /** Uint32 words of an enabled-units bitmask. */
  readonly words: number;
}

export function fairnessUnits(model: Model): FairnessUnits {
  const names: string[] = [];
  const owner: number[] = [];
  const unitOf = new Int32Array(model.actions.length);
  const ids = new Map<string, number>();
  const unit = (p: number, suffix: string): number => {
    const key = `${p}/${suffix}`;
    let u = ids.get(key);
    if (u === undefined) {
      u = names.length;
      ids.set(key, u);
      names.push(`${model.processes[p]!.name}${suffix}`);
      owner.push(p);
    }
    return u;
  };
  for (const p of model.processes) unit(p.index, '');
  // one unit per memory-model step: under pso and relaxed each buffer entry drains by a step of
  // its own, and fairness to the whole buffer would let one entry wait forever while others drain
  const drains = model.processes.map((p) =>
    model.actions.filter((a) => a.process === p.index && a.kind === 'memory'),
  );
  for (const a of model.actions) {
    let suffix = '';
    if (a.kind === 'interrupt') suffix = ' IPI delivery';
    else if (a.kind === 'memory') {
      const mine = drains[a.process]!;
      suffix = mine.length > 1 ? ` store buffer entry ${mine.indexOf(a) + 1}` : ' store buffer';
    }
    unitOf[a.id] = unit(a.process, suffix);
  }
  return {
    count: names.length,
    names,
    owner: Int32Array.from(owner),
    unitOf,
    words: (names.length + 31) >>> 5,
  };
}

export function parseFairness(text: string, processNames?: readonly string[]): FairnessSpec {
  const parts = text.split(',').map((x) => x.trim());
  let level: Fairness | undefined;
  const processes: Record<string, Fairness> = {};
  for (const part of parts) {
    const eq = part.indexOf('=');
    const value = eq < 0 ? part : part.slice(eq + 1);
    if (!(FAIRNESS_LEVELS as readonly string[]).includes(value)) {
      throw new FairnessError(
        `bad fairness '${text}': '${value}' is not one of ${FAIRNESS_LEVELS.join(', ')} (e.g. weak, or weak,notifier0=none)`,
      );
    }
    if (eq < 0) {
      if (level !== undefined) throw new FairnessError(`bad fairness '${text}': the level is given twice`);
      level = value as Fairness;
    } else {
      const name = part.slice(0, eq);
      if (processNames && !processNames.includes(name)) {
        throw new FairnessError(
          `bad fairness '${text}': there is no process '${name}'; processes: ${processNames.join(', ')}`,
        );
      }
      processes[name] = value as Fairness;
    }
  }
  return { level: level ?? 'weak', processes };
}

export function formatFairness(spec: FairnessSpec): string {
  return [spec.level, ...Object.entries(spec.processes).map(([p, l]) => `${p}=${l}`)].join(',');
}

/** The fairness a property is checked under: the run's override, else the property's own, else weak. */
export function fairnessOf(property: LivenessProperty, override: FairnessSpec | undefined): FairnessSpec {
  if (override) return override;
  return { level: property.fairness ?? 'weak', processes: property.processFairness ?? {} };
}

/** Level per unit (NONE, WEAK, STRONG). */
export function unitLevels(model: Model, units: FairnessUnits, spec: FairnessSpec): Uint8Array {
  const levels = new Uint8Array(units.count);
  for (const [name, level] of Object.entries(spec.processes)) {
    if (!model.processes.some((p) => p.name === name)) {
      throw new FairnessError(
        `fairness names process '${name}', which model ${model.name} does not have; processes: ${model.processes.map((p) => p.name).join(', ')}`,
      );
    }
    void level;
  }
  for (let u = 0; u < units.count; u++) {
    const proc = model.processes[units.owner[u]!]!.name;
    levels[u] = FAIRNESS_LEVELS.indexOf(spec.processes[proc] ?? spec.level);
  }
  return levels;
}

/** For reports: `weak fairness (every process, IPI delivery and store buffer)`. */
export function describeFairness(spec: FairnessSpec): string {
  const base =
    spec.level === 'none'
      ? 'no fairness (any infinite run counts)'
      : `${spec.level} fairness (every process, IPI delivery and store buffer)`;
  const ex = Object.entries(spec.processes).map(([p, l]) => `${p}: ${l}`);
  return ex.length > 0 ? `${base}, except ${ex.join(', ')}` : base;
}
