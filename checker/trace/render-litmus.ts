import { applyRmw, FENCE_NAMES, RmwOp } from '../memory/context.ts';
import { instrument, type OpEvent } from '../memory/instrument.ts';
import type { Model } from '../model/model.ts';
import { type RenderContext, runOptions, verdictText, wrapText } from './render-common.ts';
import type { Trace } from './trace.ts';

/**
 * A counterexample as a C litmus test for herd7 and the Linux-kernel memory model: the trace is
 * replayed with an instrumented Context that records every access to shared memory, each CPU's
 * accesses become the straight-line body of its Pn (the branches the trace took are fixed by the
 * values it read), and the `exists` clause asks for exactly the values each load saw. herd7 then
 * says whether LKMM allows this outcome (Sometimes) or forbids it (Never), independently of
 * kvmcheck's own memory models.
 *
 * Atomic bit operations have no LKMM primitive: each becomes the exchange of the value it wrote
 * (xchg, or xchg_relaxed when it is unordered), which is the same RMW given the value it read.
 */

export class LitmusError extends Error {}

/** Kernel text fit for a one-line comment in C or OCaml style. */
function comment(s: string): string {
  return s
    .replace(/\/\*|\*\/|\(\*|\*\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `vcpu->mode[0]` -> `vcpu_mode_0`: a C identifier. */
function cName(name: string): string {
  const id = name
    .replace(/->/g, '_')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return /^[A-Za-z_]/.test(id) ? id : `v_${id}`;
}

/** The memory operations of each step of `trace`, by replaying it on an instrumented context. */
export function traceOps(model: Model, trace: Trace): OpEvent[][] {
  let current: OpEvent[] = [];
  const undo = instrument(model.context, {
    onOp: (e) => {
      current.push(e);
    },
  });
  const perStep: OpEvent[][] = [];
  try {
    let cur = trace.states[0]!.slice();
    for (const [i, step] of trace.steps.entries()) {
      current = [];
      const out = new Int32Array(cur.length);
      if (!model.fire(cur, step.action, out))
        throw new LitmusError(`step ${i + 1} (${step.processName}: ${step.name}) is not enabled on replay`);
      perStep.push(step.kind === 'memory' ? [] : current);
      cur = out;
    }
  } finally {
    undo();
  }
  return perStep;
}

export function renderLitmus(trace: Trace, ctx: RenderContext): string {
  const model = ctx.model;
  const slots = model.layout.slots;
  const perStep = traceOps(model, trace);
  const names = new Map<number, string>();
  const used = new Set<string>();
  const varOf = (ref: number) => {
    let n = names.get(ref);
    if (n === undefined) {
      n = cName(slots[ref]!.name);
      while (used.has(n)) n = `${n}_`;
      used.add(n);
      names.set(ref, n);
    }
    return n;
  };
  const locks = new Set<number>();
  for (const ops of perStep) for (const e of ops) if (e.method === 'lockAcquire') locks.add(e.ref);

  interface Proc {
    readonly name: string;
    readonly body: string[];
    readonly regs: string[];
    readonly vars: Set<number>;
    readonly observed: string[];
  }
  const procs = new Map<number, Proc>();
  trace.steps.forEach((step, i) => {
    const ops = perStep[i]!;
    if (ops.length === 0) return;
    let p = procs.get(step.process);
    if (!p) {
      p = { name: step.processName, body: [], regs: [], vars: new Set(), observed: [] };
      procs.set(step.process, p);
    }
    const proc = p;
    const reg = (value: number) => {
      const r = `r${proc.regs.length}`;
      proc.regs.push(r);
      proc.observed.push(`${r}=${value}`);
      return r;
    };
    proc.body.push(`\t// step ${i + 1}: ${comment(step.name)}`);
    for (const e of ops) {
      if (e.ref >= 0) proc.vars.add(e.ref);
      const x = e.ref >= 0 ? varOf(e.ref) : '';
      switch (e.method) {
        case 'load':
        case 'loadDependent':
          proc.body.push(`\t${reg(e.result)} = READ_ONCE(*${x});`);
          break;
        case 'loadAcquire':
          proc.body.push(`\t${reg(e.result)} = smp_load_acquire(${x});`);
          break;
        case 'store':
          proc.body.push(`\tWRITE_ONCE(*${x}, ${e.arg});`);
          break;
        case 'storeRelease':
          proc.body.push(`\tsmp_store_release(${x}, ${e.arg});`);
          break;
        case 'unlockRelease':
          proc.body.push(locks.has(e.ref) ? `\tspin_unlock(${x});` : `\tsmp_store_release(${x}, 0);`);
          break;
        case 'fence':
          proc.body.push(`\t${FENCE_NAMES[e.fence] ?? 'smp_mb()'};`);
          break;
        case 'cmpxchg':
          proc.body.push(`\t${reg(e.result)} = cmpxchg(${x}, ${e.arg}, ${e.arg2});`);
          break;
        case 'xchg':
          proc.body.push(`\t${reg(e.result)} = xchg(${x}, ${e.arg});`);
          break;
        case 'lockAcquire':
          proc.body.push(e.result === 1 ? `\tspin_lock(${x});` : `\t${reg(0)} = spin_trylock(${x});`);
          break;
        case 'rmw': {
          const op = e.rmwOp as RmwOp;
          if (op === RmwOp.add) {
            proc.body.push(
              e.ordered
                ? `\t${reg(e.result + e.arg)} = atomic_add_return(${e.arg}, ${x});`
                : `\tatomic_add(${e.arg}, ${x});`,
            );
          } else {
            const v = applyRmw(op, e.result, e.arg);
            const what = op === RmwOp.or ? 'or' : op === RmwOp.andNot ? 'and-not' : 'set';
            proc.body.push(
              `\t${reg(e.result)} = ${e.ordered ? 'xchg' : 'xchg_relaxed'}(${x}, ${v}); // atomic ${what} ${e.arg}`,
            );
          }
          break;
        }
      }
    }
  });
  if (procs.size === 0)
    throw new LitmusError('the trace makes no access to shared memory: there is no litmus test to write');

  const allVars = [...names.keys()].sort((a, b) => a - b);
  const init = trace.states[0]!;
  const out: string[] = [];
  out.push(
    `C ${cName(`kvmcheck ${trace.model} ${trace.config.variant} ${trace.config.memory}`).replace(/_/g, '-')}`,
  );
  out.push('');
  out.push('(*');
  out.push(' * A counterexample exported by kvmcheck:');
  out.push(` *   kvmcheck check ${ctx.modelRef ?? trace.model} ${runOptions(trace.config)}`);
  for (const line of wrapText(comment(verdictText(ctx)), 92, 2)) out.push(` *   ${line}`);
  out.push(" * Each Pn is one CPU's accesses to shared memory in the trace, in program order; the");
  out.push(' * exists clause is what its loads saw. Steps on CPU-local state (locals, IPIs, ghosts)');
  out.push(' * have no place in a litmus test and are left out.');
  const enums = allVars.filter((r) => slots[r]!.domain.names && !locks.has(r));
  for (const r of enums) {
    const d = slots[r]!.domain;
    out.push(` * ${names.get(r)}: ${d.names!.map((n, i) => `${d.min + i} = ${n}`).join(', ')}`);
  }
  out.push(' *)');
  out.push('');
  const inits = allVars.filter((r) => !locks.has(r)).map((r) => `${names.get(r)}=${init[r]};`);
  out.push(inits.length > 0 ? `{ ${inits.join(' ')} }` : '{}');
  let n = 0;
  const exists: string[] = [];
  for (const [, p] of [...procs].sort((a, b) => a[0] - b[0])) {
    const params = [...p.vars]
      .sort((a, b) => a - b)
      .map((r) => `${locks.has(r) ? 'spinlock_t' : 'int'} *${names.get(r)}`);
    out.push('');
    out.push(`P${n}(${params.join(', ')}) // ${p.name}`);
    out.push('{');
    for (const r of p.regs) out.push(`\tint ${r};`);
    if (p.regs.length > 0) out.push('');
    out.push(...p.body);
    out.push('}');
    exists.push(...p.observed.map((o) => `${n}:${o}`));
    n++;
  }
  out.push('');
  if (exists.length === 0) {
    // nothing was loaded: the outcome is the final values of what was written
    const final = trace.states[trace.states.length - 1]!;
    for (const r of allVars) if (!locks.has(r)) exists.push(`${names.get(r)}=${final[r]}`);
  }
  out.push(`exists (${exists.join(' /\\ ')})`);
  return out.join('\n');
}
