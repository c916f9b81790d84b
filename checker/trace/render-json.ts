import type { RenderContext } from './render-common.ts';
import type { Trace } from './trace.ts';
import { toSaved } from './trace-file.ts';

/**
 * The trace as JSON: the saved-trace format (`replay` reads it back) with, per step, what it read,
 * its store buffer and the values before each change, and the initial values of every variable.
 */
export function traceJson(trace: Trace, ctx: RenderContext): Record<string, unknown> {
  const saved = toSaved(trace, ctx.property, ctx.kind);
  const layout = ctx.model.layout;
  const init = trace.states[0]!;
  return {
    ...saved,
    description: ctx.description,
    initial: Object.fromEntries(
      layout.slots
        .filter((s) => s.kind !== 'memory')
        .map((s) => [s.name, layout.format(s.index, init[s.index]!)]),
    ),
    steps: trace.steps.map((s, i) => ({
      ...saved.steps[i]!,
      kind: s.kind,
      reads: s.reads,
      from: Object.fromEntries(s.changes.map((c) => [c.name, c.from])),
      buffered: s.buffered,
    })),
  };
}

export function renderJson(trace: Trace, ctx: RenderContext): string {
  return JSON.stringify(traceJson(trace, ctx), null, 2);
}
