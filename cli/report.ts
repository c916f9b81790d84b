import type { Model } from '../checker/model/model.ts';
import type { Result } from '../checker/report/result.ts';
import { renderTraceTable, renderViolation, type Style } from '../checker/trace/render-text.ts';
import type { Trace } from '../checker/trace/trace.ts';
import { savedFromResult } from '../checker/trace/trace-file.ts';
import { configArgs } from './resolve.ts';

const fmt = (n: number) => n.toLocaleString('en-US');

export function statsLine(r: Result): string {
  const s = r.stats;
  const rate =
    s.statesPerSecond >= 1000
      ? `${fmt(Math.round(s.statesPerSecond / 1000))}k`
      : fmt(Math.round(s.statesPerSecond));
  return (
    `${fmt(s.states)} states, ${fmt(s.transitions)} transitions, depth ${s.depth}, ${s.seconds.toFixed(2)} s ` +
    `(${rate} states/s), fingerprint collision probability ${s.collisionProbability.toExponential(1)}`
  );
}

export function header(model: Model, style: Style): string {
  const c = model.config;
  const params = Object.entries(c.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return (
    style.bold(`${model.name}`) +
    style.dim(
      ` variant ${c.variant}, memory ${c.memory}${c.memory === 'sc' ? '' : ` (store buffers of ${c.bufferDepth})`}, ${params}`,
    )
  );
}

export function replayLine(model: Model, trace: Trace): string {
  return `npx kvmcheck replay ${configArgs(model)} --path ${trace.steps.map((s) => s.action).join('.') || '-'}`;
}

/** The human-readable report of one check run. */
export function renderResult(model: Model, r: Result, style: Style): string {
  const out: string[] = [header(model, style)];
  switch (r.verdict) {
    case 'holds':
      out.push(`${style.green(style.bold('✓ holds'))}: ${r.properties.join(', ')}`);
      break;
    case 'violated': {
      const v = r.violation;
      if (v.trace) {
        out.push('');
        out.push(renderTraceTable(v.trace, style));
        out.push('');
      }
      out.push(renderViolation(v, style));
      if (v.trace) out.push(style.dim(`replay: ${replayLine(model, v.trace)}`));
      break;
    }
    case 'incomplete':
      out.push(
        `${style.yellow(style.bold('? incomplete'))}: ${r.detail}; no violation among the states explored (${r.properties.join(', ')})`,
      );
      break;
    case 'error':
      if (r.trace) {
        out.push('');
        out.push(renderTraceTable(r.trace, style));
        out.push('');
      }
      out.push(`${style.red(style.bold('! model error'))}: ${r.message}`);
      if (r.trace) out.push(style.dim(`replay: ${replayLine(model, r.trace)}`));
      break;
  }
  out.push(style.dim(statsLine(r)));
  return out.join('\n');
}

/** The `--json` object (one per run). */
export function resultJson(r: Result): Record<string, unknown> {
  const c = r.config;
  return {
    verdict: r.verdict,
    model: r.model,
    variant: c.variant,
    memory: c.memory,
    bufferDepth: c.bufferDepth,
    params: c.params,
    property: r.verdict === 'violated' ? r.violation.property : null,
    kind: r.verdict === 'violated' ? r.violation.kind : null,
    properties: r.properties,
    ...(r.verdict === 'incomplete' ? { reason: r.reason, detail: r.detail } : {}),
    ...(r.verdict === 'error' ? { message: r.message } : {}),
    stats: r.stats,
    trace: savedFromResult(r),
  };
}
