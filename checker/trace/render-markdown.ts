import {
  actingProcesses,
  checkCommand,
  type RenderContext,
  runOptions,
  stepViews,
  verdictText,
} from './render-common.ts';
import type { Trace } from './trace.ts';

/**
 * A GitHub/GitLab-flavoured Markdown table: one column per CPU, one row per step, for issues,
 * pull requests and review comments.
 */

/** Inline code, safe inside a table cell. */
function code(s: string): string {
  return `\`${s.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

function text(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderMarkdown(trace: Trace, ctx: RenderContext): string {
  const cpus = actingProcesses(trace);
  const col = new Map(cpus.map((p, i) => [p.index, i]));
  const out: string[] = [];
  out.push(`**${text(trace.model)}** ${code(runOptions(trace.config))}`);
  out.push('');
  out.push(`| # | ${cpus.map((p) => text(p.name)).join(' | ')} |`);
  out.push(`|--:|${cpus.map(() => '---').join('|')}|`);
  for (const v of stepViews(trace)) {
    if (trace.cycleStart === v.index)
      out.push(`| | ${cpus.map((_, i) => (i === 0 ? '*the cycle starts here*' : '')).join(' | ')} |`);
    const parts = [v.step.kind === 'memory' ? `*${text(v.title)}*` : code(v.title)];
    for (const r of v.reads) parts.push(`reads ${code(r)}`);
    for (const c of v.changes) parts.push(code(c));
    if (v.buffered) parts.push(`buffered, not yet visible: ${v.buffered.map(code).join(', ')}`);
    const c = col.get(v.step.process)!;
    out.push(`| ${v.index + 1} | ${cpus.map((_, i) => (i === c ? parts.join('<br>') : '')).join(' | ')} |`);
  }
  out.push('');
  if (trace.cycleStart !== undefined) {
    out.push(
      trace.cycleStart >= trace.steps.length
        ? '*No step is enabled: the run stays in the last state forever.*'
        : `*Back to the state before step ${trace.cycleStart + 1}: the cycle repeats forever.*`,
    );
    out.push('');
  }
  out.push(ctx.property === null ? `**${text(verdictText(ctx))}**` : `**✗ ${text(verdictText(ctx))}**`);
  out.push('');
  out.push(`Reproduce: ${code(checkCommand(trace, ctx))}`);
  return out.join('\n');
}
