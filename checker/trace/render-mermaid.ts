import { actingProcesses, type RenderContext, runOptions, stepViews, verdictText } from './render-common.ts';
import type { Trace } from './trace.ts';

/**
 * A Mermaid sequence diagram: a lifeline per CPU and one for shared memory. A step that reads or
 * writes shared memory is a message to memory (with what it read coming back); a step that only
 * touches its CPU's own state is a message to itself; stores still buffered are notes on the CPU.
 */

/** Mermaid ends a message at `;` and treats `#` as an entity start: write both as entities. */
function esc(s: string): string {
  return s.replace(/#/g, '#35;').replace(/;/g, '#59;').replace(/\n/g, ' ');
}

export function renderMermaid(trace: Trace, ctx: RenderContext): string {
  const cpus = actingProcesses(trace);
  const id = new Map(cpus.map((p) => [p.index, `P${p.index}`]));
  const shared = new Set(ctx.model.layout.slots.filter((s) => s.kind === 'shared').map((s) => s.name));
  const out = ['sequenceDiagram'];
  for (const p of cpus) out.push(`    participant ${id.get(p.index)} as ${esc(p.name)}`);
  out.push('    participant M as shared memory');
  const first = id.get(cpus[0]?.index ?? 0) ?? 'M';
  out.push(`    Note over ${first},M: ${esc(`${trace.model} ${runOptions(trace.config)}`)}`);
  let inLoop = false;
  for (const v of stepViews(trace)) {
    if (trace.cycleStart === v.index) {
      out.push('    loop repeats forever');
      inLoop = true;
    }
    const me = id.get(v.step.process)!;
    const memChanges = v.changes.filter((c) => shared.has(c.split(': ')[0]!));
    const ownChanges = v.changes.filter((c) => !shared.has(c.split(': ')[0]!));
    const toMemory = v.step.kind === 'memory' || v.reads.length > 0 || memChanges.length > 0;
    out.push(`    ${me}->>${toMemory ? 'M' : me}: ${esc(`${v.index + 1}. ${v.title}`)}`);
    if (v.reads.length > 0) out.push(`    M-->>${me}: ${esc(v.reads.join(', '))}`);
    if (memChanges.length > 0) out.push(`    Note over M: ${esc(memChanges.join('<br/>'))}`);
    if (ownChanges.length > 0) out.push(`    Note right of ${me}: ${esc(ownChanges.join('<br/>'))}`);
    if (v.buffered) out.push(`    Note right of ${me}: ${esc(`buffered: ${v.buffered.join(', ')}`)}`);
  }
  if (inLoop) out.push('    end');
  out.push(`    Note over ${first},M: ${esc(`${ctx.property === null ? '' : '✗ '}${verdictText(ctx)}`)}`);
  return out.join('\n');
}
