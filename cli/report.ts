import { type ActionCoverage, RANDOM_DEFAULTS, type RandomReport } from '../checker/explore/random.ts';
import type { Model } from '../checker/model/model.ts';
import { coverageJson, coverageLines } from '../checker/report/coverage.ts';
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
  const lasso =
    trace.cycleStart !== undefined
      ? ` --cycle-start ${trace.cycleStart}${trace.fairness ? ` --fairness ${trace.fairness}` : ''}`
      : '';
  return `npx kvmcheck replay ${configArgs(model)} --path ${trace.steps.map((s) => s.action).join('.') || '-'}${lasso}`;
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
  if (r.coverage)
    for (const l of coverageLines(r.coverage)) out.push(l.warn ? style.yellow(l.text) : style.dim(l.text));
  if (r.reductions?.length) out.push(style.dim(`reductions: ${r.reductions.join('; ')}`));
  if (r.fairness) out.push(style.dim(`liveness assumed ${r.fairness}`));
  const unchecked = (model.liveness ?? []).map((p) => p.name).filter((n) => !r.properties.includes(n));
  if (unchecked.length > 0 && model.invariants.every((p) => r.properties.includes(p.name))) {
    out.push(
      style.dim(
        `liveness not checked: ${unchecked.join(', ')} (name one with --property, or give --fairness to check all)`,
      ),
    );
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
    reductions: r.reductions ?? [],
    ...(r.fairness ? { fairness: r.fairness } : {}),
    ...(r.verdict === 'incomplete' ? { reason: r.reason, detail: r.detail } : {}),
    ...(r.verdict === 'error' ? { message: r.message } : {}),
    stats: r.stats,
    trace: savedFromResult(r),
    ...(r.coverage ? { coverage: coverageJson(r.coverage) } : {}),
  };
}

/** A step's short name in coverage lists: its label, or its name for interrupts. */
function stepName(a: ActionCoverage): string {
  return a.label === '*' ? a.name : a.label;
}

/** Steps that never fired, grouped by process: `vcpu1: cancel_injection, vm_exit; requester0: drain`. */
export function neverFiredText(actions: readonly ActionCoverage[]): string {
  const by = new Map<string, string[]>();
  for (const a of actions) {
    if (a.fired > 0) continue;
    const list = by.get(a.process) ?? [];
    if (!list.includes(stepName(a))) list.push(stepName(a));
    by.set(a.process, list);
  }
  return [...by].map(([p, l]) => `${p}: ${l.join(', ')}`).join('; ');
}

/** The command line that reruns a random search: the failing walk (seed and path), or all the walks. */
export function reproduceLine(model: Model, rep: RandomReport, extra: readonly string[] = []): string {
  const s = rep.search;
  const parts = [`npx kvmcheck check ${configArgs(model)} --mode random`];
  if (s.strategy === 'pct') parts.push(`--strategy pct --depth-bound ${s.depthBound}`);
  if (s.depth !== RANDOM_DEFAULTS.depth) parts.push(`--depth ${s.depth}`);
  parts.push(...extra);
  if (rep.counterexample) parts.push(`--seed ${s.fastCheckSeed} --path ${rep.counterexample.path}`);
  else if (s.path !== null) parts.push(`--seed ${s.fastCheckSeed} --path ${s.path}`);
  else {
    parts.push(`--seed ${s.seed}`);
    if (s.shard) parts.push(`--shard ${s.shard.index + 1}/${s.shard.count}`);
    parts.push(`--runs ${s.walks}`);
  }
  return parts.join(' ');
}

function searchLine(rep: RandomReport): string {
  const s = rep.search;
  const how = s.strategy === 'pct' ? `pct (d=${s.depthBound}, over ~${s.pctLength} steps)` : 'uniform';
  const shard = s.shard ? `, shard ${s.shard.index + 1}/${s.shard.count}` : '';
  const rate =
    s.stepsPerSecond >= 1000
      ? `${fmt(Math.round(s.stepsPerSecond / 1000))}k`
      : fmt(Math.round(s.stepsPerSecond));
  const distinct = s.saturated ? `~${fmt(s.distinctEstimate)}` : fmt(s.distinct);
  return (
    `random search, ${how}, seed ${s.seed}${shard}: ${fmt(s.walks)} walks, ${fmt(s.steps)} steps ` +
    `(longest walk ${s.longestWalk}, limit ${s.depth}), ${distinct} distinct states, ` +
    `${s.seconds.toFixed(2)} s (${rate} steps/s)`
  );
}

function shrinkLine(rep: RandomReport): string {
  const c = rep.counterexample!;
  const sw = (n: number) => `${n} context switch${n === 1 ? '' : 'es'}`;
  return (
    `  walk ${c.path} hit it after ${c.rawLength} steps (${sw(c.rawSwitches)}); ` +
    `shrunk to ${c.shrunkLength} steps, ${sw(c.shrunkSwitches)} ` +
    `(fast-check's shrinker: ${c.fastCheckLength} steps, ${sw(c.fastCheckSwitches)}; ` +
    `${fmt(c.shrinkEvaluations)} replays, ${c.shrinkSeconds.toFixed(2)} s)`
  );
}

/** The human-readable report of a random run: it ends with the line that reproduces it. */
export function renderRandom(model: Model, rep: RandomReport, reproduce: string, style: Style): string {
  const r = rep.result;
  const out: string[] = [header(model, style), style.dim(searchLine(rep))];
  switch (r.verdict) {
    case 'violated': {
      const v = r.violation;
      if (v.trace) out.push('', renderTraceTable(v.trace, style), '');
      const what = v.kind === 'deadlock' ? 'deadlock' : `${v.kind} ${v.property} violated`;
      out.push(`${style.red(style.bold(`✗ ${what}`))}: ${v.description}`);
      out.push(style.dim(shrinkLine(rep)));
      if (v.trace) out.push(style.dim(`replay: ${replayLine(model, v.trace)}`));
      break;
    }
    case 'error':
      if (r.trace) out.push('', renderTraceTable(r.trace, style), '');
      out.push(`${style.red(style.bold('! model error'))}: ${r.message}`);
      if (rep.counterexample) out.push(style.dim(shrinkLine(rep)));
      if (r.trace) out.push(style.dim(`replay: ${replayLine(model, r.trace)}`));
      break;
    default: {
      out.push(
        `${style.yellow(style.bold('? incomplete'))}: ${r.verdict === 'incomplete' ? r.detail : r.verdict} ` +
          `(${r.properties.join(', ')}); only an exhaustive run can show they hold`,
      );
      const acts = rep.coverage.actions;
      const fired = acts.filter((a) => a.fired > 0).length;
      const distinct = rep.search.saturated
        ? `~${fmt(rep.search.distinctEstimate)} distinct states (estimated)`
        : `${fmt(rep.search.distinct)} distinct states`;
      out.push(`coverage: ${distinct}; ${fired} of ${acts.length} steps fired`);
      if (fired < acts.length) out.push(`never fired: ${neverFiredText(acts)}`);
      if (rep.coverage.reachables.length > 0) {
        out.push(
          `reachable: ${rep.coverage.reachables.map((x) => `${x.name} ${x.witnessed ? 'witnessed' : 'not witnessed'}`).join(', ')}`,
        );
      }
    }
  }
  out.push(style.dim(`reproduce: ${reproduce}`));
  return out.join('\n');
}

/** The `--json` object of a random run: the usual result plus the search, coverage and shrink. */
export function randomJson(rep: RandomReport, reproduce: string): Record<string, unknown> {
  return {
    ...resultJson(rep.result),
    mode: 'random',
    random: { search: rep.search, coverage: rep.coverage, counterexample: rep.counterexample, reproduce },
  };
}
