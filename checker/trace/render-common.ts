import type { Model, RunConfig } from '../model/model.ts';
import type { Trace, TraceStep } from './trace.ts';

/**
 * What every trace format needs besides the trace: the model (names, layout), what the trace
 * shows (the property it violates, if any) and how to run it again. Renderers are pure functions
 * of these, KVM-agnostic, one module per format.
 */
export interface RenderContext {
  readonly model: Model;
  /** The property the trace violates, or null (a replay that violates nothing). */
  readonly property: string | null;
  readonly kind: string | null;
  readonly description: string | null;
  /** The model as named on the command line (a catalog name or a file path); default the model's name. */
  readonly modelRef?: string;
}

/** `--variant no-mb-vcpu --memory tso --set vcpus=2,...`: the options that rebuild the run. */
export function runOptions(c: RunConfig): string {
  const params = Object.entries(c.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [
    `--variant ${c.variant}`,
    `--memory ${c.memory}`,
    params ? `--set ${params}` : '',
    c.bufferDepth !== 2 ? `--sb-depth ${c.bufferDepth}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function checkCommand(trace: Trace, ctx: RenderContext): string {
  return `kvmcheck check ${ctx.modelRef ?? trace.model} ${runOptions(trace.config)}`;
}

/** One line: what the trace shows, e.g. `invariant noLostRequest violated: S1: ...`. */
export function verdictText(ctx: RenderContext): string {
  if (ctx.property === null) return 'the final state violates nothing';
  const what =
    ctx.kind === 'deadlock' || ctx.property === 'deadlock'
      ? 'deadlock'
      : `${ctx.kind ? `${ctx.kind} ` : ''}${ctx.property} violated`;
  return ctx.description ? `${what}: ${ctx.description}` : what;
}

/** A step as the table-like formats show it: a title and detail lines, locals without the process prefix. */
export interface StepView {
  readonly index: number;
  readonly step: TraceStep;
  readonly title: string;
  readonly reads: readonly string[];
  readonly changes: readonly string[];
  /** The store buffer after the step, when the step changed it (not shown for drains). */
  readonly buffered: readonly string[] | null;
}

export function stepViews(trace: Trace): StepView[] {
  const last = new Map<number, readonly string[]>();
  return trace.steps.map((step, index) => {
    const before = last.get(step.process) ?? [];
    last.set(step.process, step.buffered);
    const own = `${step.processName}.`;
    const changed = step.buffered.length !== before.length || step.buffered.some((b, i) => b !== before[i]);
    return {
      index,
      step,
      title: step.kind === 'memory' ? 'store buffer drains to memory' : step.name,
      reads: step.kind === 'memory' ? [] : step.reads,
      changes: step.changes.map(
        (c) => `${c.name.startsWith(own) ? c.name.slice(own.length) : c.name}: ${c.from} -> ${c.to}`,
      ),
      buffered: step.kind !== 'memory' && changed && step.buffered.length > 0 ? step.buffered : null,
    };
  });
}

/** The processes that take a step, in process order. */
export function actingProcesses(trace: Trace): { index: number; name: string }[] {
  const names = new Map(trace.steps.map((s) => [s.process, s.processName]));
  return [...names.keys()].sort((a, b) => a - b).map((index) => ({ index, name: names.get(index)! }));
}

/** Shared variables the trace reads or writes, with their initial values: `vcpu->mode[0] = OUTSIDE_GUEST_MODE`. */
export function initialShared(trace: Trace, model: Model): string[] {
  const touched = new Set<string>();
  for (const s of trace.steps) {
    for (const r of s.reads) touched.add(r.split(' = ')[0]!);
    for (const c of s.changes) touched.add(c.name);
  }
  const init = trace.states[0]!;
  return model.layout.slots
    .filter((sl) => sl.kind === 'shared' && touched.has(sl.name))
    .map((sl) => `${sl.name} = ${model.layout.format(sl.index, init[sl.index]!)}`);
}

/** Word-wraps `text` to `width`, continuation lines indented by `indent` spaces. */
export function wrapText(text: string, width: number, indent = 2): string[] {
  if (text.length <= width) return [text];
  const lead = ' '.repeat((/^\s*/.exec(text)?.[0].length ?? 0) + indent);
  const out: string[] = [];
  let rest = text;
  let first = true;
  while (rest.length > 0) {
    const room = first ? width : width - lead.length;
    if (rest.length <= room) {
      out.push(first ? rest : lead + rest);
      break;
    }
    let cut = rest.lastIndexOf(' ', room);
    if (cut <= room / 3) cut = room;
    out.push((first ? '' : lead) + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    first = false;
  }
  return out;
}
