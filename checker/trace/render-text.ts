import type { Violation } from '../report/result.ts';
import type { Trace, TraceStep } from './trace.ts';

/**
 * Renders a trace as one column per process, like the interleaving tables in locking.rst:
 * each row is one step, written in the column of the CPU that took it, with the variables it
 * changed beneath. The renderer knows nothing of terminals: colours come in through `style`.
 */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

export const PLAIN: Style = {
  bold: (s) => s,
  dim: (s) => s,
  red: (s) => s,
  green: (s) => s,
  yellow: (s) => s,
  cyan: (s) => s,
};

const MAX_COL = 46;
const GAP = '  ';

type LineKind = 'step' | 'read' | 'change' | 'buffer';

/** The lines of one step: its kernel text, what it read, what it changed, its store buffer if that changed. */
export function stepLines(
  step: TraceStep,
  bufferBefore: readonly string[] = [],
): { text: string; kind: LineKind }[] {
  const lines: { text: string; kind: LineKind }[] = [];
  const title = step.kind === 'memory' ? 'store buffer drains to memory' : step.name;
  lines.push({ text: title, kind: 'step' });
  if (step.kind !== 'memory') for (const r of step.reads) lines.push({ text: `  reads ${r}`, kind: 'read' });
  for (const c of step.changes) lines.push({ text: `  ${c.name}: ${c.from} -> ${c.to}`, kind: 'change' });
  const changed =
    step.buffered.length !== bufferBefore.length || step.buffered.some((b, i) => b !== bufferBefore[i]);
  if (step.kind !== 'memory' && changed && step.buffered.length > 0) {
    lines.push({ text: `  [buffered, not yet visible: ${step.buffered.join(', ')}]`, kind: 'buffer' });
  }
  return lines;
}

/** Each step's store buffer before it ran (the same process's buffer after its previous step). */
function buffersBefore(trace: Trace): (readonly string[])[] {
  const last = new Map<number, readonly string[]>();
  return trace.steps.map((s) => {
    const before = last.get(s.process) ?? [];
    last.set(s.process, s.buffered);
    return before;
  });
}

function wrap(text: string, width: number): string[] {
  if (text.length <= width) return [text];
  const out: string[] = [];
  const indent = text.match(/^\s*/)![0] + '  ';
  let rest = text;
  let first = true;
  while (rest.length > 0) {
    const room = first ? width : width - indent.length;
    if (rest.length <= room) {
      out.push(first ? rest : indent + rest);
      break;
    }
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= room / 3) cut = room;
    out.push((first ? '' : indent) + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    first = false;
  }
  return out;
}

export function renderTraceTable(trace: Trace, style: Style = PLAIN): string {
  const acting = [...new Set(trace.steps.map((s) => s.process))].sort((a, b) => a - b);
  const names = new Map(trace.steps.map((s) => [s.process, s.processName]));
  const col = new Map(acting.map((p, i) => [p, i]));
  const before = buffersBefore(trace);
  const widths = acting.map((p) => {
    let w = names.get(p)!.length;
    trace.steps.forEach((s, i) => {
      if (s.process !== p) return;
      for (const l of stepLines(s, before[i])) w = Math.max(w, Math.min(l.text.length, MAX_COL));
    });
    return w;
  });
  const numW = String(trace.steps.length).length + 1;
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - s.length));
  const out: string[] = [];
  out.push(style.bold(pad('', numW) + GAP + acting.map((p, i) => pad(names.get(p)!, widths[i]!)).join(GAP)));
  out.push(pad('', numW) + GAP + widths.map((w) => '='.repeat(w)).join(GAP));
  trace.steps.forEach((step, i) => {
    if (trace.cycleStart === i)
      out.push(style.yellow(`${pad('', numW)}${GAP}--- cycle starts here (repeats forever) ---`));
    const c = col.get(step.process)!;
    const w = widths[c]!;
    const lead = acting.slice(0, c).reduce((n, _p, k) => n + widths[k]! + GAP.length, 0);
    const rows: string[] = [];
    for (const l of stepLines(step, before[i])) {
      for (const piece of wrap(l.text, w)) {
        const coloured =
          l.kind === 'step'
            ? step.kind === 'memory'
              ? style.dim(piece)
              : style.bold(piece)
            : l.kind === 'change'
              ? style.cyan(piece)
              : style.dim(piece);
        rows.push(coloured);
      }
    }
    rows.forEach((r, k) => {
      const num = k === 0 ? pad(`${i + 1}`, numW) : pad('', numW);
      out.push(`${num}${GAP}${' '.repeat(lead)}${r}`.trimEnd());
    });
  });
  if (trace.cycleStart !== undefined && trace.cycleStart >= trace.steps.length) {
    out.push(
      style.yellow(`${pad('', numW)}${GAP}--- no step is enabled: the run stays in this state forever ---`),
    );
  } else if (trace.cycleStart !== undefined) {
    out.push(
      style.yellow(`${pad('', numW)}${GAP}--- back to the state before step ${trace.cycleStart + 1} ---`),
    );
  }
  return out.join('\n');
}

export function renderViolation(v: Violation, style: Style = PLAIN): string {
  const what = v.kind === 'deadlock' ? 'deadlock' : `${v.kind} ${v.property} violated`;
  const lines = [style.red(style.bold(`✗ ${what}`)) + `: ${v.description}`];
  const cycle = v.trace?.cycleStart;
  if (v.trace && cycle !== undefined) {
    const n = v.trace.steps.length;
    lines.push(
      style.dim(
        cycle === n
          ? `  lasso: ${n} steps to a state where the run stops for good (fair: nothing is enabled)`
          : `  lasso: ${cycle > 0 ? `a prefix of ${cycle} steps, then ` : ''}a cycle of ${n - cycle} step${n - cycle === 1 ? '' : 's'} repeated forever` +
              (v.trace.fairness ? ` (a fair cycle under --fairness ${v.trace.fairness})` : ''),
      ),
    );
  } else if (v.trace) {
    const last = v.trace.states[v.trace.states.length - 1];
    if (last && v.trace.steps.length > 0) {
      lines.push(
        style.dim(`  after step ${v.trace.steps.length}; trace of ${v.trace.steps.length} steps (shortest)`),
      );
    }
  }
  return lines.join('\n');
}
