/** What the model tests assert about a counterexample: its steps, and what one step changed. */
import type { Result } from '../../checker/report/result.ts';

/** The `processName:label` sequence of the counterexample, or [] when the run did not fail. */
export function labels(r: Result): string[] {
  return r.verdict === 'violated' ? r.violation.trace!.steps.map((s) => `${s.processName}:${s.label}`) : [];
}

/** The variables step `i` of the counterexample changed, as `name: from -> to`. */
export function changes(r: Result, i: number): string[] {
  return r.verdict === 'violated'
    ? r.violation.trace!.steps[i]!.changes.map((c) => `${c.name}: ${c.from} -> ${c.to}`)
    : [];
}
