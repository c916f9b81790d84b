import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PropertyKind, Verdict } from './result.ts';

/**
 * A scenario pins one run (model, variant, params, memory model, bounds) to its expected verdict;
 * `holds` scenarios also pin the exact distinct-state count, so a silent change to a model or a
 * reduction shows. Scenarios live as JSON files in scenarios/, one file per model family.
 */
export interface Scenario {
  readonly name: string;
  readonly model: string;
  readonly variant: string;
  readonly memory: string;
  readonly params: Readonly<Record<string, number | boolean | string>>;
  readonly bufferDepth?: number;
  /** Symmetry reduction (default off, so pinned counts are those of the full state space). */
  readonly symmetry?: 'on' | 'off';
  /** Check only these properties (default: all the model declares). */
  readonly properties?: readonly string[];
  /** Fairness for the liveness properties (`--fairness` syntax: none, weak, strong, weak,p0=none). */
  readonly fairness?: string;
  readonly maxStates?: number;
  readonly maxDepth?: number;
  readonly timeLimit?: number;
  readonly expect: {
    readonly verdict: Verdict;
    /** For `violated`: the property that must be the one violated. */
    readonly property?: string;
    readonly kind?: PropertyKind;
    /** For `holds`: the exact number of distinct states. */
    readonly states?: number;
  };
  /** Where it was declared, for error messages and reports. */
  readonly file: string;
}

export class ScenarioError extends Error {}

const VERDICTS = ['holds', 'violated', 'incomplete', 'error'];
const KEYS = new Set([
  'name',
  'model',
  'variant',
  'memory',
  'params',
  'bufferDepth',
  'symmetry',
  'properties',
  'fairness',
  'maxStates',
  'maxDepth',
  'timeLimit',
  'expect',
  'note',
]);

function check(cond: boolean, file: string, where: string, msg: string): asserts cond {
  if (!cond) throw new ScenarioError(`${file}: ${where}: ${msg}`);
}

export function parseScenarioFile(text: string, file: string): Scenario[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  check(
    typeof data === 'object' && data !== null && !Array.isArray(data),
    file,
    '(top level)',
    'must be an object with a "scenarios" array',
  );
  const top = data as Record<string, unknown>;
  check(Array.isArray(top.scenarios), file, 'scenarios', 'must be an array');
  const defaults = (top.defaults ?? {}) as Record<string, unknown>;
  check(typeof defaults === 'object' && !Array.isArray(defaults), file, 'defaults', 'must be an object');
  return (top.scenarios as unknown[]).map((raw, i) => {
    const where = `scenarios[${i}]`;
    check(typeof raw === 'object' && raw !== null && !Array.isArray(raw), file, where, 'must be an object');
    const o = { ...defaults, ...(raw as Record<string, unknown>) };
    for (const k of Object.keys(o))
      check(KEYS.has(k), file, `${where}.${k}`, `unknown field; allowed: ${[...KEYS].join(', ')}`);
    for (const k of ['name', 'model', 'variant', 'memory'] as const) {
      check(
        typeof o[k] === 'string' && (o[k] as string).length > 0,
        file,
        `${where}.${k}`,
        'must be a non-empty string',
      );
    }
    const params = o.params ?? {};
    check(
      typeof params === 'object' && params !== null && !Array.isArray(params),
      file,
      `${where}.params`,
      'must be an object',
    );
    for (const k of ['bufferDepth', 'maxStates', 'maxDepth', 'timeLimit'] as const) {
      check(
        o[k] === undefined || (typeof o[k] === 'number' && (o[k] as number) > 0),
        file,
        `${where}.${k}`,
        'must be a positive number',
      );
    }
    check(
      o.symmetry === undefined || o.symmetry === 'on' || o.symmetry === 'off',
      file,
      `${where}.symmetry`,
      'must be "on" or "off"',
    );
    check(
      o.fairness === undefined ||
        (typeof o.fairness === 'string' &&
          /^(none|weak|strong)(,[^,=]+=(none|weak|strong))*$/.test(o.fairness)),
      file,
      `${where}.fairness`,
      'must be none, weak or strong (optionally with per-process exceptions, e.g. "weak,notifier0=none")',
    );
    check(
      o.properties === undefined ||
        (Array.isArray(o.properties) && o.properties.every((p) => typeof p === 'string')),
      file,
      `${where}.properties`,
      'must be an array of property names',
    );
    const e = o.expect as Record<string, unknown> | undefined;
    check(typeof e === 'object' && e !== null, file, `${where}.expect`, 'must be an object with a verdict');
    check(
      VERDICTS.includes(e.verdict as string),
      file,
      `${where}.expect.verdict`,
      `must be one of ${VERDICTS.join(', ')}`,
    );
    check(
      e.states === undefined || Number.isInteger(e.states),
      file,
      `${where}.expect.states`,
      'must be an integer',
    );
    check(
      e.verdict !== 'holds' || Number.isInteger(e.states),
      file,
      `${where}.expect.states`,
      'a holds scenario must pin its distinct-state count',
    );
    check(
      e.verdict !== 'violated' || typeof e.property === 'string',
      file,
      `${where}.expect.property`,
      'a violated scenario must name the property',
    );
    return { ...(o as unknown as Scenario), params: params as Scenario['params'], file };
  });
}

export function loadScenarios(dir: string): Scenario[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const all: Scenario[] = [];
  const names = new Set<string>();
  for (const f of files) {
    const path = join(dir, f);
    for (const s of parseScenarioFile(readFileSync(path, 'utf8'), path)) {
      if (names.has(s.name)) throw new ScenarioError(`${path}: scenario name '${s.name}' is used twice`);
      names.add(s.name);
      all.push(s);
    }
  }
  return all;
}
