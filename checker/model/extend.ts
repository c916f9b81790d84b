import { roleOf } from '../analysis/steps.ts';
import type {
  Effect,
  Guard,
  InterruptHandler,
  ModelBuilder,
  ProcessBuilder,
  StepOptions,
} from './builder.ts';
import { ModelDefinitionError } from './compile.ts';
import { defineModel, type ModelDefinition } from './define.ts';
import type { ParamSpec, Params } from './params.ts';

/**
 * Patched variants of a model, without copying it: `extendModel(base, {...})` builds a base
 * variant, then edits its processes by step label, the way a patch edits a function: replace the
 * steps at a label, remove a label (whatever jumped to it goes on to the label after it), insert
 * a new label before or after one. Effects of new steps use the same Context and kernel
 * functions as any model; `ref` and `label` find the base model's variables and labels by name.
 *
 * ```ts
 * export default extendModel(vcpuRequests, {
 *   name: 'my-change',
 *   variants: {
 *     'wmb-after-mode': {
 *       description: 'smp_wmb() instead of smp_mb() after setting IN_GUEST_MODE',
 *       patch(m) {
 *         for (const v of m.role('vcpu')) v.replace('smp_mb', 'smp_wmb()', (c) => smp_wmb(c));
 *       },
 *     },
 *   },
 * });
 * ```
 */

export interface PatchConfig {
  readonly params: Params;
  /** The patched variant being built. */
  readonly variant: string;
}

export interface PatchedVariant {
  /** What the patch changes (shown by `kvmcheck list`). */
  readonly description: string;
  /** The variant the patch applies to: the base model's or an earlier patched one (default: the first, fixed). */
  readonly from?: string;
  readonly patch: (m: ModelPatch, config: PatchConfig) => void;
}

export interface ExtendOptions {
  /** Name of the new model (default: the base's name). */
  readonly name?: string;
  readonly title?: string;
  readonly source?: string;
  /** Extra parameters, or new defaults for the base's (same name). */
  readonly params?: Readonly<Record<string, ParamSpec>>;
  readonly variants: Readonly<Record<string, PatchedVariant>>;
  /** Keep the base's variants next to the new ones, for `diff` (default true). */
  readonly keepBaseVariants?: boolean;
}

/** Options of a step added by a patch. */
export interface PatchStepOptions extends StepOptions {
  /** replace: which of several steps at the label to replace, by its name (default: all of them). */
  readonly step?: string;
}

export function extendModel(base: ModelDefinition, ext: ExtendOptions): ModelDefinition {
  const name = ext.name ?? base.name;
  const fail = (msg: string) => {
    throw new ModelDefinitionError(`extendModel(${name}): ${msg}`);
  };
  const baseVariants = Object.keys(base.variants);
  const keep = ext.keepBaseVariants ?? true;
  const all = [...(keep ? baseVariants : []), ...Object.keys(ext.variants)];
  for (const v of Object.keys(ext.variants)) {
    if (keep && v in base.variants)
      fail(`variant '${v}' is already a variant of ${base.name}; pick another name`);
    const pv = ext.variants[v]!;
    if (typeof pv.patch !== 'function') fail(`variant '${v}' has no patch(m) function`);
    // follow `from` to a base variant, refusing cycles and unknown names
    const seen = new Set([v]);
    let from = pv.from ?? baseVariants[0]!;
    while (from in ext.variants) {
      if (seen.has(from)) fail(`variant '${v}' is patched from itself (through '${from}')`);
      seen.add(from);
      from = ext.variants[from]!.from ?? baseVariants[0]!;
    }
    if (!(from in base.variants))
      fail(
        `variant '${v}' is patched from '${from}', which is not a variant; variants: ${[...baseVariants, ...Object.keys(ext.variants)].join(', ')}`,
      );
  }
  const def: ModelDefinition = defineModel({
    name,
    title: ext.title ?? `${base.title} (patched)`,
    source: ext.source ?? base.source,
    params: { ...base.params, ...ext.params },
    variants: Object.fromEntries(all.map((v) => [v, ext.variants[v]?.description ?? base.variants[v]!])),
    build(b, config) {
      const pv = ext.variants[config.variant];
      if (!pv) return base.build(b, config);
      def.build(b, { params: config.params, variant: pv.from ?? baseVariants[0]! });
      // number `done` before any label the patch adds, in every process alike: symmetric processes
      // must number their labels the same (the base may have created `done` in some of them only)
      for (const p of b.processes) void p.done;
      pv.patch(new ModelPatch(b, name), { params: config.params, variant: config.variant });
    },
  });
  return def;
}

/** The built base model, open for edits. */
export class ModelPatch {
  constructor(
    /** The builder itself: declare new variables, invariants and reachable properties here. */
    readonly builder: ModelBuilder,
    private readonly model: string,
  ) {}

  /** The process named `name` (exactly). */
  process(name: string): ProcessPatch {
    const p = this.builder.processes.find((x) => x.name === name);
    if (!p) throw this.error(`no process '${name}'`);
    return new ProcessPatch(p, this.builder, this.model, this.nthOf(p));
  }

  /**
   * The processes running one role's code: its symmetry class (`vcpu`), or its name without the
   * number (`requester` for requester0, requester1).
   */
  role(name: string): ProcessPatch[] {
    const ps = this.builder.processes.filter((p) => roleOf(p.name, p.symmetryClass) === name);
    if (ps.length === 0) {
      const roles = [...new Set(this.builder.processes.map((p) => roleOf(p.name, p.symmetryClass)))];
      throw new ModelDefinitionError(
        `${this.model}: no process has role '${name}'; roles: ${roles.join(', ')}`,
      );
    }
    return ps.map((p) => new ProcessPatch(p, this.builder, this.model, this.nthOf(p)));
  }

  /** The slot of a shared or ghost variable, e.g. `ref('vcpu->mode[0]')`. */
  ref(name: string): number {
    return slotRef(this.builder, this.model, name);
  }

  private nthOf(p: ProcessBuilder): number {
    const role = roleOf(p.name, p.symmetryClass);
    return this.builder.processes.filter((x) => roleOf(x.name, x.symmetryClass) === role).indexOf(p);
  }

  private error(msg: string): ModelDefinitionError {
    return new ModelDefinitionError(
      `${this.model}: ${msg}; processes: ${this.builder.processes.map((p) => p.name).join(', ')}`,
    );
  }
}

function slotRef(b: ModelBuilder, model: string, name: string): number {
  const slots = b.layout.build().slots;
  const s = slots.find((x) => x.name === name);
  if (!s) {
    const names = slots.filter((x) => x.kind === 'shared' || x.kind === 'ghost').map((x) => x.name);
    throw new ModelDefinitionError(`${model}: no variable '${name}'; variables: ${names.join(', ')}`);
  }
  return s.index;
}

type Rewrite = (r: number | undefined | void) => number | undefined | void;

/** One process of the built model, edited by label. */
export class ProcessPatch {
  constructor(
    /** The process builder itself (labels, locals, `at`). */
    readonly builder: ProcessBuilder,
    private readonly model: ModelBuilder,
    private readonly modelName: string,
    /** Position of this process among those of its role: 1 for vcpu1. */
    readonly nth: number,
  ) {}

  get name(): string {
    return this.builder.name;
  }

  /** An existing label's number, for effects that jump to it. */
  label(name: string): number {
    const id = this.builder.labels.indexOf(name);
    if (id < 0 || this.builder.removedLabels.has(id)) throw this.noLabel(name);
    return id;
  }

  /** This process's local variable `name`, e.g. `local('in_guest')`. */
  local(name: string): number {
    return slotRef(this.model, this.modelName, `${this.builder.name}.${name}`);
  }

  /** The slot of a shared or ghost variable. */
  ref(name: string): number {
    return slotRef(this.model, this.modelName, name);
  }

  /** The labels that have steps, in declared order. */
  get labels(): string[] {
    return this.builder.definedLabels.map((l) => this.builder.labels[l]!);
  }

  /** Replaces the steps at `label` (or the one named `options.step`) with one new step there. */
  replace(label: string, name: string, effect: Effect, options: PatchStepOptions = {}): this {
    const id = this.defined(label);
    const p = this.builder;
    const at = p.steps.filter(
      (s) => s.label === id && (options.step === undefined || s.name === options.step),
    );
    if (at.length === 0)
      throw new ModelDefinitionError(
        `${this.modelName}: process ${p.name} has no step '${options.step}' at label '${label}'; steps there: ${p.steps
          .filter((s) => s.label === id)
          .map((s) => `'${s.name}'`)
          .join(', ')}`,
      );
    const first = p.steps.indexOf(at[0]!);
    for (const s of at) p.steps.splice(p.steps.indexOf(s), 1);
    p.steps.splice(first, 0, spec(id, name, effect, options));
    return this;
  }

  /** Adds another step at an existing label: a nondeterministic choice with the ones there. */
  add(label: string, name: string, effect: Effect, options: StepOptions = {}): this {
    const id = this.defined(label);
    this.builder.steps.push(spec(id, name, effect, options));
    return this;
  }

  /** Removes the steps at `label`; whatever went to it goes on to the label after it. */
  remove(label: string): this {
    const id = this.defined(label);
    const p = this.builder;
    const next = p.nextLabel(id);
    p.removeLabel(id);
    this.rewrite(
      p.steps.map((_, i) => i),
      (r) => (r === id ? next : r),
      true,
    );
    return this;
  }

  /** Removes one of several steps at `label`, by its name. */
  removeStep(label: string, name: string): this {
    const id = this.defined(label);
    const p = this.builder;
    const i = p.steps.findIndex((s) => s.label === id && s.name === name);
    if (i < 0)
      throw new ModelDefinitionError(
        `${this.modelName}: process ${p.name} has no step '${name}' at label '${label}'`,
      );
    if (p.steps.filter((s) => s.label === id).length === 1)
      throw new ModelDefinitionError(
        `${this.modelName}: '${name}' is the only step at ${p.name}:${label}; use remove('${label}')`,
      );
    p.steps.splice(i, 1);
    return this;
  }

  /** A new label `newLabel` with one step, run just before `label`: whatever went to `label` runs it first. */
  insertBefore(
    label: string,
    newLabel: string,
    name: string,
    effect: Effect,
    options: StepOptions = {},
  ): this {
    const id = this.defined(label);
    const n = this.fresh(newLabel);
    const p = this.builder;
    this.rewrite(
      p.steps.map((_, i) => i),
      (r) => (r === id ? n : r),
      true,
    );
    p.steps.push(spec(n, name, effect, options));
    p.moveLabel(n, id);
    return this;
  }

  /** A new label `newLabel` with one step, run when a step at `label` goes on to the label after it. */
  insertAfter(
    label: string,
    newLabel: string,
    name: string,
    effect: Effect,
    options: StepOptions = {},
  ): this {
    const id = this.defined(label);
    const p = this.builder;
    const next = p.nextLabel(id);
    const n = this.fresh(newLabel);
    const mine = p.steps.map((s, i) => (s.label === id ? i : -1)).filter((i) => i >= 0);
    this.rewrite(mine, (r) => (r === next ? n : r), false);
    p.steps.push(spec(n, name, effect, options));
    const after = p.definedLabels[p.definedLabels.indexOf(id) + 1];
    p.moveLabel(n, after ?? -1);
    return this;
  }

  private defined(label: string): number {
    const id = this.builder.labels.indexOf(label);
    if (id < 0 || !this.builder.definedLabels.includes(id)) throw this.noLabel(label);
    return id;
  }

  private fresh(label: string): number {
    if (this.builder.labels.includes(label))
      throw new ModelDefinitionError(
        `${this.modelName}: process ${this.builder.name} already has a label '${label}'; pick a new one`,
      );
    return this.builder.label(label);
  }

  private noLabel(label: string): ModelDefinitionError {
    return new ModelDefinitionError(
      `${this.modelName}: process ${this.builder.name} has no step at label '${label}'; labels: ${this.labels.join(', ')}`,
    );
  }

  /** Maps the labels returned by the given steps (and, if asked, the interrupt handler). */
  private rewrite(indices: number[], f: Rewrite, handler: boolean): void {
    const p = this.builder;
    for (const i of indices) {
      const st = p.steps[i]!;
      const effect = st.effect;
      p.steps[i] = { ...st, effect: (c) => f(effect(c)) };
    }
    if (handler && p.interrupt) {
      const h: InterruptHandler | undefined = p.interrupt.handler;
      if (h) p.interrupt = { ...p.interrupt, handler: (c, at) => f(h(c, at)) };
    }
  }
}

function spec(label: number, name: string, effect: Effect, options: StepOptions) {
  const guard: Guard | undefined = options.guard;
  return { label, name, guard, effect };
}
