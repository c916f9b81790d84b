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
  /** The memory model's way of running the step, when it has several (relaxed). */
  readonly memoryVariant?: number;
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
  /** For a lasso: the fairness its cycle is fair under (`--fairness` syntax). */
  readonly fairness?: string;
  /** The model file the trace came from, when it is not a shipped model (absolute path). */
  readonly modelFile?: string;
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
    ...(trace.fairness !== undefined ? { fairness: trace.fairness } : {}),
    steps: trace.steps.map((s) => ({
      process: s.processName,
      label: s.label,
      action: s.name,
      changes: Object.fromEntries(s.changes.map((c) => [c.name, c.to])),
      ...(s.memoryVariant ? { memoryVariant: s.memoryVariant } : {}),
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
  if (
    o.cycleStart !== undefined &&
    !(
      Number.isInteger(o.cycleStart) &&
      (o.cycleStart as number) >= 0 &&
      (o.cycleStart as number) <= o.steps.length
    )
  ) {
    throw bad('cycleStart', 'must be a step index within the trace');
  }
  if (o.fairness !== undefined && typeof o.fairness !== 'string') throw bad('fairness', 'must be a string');
  if (o.modelFile !== undefined && typeof o.modelFile !== 'string')
    throw bad('modelFile', 'must be a string');
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
