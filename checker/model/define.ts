import { MEMORY_MODELS } from '../memory/index.ts';
import { ModelBuilder } from './builder.ts';
import { compile } from './compile.ts';
import type { Model, ModelSource } from './model.ts';
import { ParamError, type ParamSpec, type Params, resolveParams } from './params.ts';

/** A model module's default export: what `kvmcheck list` shows and `instantiate` builds. */
export interface ModelDefinition {
  readonly name: string;
  readonly title: string;
  /** The seed document and section the model follows. */
  readonly source: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Variant name -> what it changes; 'fixed' first. */
  readonly variants: Readonly<Record<string, string>>;
  /**
   * Parameter defaults of particular variants: the smallest configuration that shows what the
   * variant is about (PROTOCOLS.md §10). `--set` still overrides them.
   */
  readonly variantParams?: Readonly<Record<string, Readonly<Record<string, number | boolean | string>>>>;
  readonly build: (b: ModelBuilder, config: { readonly params: Params; readonly variant: string }) => void;
}

export function defineModel(def: ModelDefinition): ModelDefinition {
  if (Object.keys(def.variants).length === 0) throw new Error(`model ${def.name} declares no variant`);
  return def;
}

export interface InstanceOptions {
  readonly variant?: string;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  readonly memory?: string;
  readonly bufferDepth?: number;
  /**
   * Give every CPU a deferred-store slot (see compile.ts), so a weakened atomic can load in one
   * step and store in the next, with other CPUs running in between (`necessity` uses it).
   */
  readonly splitStores?: boolean;
}

export const DEFAULT_BUFFER_DEPTH = 2;

/** The module each definition was loaded from, so worker threads can rebuild its models. */
const definitionModules = new WeakMap<ModelDefinition, string>();

/**
 * Records that `def` is exported by the module at `moduleUrl` (a file: URL): models instantiated
 * from it then carry a `source` that worker threads rebuild them from (`explore`'s `workers`).
 * The catalog of shipped models and the CLI's model files register theirs.
 */
export function registerModelModule(def: ModelDefinition, moduleUrl: string): void {
  definitionModules.set(def, moduleUrl);
}

/** Builds the Model for one run; throws ParamError (bad input) before anything is explored. */
export function instantiate(def: ModelDefinition, options: InstanceOptions = {}): Model {
  const variant = options.variant ?? Object.keys(def.variants)[0]!;
  if (!(variant in def.variants)) {
    throw new ParamError(
      `unknown variant '${variant}' of model ${def.name}; variants: ${Object.keys(def.variants).join(', ')}`,
    );
  }
  const memoryName = options.memory ?? 'tso';
  const memory = MEMORY_MODELS.get(memoryName);
  if (!memory) {
    throw new ParamError(
      `unknown memory model '${memoryName}'; memory models: ${[...MEMORY_MODELS.keys()].join(', ')}`,
    );
  }
  const bufferDepth = options.bufferDepth ?? DEFAULT_BUFFER_DEPTH;
  if (!Number.isInteger(bufferDepth) || bufferDepth < 1 || bufferDepth > 8) {
    throw new ParamError(`bad store-buffer depth '${bufferDepth}': expected an integer in 1..8`);
  }
  const params = resolveParams(def.params, { ...def.variantParams?.[variant], ...options.params }, def.name);
  const b = new ModelBuilder();
  def.build(b, { params, variant });
  const model = compile(
    def.name,
    b,
    { variant, params, memory: memoryName, bufferDepth },
    (procs) => memory.extend(b.layout, procs, { bufferDepth }),
    options.splitStores === true,
  );
  const module = definitionModules.get(def);
  if (module === undefined) return model;
  const source: ModelSource = {
    module,
    name: def.name,
    variant,
    params,
    memory: memoryName,
    bufferDepth,
    splitStores: options.splitStores === true,
  };
  return Object.assign(model, { source });
}
