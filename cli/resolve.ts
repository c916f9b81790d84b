import { existsSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { instantiate, type ModelDefinition, registerModelModule } from '../checker/model/define.ts';
import type { Model } from '../checker/model/model.ts';
import { ParamError, parseSettings } from '../checker/model/params.ts';
import { runOptions } from '../checker/trace/render-common.ts';
import { isModelDefinition, loadCatalog } from '../models/index.ts';
import { UsageError } from './errors.ts';

/** True when the command line names a model file (a path, or a .ts/.js name) rather than a shipped model. */
export function isModelPath(name: string): boolean {
  return /[/\\]/.test(name) || /\.(ts|js|mts|mjs)$/.test(name);
}

/** The `modelFile` of a saved trace, so that `replay` finds a model that is not shipped. */
export function modelFileField(name: string): { modelFile?: string } {
  return isModelPath(name) ? { modelFile: resolvePath(name) } : {};
}

/** Models loaded from files, with the path they were named by (for the printed replay lines). */
const fileRefs = new WeakMap<Model, string>();

/**
 * Loads a model file written against the public API (TypeScript through tsx, no build step): its
 * default export, or else its one exported model definition.
 */
export async function loadModelFile(name: string): Promise<ModelDefinition> {
  const path = resolvePath(name);
  if (!existsSync(path)) throw new UsageError(`model file '${name}' does not exist`);
  if (!statSync(path).isFile()) throw new UsageError(`model file '${name}' is not a file`);
  let mod: Record<string, unknown>;
  const url = pathToFileURL(path).href;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    const hint = /Cannot find (package|module) 'kvmcheck/.test(msg)
      ? " (a model file outside this package imports 'kvmcheck' from a project that has it: npm install --save-dev kvmcheck)"
      : /require\(\) ES Module|ERR_REQUIRE/.test(msg)
        ? ' (a model file is an ES module: set "type": "module" in its package.json, or name it .mts)'
        : '';
    throw new UsageError(`cannot load model file '${name}': ${msg}${hint}`);
  }
  // a CommonJS file's exports arrive as `default`
  const dflt = mod.default as Record<string, unknown> | undefined;
  const found = (def: ModelDefinition) => {
    registerModelModule(def, url);
    return def;
  };
  if (isModelDefinition(dflt)) return found(dflt);
  if (dflt && isModelDefinition(dflt.default)) return found(dflt.default);
  const named = Object.entries(mod).filter(([, v]) => isModelDefinition(v));
  if (named.length === 1) return found(named[0]![1] as ModelDefinition);
  if (named.length > 1)
    throw new UsageError(
      `model file '${name}' exports several models (${named.map(([k]) => k).join(', ')}); make the one to check its default export`,
    );
  throw new UsageError(
    `model file '${name}' exports no model: its default export must be made with defineModel() or extendModel()`,
  );
}

/** A model named on the command line: a shipped model's name, or a path to a model file. */
export async function findModel(name: string): Promise<ModelDefinition> {
  if (isModelPath(name)) return loadModelFile(name);
  const catalog = await loadCatalog();
  const def = catalog.get(name);
  if (!def) throw new UsageError(`unknown model '${name}'; models: ${[...catalog.keys()].join(', ')}`);
  return def;
}

export interface ModelArgs {
  readonly model: string;
  readonly variant?: string;
  readonly set?: readonly string[];
  readonly memory?: string;
  readonly sbDepth?: number;
}

export async function buildModel(a: ModelArgs): Promise<{ def: ModelDefinition; model: Model }> {
  const def = await findModel(a.model);
  try {
    const model = instantiate(def, {
      variant: a.variant,
      memory: a.memory,
      bufferDepth: a.sbDepth,
      params: parseSettings(a.set ?? []),
    });
    if (isModelPath(a.model)) fileRefs.set(model, a.model);
    return { def, model };
  } catch (e) {
    if (e instanceof ParamError) throw new UsageError(e.message);
    throw e;
  }
}

/** The command line that rebuilds this model configuration (for replay lines). */
export function configArgs(model: Model): string {
  return `${fileRefs.get(model) ?? model.name} ${runOptions(model.config)}`;
}
