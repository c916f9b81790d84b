import type { Params } from '../model/params.ts';
import type { Result } from '../report/result.ts';
import type { Trace } from './trace.ts';

/**
 * The saved form of a counterexample (`--trace-out`): the run configuration and, per step, the
 * process and the step's label and name. Steps are matched by name on replay, not by internal
 * number, so a trace survives unrelated edits to a model and fails loudly when a step changed.
 */
export const TRACE_FORMAT = 'kvmcheck-trace';
export const TRACE_VERSION = 1;

export interface SavedStep {
  readonly process: string;
  readonly label: string;
  readonly action: string;
  readonly changes: Record<string, string>;
}

export interface SavedTrace {
  readonly format: typeof TRACE_FORMAT;
  readonly version: number;
  readonly model: string;
  readonly variant: string;
  readonly params: Params;
  readonly memory: string;
  readonly bufferDepth: number;
  readonly property: string | null;
  readonly kind: string | null;
  readonly cycleStart?: number;
  readonly steps: readonly SavedStep[];
}

export function toSaved(trace: Trace, property: string | null, kind: string | null): SavedTrace {
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    model: trace.model,
    variant: trace.config.variant,
    params: trace.config.params,
    memory: trace.config.memory,
    bufferDepth: trace.config.bufferDepth,
    property,
    kind,
    ...(trace.cycleStart !== undefined ? { cycleStart: trace.cycleStart } : {}),
    steps: trace.steps.map((s) => ({
      process: s.processName,
      label: s.label,
      action: s.name,
      changes: Object.fromEntries(s.changes.map((c) => [c.name, c.to])),
    })),
  };
}

export function savedFromResult(r: Result): SavedTrace | null {
  if (r.verdict === 'violated' && r.violation.trace)
    return toSaved(r.violation.trace, r.violation.property, r.violation.kind);
  if (r.verdict === 'error' && r.trace) return toSaved(r.trace, 'model-error', 'error');
  return null;
}

export class TraceFileError extends Error {}

/** Checks that `data` is a saved trace; throws TraceFileError naming the first bad field. */
export function parseSaved(data: unknown, file: string): SavedTrace {
  const bad = (field: string, want: string) =>
    new TraceFileError(`${file}: not a kvmcheck trace: field '${field}' ${want}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw bad('(top level)', 'must be an object');
  const o = data as Record<string, unknown>;
  if (o.format !== TRACE_FORMAT) throw bad('format', `must be "${TRACE_FORMAT}"`);
  if (o.version !== TRACE_VERSION) throw bad('version', `must be ${TRACE_VERSION}`);
  for (const f of ['model', 'variant', 'memory'] as const)
    if (typeof o[f] !== 'string') throw bad(f, 'must be a string');
  if (typeof o.params !== 'object' || o.params === null) throw bad('params', 'must be an object');
  if (!Number.isInteger(o.bufferDepth)) throw bad('bufferDepth', 'must be an integer');
  if (!Array.isArray(o.steps)) throw bad('steps', 'must be an array');
  o.steps.forEach((s, i) => {
    const st = s as Record<string, unknown>;
    if (
      typeof st !== 'object' ||
      st === null ||
      typeof st.process !== 'string' ||
      typeof st.action !== 'string' ||
      typeof st.label !== 'string'
    ) {
      throw bad(`steps[${i}]`, 'must have string process, label and action');
    }
  });
  return data as SavedTrace;
}
