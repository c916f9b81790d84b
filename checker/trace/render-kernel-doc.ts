import {
  actingProcesses,
  checkCommand,
  initialShared,
  type RenderContext,
  stepViews,
  verdictText,
  wrapText,
} from './render-common.ts';
import type { Trace } from './trace.ts';

/**
 * The plain-text table style of Documentation/virt/kvm/locking.rst ("Dirty bit tracking"): an
 * RST grid table, one column per CPU, a row per run of consecutive steps of one CPU, the initial
 * values on top and the broken property at the bottom. 72 columns wide when the CPUs fit, so it
 * can go into a commit message or a mail as is (and renders as a table in the kernel docs).
 */

const WIDTH = 72;
const MIN_CELL = 20;

export function renderKernelDoc(trace: Trace, ctx: RenderContext): string {
  const cpus = actingProcesses(trace);
  const n = Math.max(cpus.length, 1);
  // inner widths (padding included) share WIDTH minus the n+1 borders; the first columns take the rest
  const inner = WIDTH - (n + 1);
  const cells = Array.from({ length: n }, (_, i) => Math.floor(inner / n) + (i < inner % n ? 1 : 0) - 2);
  const widths = cells.map((w) => Math.max(w, MIN_CELL));
  const full = widths.reduce((a, w) => a + w + 3, 0) - 3;
  const col = new Map(cpus.map((p, i) => [p.index, i]));

  const rule = (ch: string) => `+${widths.map((w) => ch.repeat(w + 2)).join('+')}+`;
  const fullRule = (ch: string) => `+${ch.repeat(full + 2)}+`;
  const row = (texts: readonly string[]) => `| ${texts.map((t, i) => t.padEnd(widths[i]!)).join(' | ')} |`;
  const fullRow = (t: string) => `| ${t.padEnd(full)} |`;
  const out: string[] = [];

  out.push(fullRule('-'));
  out.push(fullRow('At the beginning::'));
  out.push(fullRow(''));
  const init = initialShared(trace, ctx.model);
  for (const line of init.length > 0 ? init : ['(no shared variable is accessed)'])
    for (const piece of wrapText(line, full - 4)) out.push(fullRow(`    ${piece}`));
  out.push(rule('-'));
  out.push(row(cpus.map((p) => `${p.name}:`)));
  out.push(rule('-'));

  const views = stepViews(trace);
  let i = 0;
  while (i < views.length) {
    const p = views[i]!.step.process;
    const c = col.get(p)!;
    const w = widths[c]!;
    const lines: string[] = [];
    if (trace.cycleStart === i) lines.push('(the cycle starts here)');
    // a block: the consecutive steps of one CPU, as locking.rst groups them
    while (i < views.length && views[i]!.step.process === p) {
      const v = views[i]!;
      if (lines.length > 0) lines.push('');
      if (i > 0 && trace.cycleStart === i) lines.push('(the cycle starts here)', '');
      lines.push(...wrapText(`${v.index + 1}. ${v.title}`, w, 5));
      for (const r of v.reads) lines.push(...wrapText(`   reads ${r}`, w));
      for (const ch of v.changes) lines.push(...wrapText(`   ${ch}`, w));
      if (v.buffered) lines.push(...wrapText(`   buffered: ${v.buffered.join(', ')}`, w));
      i++;
    }
    for (const l of lines) out.push(row(cpus.map((_, k) => (k === c ? l : ''))));
    out.push(rule('-'));
  }
  if (trace.cycleStart !== undefined) {
    const again =
      trace.cycleStart >= trace.steps.length
        ? 'No step is enabled: the run stays in this state forever.'
        : `Back to the state before step ${trace.cycleStart + 1}: the cycle repeats forever.`;
    for (const piece of wrapText(again, full)) out.push(fullRow(piece));
    out.push(fullRule('-'));
  }
  // the verdict spans the table, as locking.rst's "OOPS!!!" ends its example
  const verdict = ctx.property === null ? 'No property is violated.' : `OOPS!!! ${verdictText(ctx)}`;
  for (const piece of wrapText(verdict, full)) out.push(fullRow(piece));
  out.push(fullRule('-'));
  out.push('');
  out.push(...wrapText(`Found by: ${checkCommand(trace, ctx)}`, WIDTH, 4));
  return out.join('\n');
}
