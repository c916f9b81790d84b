import type { Model } from '../model/model.ts';
import { type RenderContext, runOptions, verdictText } from './render-common.ts';
import type { Trace } from './trace.ts';

/**
 * The Informal Trace Format of Apalache and Quint (ADR-015): `{"#meta", "vars", "states"}`, each
 * state an object of variable values; integers as `{"#bigint": "n"}`, booleans as JSON booleans,
 * enumerations as strings, arrays (`x[0]`, `x[1]`, ...) as sequences, records as objects. The
 * program counters are the record `pc`, the store buffers the record `store_buffer` (oldest
 * entry first), and `mbt::actionTaken` names the step that led to each state, as Quint's
 * model-based-testing traces do. A lasso's cycle start is `loop`.
 */

type Itf = boolean | string | { '#bigint': string } | Itf[] | { [k: string]: Itf };

interface Var {
  readonly name: string;
  /** Slot per element (one for a scalar). */
  readonly slots: readonly number[];
  readonly array: boolean;
}

function variables(model: Model): Var[] {
  const out: Var[] = [];
  const arrays = new Map<string, number[]>();
  for (const s of model.layout.slots) {
    if (s.kind === 'memory' || s.kind === 'pc') continue;
    const m = /^(.*)\[(\d+)\]$/.exec(s.name);
    if (m) {
      const list = arrays.get(m[1]!);
      if (list && list.length === Number(m[2])) {
        list.push(s.index);
        continue;
      }
      if (!list && m[2] === '0') {
        const l = [s.index];
        arrays.set(m[1]!, l);
        out.push({ name: m[1]!, slots: l, array: true });
        continue;
      }
    }
    out.push({ name: s.name, slots: [s.index], array: false });
  }
  return out;
}

function value(model: Model, slot: number, v: number): Itf {
  const d = model.layout.slots[slot]!.domain;
  if (d.names && d.names.length === 2 && d.names[0] === 'false' && d.names[1] === 'true') return v === 1;
  const name = d.names?.[v - d.min];
  return name ?? { '#bigint': String(v) };
}

export function traceItf(trace: Trace, ctx: RenderContext): Record<string, unknown> {
  const model = ctx.model;
  const vars = variables(model);
  const states = trace.states.map((s, i) => {
    const st: Record<string, unknown> = { '#meta': { index: i } };
    for (const v of vars) {
      const vals = v.slots.map((slot) => value(model, slot, s[slot]!));
      st[v.name] = v.array ? vals : vals[0];
    }
    st.pc = Object.fromEntries(
      model.processes.map((p) => [p.name, p.labels[s[p.pcSlot]!] ?? String(s[p.pcSlot])]),
    );
    st.store_buffer = Object.fromEntries(
      model.processes.map((p) => [
        p.name,
        model.pendingStores(s, p.index).map((e) => ({
          var: model.layout.slots[e.ref]!.name,
          value: model.layout.format(e.ref, e.value),
        })),
      ]),
    );
    const step = i > 0 ? trace.steps[i - 1]! : null;
    st['mbt::actionTaken'] = step ? `${step.processName}:${step.label}` : 'init';
    return st;
  });
  return {
    '#meta': {
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: `kvmcheck ${ctx.modelRef ?? trace.model} ${runOptions(trace.config)}`,
      description: verdictText(ctx),
    },
    vars: [...vars.map((v) => v.name), 'pc', 'store_buffer', 'mbt::actionTaken'],
    ...(trace.cycleStart !== undefined ? { loop: trace.cycleStart } : {}),
    states,
  };
}

export function renderItf(trace: Trace, ctx: RenderContext): string {
  return JSON.stringify(traceItf(trace, ctx), null, 2);
}
