import { explore } from '../explore/bfs.ts';
import { parseFairness } from '../explore/fairness.ts';
import type { SearchOptions } from '../explore/options.ts';
import { instantiate, type ModelDefinition } from '../model/define.ts';
import type { Result } from './result.ts';
import type { Scenario } from './scenario.ts';

/** One scenario's outcome in a gate run. */
export interface GateOutcome {
  readonly scenario: Scenario;
  readonly ok: boolean;
  /** Why it does not match, or '' when it does. */
  readonly mismatch: string;
  readonly result: Result | null;
  readonly seconds: number;
}

export function compareToExpectation(s: Scenario, r: Result): string {
  const e = s.expect;
  if (r.verdict !== e.verdict) {
    const got =
      r.verdict === 'violated'
        ? `violated (${r.violation.property})`
        : r.verdict === 'error'
          ? `error (${r.message})`
          : r.verdict;
    return `expected ${e.verdict}${e.property ? ` (${e.property})` : ''}, got ${got}`;
  }
  if (r.verdict === 'violated') {
    if (e.property !== undefined && r.violation.property !== e.property) {
      return `expected ${e.property} to be violated, got ${r.violation.property}`;
    }
    if (e.kind !== undefined && r.violation.kind !== e.kind)
      return `expected a ${e.kind} violation, got ${r.violation.kind}`;
  }
  if (e.states !== undefined && r.stats.states !== e.states) {
    return `expected ${e.states} distinct states, explored ${r.stats.states}`;
  }
  return '';
}

export async function runScenario(
  s: Scenario,
  catalog: ReadonlyMap<string, ModelDefinition>,
  signal?: AbortSignal,
  /** Options replacing the scenario's (e.g. reductions, for tests that they keep verdicts). */
  override: Pick<SearchOptions, 'symmetry' | 'por'> = {},
): Promise<GateOutcome> {
  const t0 = performance.now();
  const def = catalog.get(s.model);
  if (!def) {
    return { scenario: s, ok: false, mismatch: `unknown model '${s.model}'`, result: null, seconds: 0 };
  }
  try {
    const model = instantiate(def, {
      variant: s.variant,
      memory: s.memory,
      params: s.params,
      bufferDepth: s.bufferDepth,
    });
    const r = await explore(model, {
      maxStates: s.maxStates,
      maxDepth: s.maxDepth,
      timeLimit: s.timeLimit,
      properties: s.properties,
      fairness: s.fairness !== undefined ? parseFairness(s.fairness) : undefined,
      symmetry: s.symmetry,
      signal,
      ...override,
    });
    const mismatch = compareToExpectation(s, r);
    return {
      scenario: s,
      ok: mismatch === '',
      mismatch,
      result: r,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    return {
      scenario: s,
      ok: false,
      mismatch: `could not run: ${(e as Error).message}`,
      result: null,
      seconds: (performance.now() - t0) / 1000,
    };
  }
}
