import type { Model } from '../model/model.ts';
import { type RenderContext, runOptions, verdictText } from './render-common.ts';
import type { Trace } from './trace.ts';

/**
 * The explored state graph in Graphviz dot: one node per reachable state (its program counters
 * and the variables that differ from the initial state), one edge per step, the counterexample's
 * states and steps in red and states that break an invariant filled. Only for small
 * configurations: past `maxStates` it refuses rather than write a graph no one can read.
 */

export const DOT_MAX_STATES = 1000;

export class GraphTooLargeError extends Error {}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export function renderDot(
  trace: Trace | null,
  ctx: RenderContext,
  maxStates: number = DOT_MAX_STATES,
): string {
  const model: Model = ctx.model;
  const layout = model.layout;
  const init = model.initialStates()[0]!;
  const ids = new Map<string, number>();
  const states: Int32Array[] = [];
  const edges: { from: number; to: number; action: number }[] = [];
  const key = (s: Int32Array) => s.join(',');
  const add = (s: Int32Array): number => {
    const k = key(s);
    let id = ids.get(k);
    if (id === undefined) {
      if (states.length >= maxStates)
        throw new GraphTooLargeError(
          `the state graph has more than ${maxStates} states; --format dot is for small configurations ` +
            '(make the model smaller with --set, or use another --format for the trace)',
        );
      id = states.length;
      ids.set(k, id);
      states.push(s.slice());
    }
    return id;
  };
  add(init);
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    if (model.invariants.some((p) => !p.check(s))) continue; // the search stops at a violation
    const out = new Int32Array(s.length);
    model.successors(s, out, (t) => {
      if (t.error !== null) return;
      edges.push({ from: i, to: add(out), action: t.action });
    });
  }
  const redStates = new Set<number>();
  const redEdges = new Set<string>();
  if (trace) {
    const path = trace.states.map((s) => ids.get(key(s)));
    path.forEach((id, i) => {
      if (id === undefined) return;
      redStates.add(id);
      const next = path[i + 1];
      if (next !== undefined) redEdges.add(`${id}>${next}>${trace.steps[i]!.action}`);
    });
  }
  const label = (s: Int32Array, i: number): string => {
    const lines = model.processes.map((p) => `${p.name}: ${p.labels[s[p.pcSlot]!] ?? s[p.pcSlot]}`);
    for (const sl of layout.slots) {
      if (sl.kind === 'pc') continue;
      if (i === 0 ? sl.kind === 'memory' : s[sl.index] === init[sl.index]) continue;
      lines.push(`${sl.name} = ${layout.format(sl.index, s[sl.index]!)}`);
    }
    for (const p of model.processes) {
      const buf = model.pendingStores(s, p.index);
      if (buf.length > 0)
        lines.push(
          `${p.name} buffer: ${buf.map((e) => `${layout.slots[e.ref]!.name}=${layout.format(e.ref, e.value)}`).join(', ')}`,
        );
    }
    return lines.map((l) => `${esc(l)}\\l`).join('');
  };
  const out: string[] = [];
  out.push(`digraph "${esc(`${trace?.model ?? model.name}`)}" {`);
  out.push(
    `  label="${esc(`${model.name} ${trace ? runOptions(trace.config) : `--variant ${model.config.variant} --memory ${model.config.memory}`}: ${states.length} states${trace ? `; ${verdictText(ctx)}` : ''}`)}";`,
  );
  out.push('  labelloc=t; node [shape=box, fontname="monospace", fontsize=10]; edge [fontsize=9];');
  states.forEach((s, i) => {
    const attrs = [`label="${label(s, i)}"`];
    if (i === 0) attrs.push('peripheries=2');
    const bad = model.invariants.some((p) => !p.check(s));
    if (bad) attrs.push('style=filled', 'fillcolor="#f4cccc"');
    if (redStates.has(i)) attrs.push('color=red', 'penwidth=2');
    out.push(`  s${i} [${attrs.join(', ')}];`);
  });
  for (const e of edges) {
    const a = model.actions[e.action]!;
    const name = `${model.processes[a.process]!.name}: ${a.kind === 'memory' ? 'drain' : a.label}`;
    const attrs = [`label="${esc(name)}"`];
    if (redEdges.has(`${e.from}>${e.to}>${e.action}`)) attrs.push('color=red', 'fontcolor=red', 'penwidth=2');
    out.push(`  s${e.from} -> s${e.to} [${attrs.join(', ')}];`);
  }
  out.push('}');
  return out.join('\n');
}
