/**
 * vitest matchers for protocol checks in a project's own test suite (`kvmcheck/vitest`):
 *
 * ```ts
 * import { check } from 'kvmcheck/vitest';   // importing it installs the matchers
 * import myModel from './my-model.ts';
 *
 * it('my change keeps requests from being lost', async () => {
 *   expect(await check(myModel, { variant: 'my-change', memory: 'tso' })).toHold();
 *   expect(await check(myModel, { variant: 'no-mb', memory: 'tso' })).toBeViolated('noLostRequest');
 * });
 * ```
 *
 * A failed match prints the counterexample as the CLI does, so the test log says why.
 */
import { expect } from 'vitest';
import { explore } from './explore/bfs.ts';
import type { SearchOptions } from './explore/options.ts';
import { type InstanceOptions, instantiate, type ModelDefinition } from './model/define.ts';
import type { PropertyKind, Result } from './report/result.ts';
import { renderTraceTable } from './trace/render-text.ts';

export interface HoldsExpectation {
  /** The exact number of distinct states the run must explore. */
  readonly states?: number;
}

export interface ViolationExpectation {
  readonly kind?: PropertyKind;
  /** The shortest counterexample, as `process:label` per step. */
  readonly trace?: readonly string[];
  /** The shortest counterexample's length in steps. */
  readonly length?: number;
}

interface KvmcheckMatchers<R = unknown> {
  /** Every reachable state was explored and no property is violated. */
  toHold(expected?: HoldsExpectation): R;
  /** Some property (this one, if named) is violated. */
  toBeViolated(property?: string, expected?: ViolationExpectation): R;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: vitest declares Matchers<T = any>
  interface Matchers<T = any> extends KvmcheckMatchers<T> {}
}

/** Builds and explores one configuration: what `kvmcheck check` does, as a function. */
export function check(
  def: ModelDefinition,
  options: InstanceOptions & { readonly search?: SearchOptions } = {},
): Promise<Result> {
  return explore(instantiate(def, options), options.search ?? {});
}

function isResult(x: unknown): x is Result {
  return typeof x === 'object' && x !== null && 'verdict' in x && 'stats' in x && 'config' in x;
}

function where(r: Result): string {
  const c = r.config;
  return `${r.model} --variant ${c.variant} --memory ${c.memory}`;
}

/** What a result says, as a phrase (`it holds (N states)`), with its counterexample. */
export function describeResult(r: Result): string {
  const states = `${r.stats.states.toLocaleString('en-US')} states`;
  switch (r.verdict) {
    case 'holds':
      return `it holds (${states})`;
    case 'violated': {
      const v = r.violation;
      const table = v.trace ? `\n\n${renderTraceTable(v.trace)}\n` : '';
      return `${v.kind} ${v.property} is violated: ${v.description}${table}`;
    }
    case 'incomplete':
      return `the run is incomplete: ${r.detail} (${states})`;
    default:
      return `the model has an error: ${r.message}`;
  }
}

const labels = (r: Result): string[] =>
  r.verdict === 'violated' && r.violation.trace
    ? r.violation.trace.steps.map((s) => `${s.processName}:${s.label}`)
    : [];

export const matchers = {
  toHold(received: unknown, expected: HoldsExpectation = {}) {
    if (!isResult(received))
      return { pass: false, message: () => 'expected a kvmcheck Result (from check() or explore())' };
    const holds = received.verdict === 'holds';
    const statesOk = expected.states === undefined || received.stats.states === expected.states;
    return {
      pass: holds && statesOk,
      message: () =>
        holds && !statesOk
          ? `expected ${where(received)} to explore ${expected.states} distinct states, it explored ${received.stats.states}`
          : `expected ${where(received)} ${holds ? 'not ' : ''}to hold, but ${describeResult(received)}`,
      actual: received.verdict === 'holds' ? received.stats.states : received.verdict,
      expected: expected.states ?? 'holds',
    };
  },

  toBeViolated(received: unknown, property?: string, expected: ViolationExpectation = {}) {
    if (!isResult(received))
      return { pass: false, message: () => 'expected a kvmcheck Result (from check() or explore())' };
    const r = received;
    const v = r.verdict === 'violated' ? r.violation : null;
    const problems: string[] = [];
    if (!v) problems.push(describeResult(r));
    else {
      if (property !== undefined && v.property !== property)
        problems.push(`${v.property} is violated instead: ${describeResult(r)}`);
      if (expected.kind !== undefined && v.kind !== expected.kind)
        problems.push(`the violation is of kind ${v.kind}, not ${expected.kind}`);
      const got = labels(r);
      if (expected.length !== undefined && got.length !== expected.length)
        problems.push(`its shortest trace has ${got.length} steps, not ${expected.length}`);
      if (expected.trace !== undefined && got.join(' ') !== expected.trace.join(' '))
        problems.push(`its shortest trace is\n  ${got.join('\n  ')}`);
    }
    const what = property ?? 'some property';
    return {
      pass: problems.length === 0,
      message: () =>
        problems.length === 0
          ? `expected ${where(r)} not to violate ${what}, but it does: ${describeResult(r)}`
          : `expected ${where(r)} to violate ${what}, but ${problems.join('; ')}`,
      actual: expected.trace !== undefined ? labels(r) : (v?.property ?? r.verdict),
      expected: expected.trace ?? property ?? 'violated',
    };
  },
};

expect.extend(matchers);
