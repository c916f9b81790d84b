import type { Model } from '../checker/model/model.ts';
import { exitCodeOf, type Result } from '../checker/report/result.ts';
import { type RenderContext, TRACE_FORMATS } from '../checker/trace/formats.ts';
import { GraphTooLargeError, renderDot } from '../checker/trace/render-dot.ts';
import { LitmusError } from '../checker/trace/render-litmus.ts';
import type { Trace } from '../checker/trace/trace.ts';
import { UsageError } from './errors.ts';
import { statsLine } from './report.ts';

/** `--format` of check and replay: how the counterexample is written (dot: the whole state graph). */
export const TRACE_FORMAT_NAMES = [...TRACE_FORMATS.keys()];

export const formatOption = (withDot: boolean) =>
  ({
    format: {
      choices: withDot ? [...TRACE_FORMAT_NAMES, 'dot'] : TRACE_FORMAT_NAMES,
      default: 'text',
      describe:
        'how to write the trace: ' +
        [...TRACE_FORMATS].map(([k, f]) => `${k} (${f.description})`).join(', ') +
        (withDot ? ', dot (the explored state graph, counterexample in red; small models only)' : ''),
    },
  }) as const;

/** Renders `trace` (or the state graph for dot); bad requests become one-line usage errors. */
export function renderFormat(format: string, trace: Trace | null, ctx: RenderContext): string {
  try {
    if (format === 'dot') return renderDot(trace, ctx);
    return TRACE_FORMATS.get(format)!.render(trace!, ctx);
  } catch (e) {
    if (e instanceof GraphTooLargeError || e instanceof LitmusError)
      throw new UsageError(`--format ${format}: ${e.message}`);
    throw e;
  }
}

/**
 * `check --format F`: stdout gets only the document (the trace, or the graph), so it can be piped
 * into a file or a mail; the verdict goes to stderr. Exit codes are those of check.
 */
export function writeCheckFormat(
  model: Model,
  r: Result,
  format: string,
  modelRef: string,
  json: boolean,
): number {
  if (json) throw new UsageError(`--json and --format ${format} both choose the output: give one of them`);
  const trace = r.verdict === 'violated' ? r.violation.trace : r.verdict === 'error' ? r.trace : null;
  const ctx: RenderContext = {
    model,
    property: r.verdict === 'violated' ? r.violation.property : r.verdict === 'error' ? 'model-error' : null,
    kind: r.verdict === 'violated' ? r.violation.kind : r.verdict === 'error' ? 'error' : null,
    description:
      r.verdict === 'violated' ? r.violation.description : r.verdict === 'error' ? r.message : null,
    modelRef,
  };
  const verdict =
    r.verdict === 'violated'
      ? `✗ ${r.violation.kind} ${r.violation.property} violated${trace ? ` (trace of ${trace.steps.length} steps)` : ''}`
      : r.verdict === 'error'
        ? `! model error: ${r.message}`
        : r.verdict === 'incomplete'
          ? `? incomplete: ${r.detail}`
          : `✓ holds: ${r.properties.join(', ')}`;
  if (format === 'dot' || trace) process.stdout.write(`${renderFormat(format, trace, ctx)}\n`);
  else process.stderr.write(`kvmcheck: no counterexample to write as ${format}\n`);
  process.stderr.write(`${verdict}\n${statsLine(r)}\n`);
  return exitCodeOf(r);
}

/** The render context of a replayed trace: the property it violates, looked up in the model. */
export function replayContext(model: Model, property: string | null, modelRef: string): RenderContext {
  const inv = model.invariants.find((p) => p.name === property);
  return {
    model,
    property,
    kind: property === null ? null : inv ? 'invariant' : property === 'deadlock' ? 'deadlock' : 'assertion',
    description: inv?.description ?? (property === 'deadlock' ? 'no step is enabled' : null),
    modelRef,
  };
}

/** `replay --format F`: the replayed trace alone on stdout, what it shows on stderr. */
export function writeReplayFormat(
  model: Model,
  trace: Trace,
  format: string,
  status: string,
  property: string | null,
  modelRef: string,
): void {
  process.stdout.write(`${renderFormat(format, trace, replayContext(model, property, modelRef))}\n`);
  process.stderr.write(`replay: ${status}${property ? ` (${property})` : ''}\n`);
}
