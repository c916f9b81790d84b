import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { instantiate, type ModelDefinition } from '../checker/model/define.ts';
import type { Model } from '../checker/model/model.ts';
import { ParamError, parseSettings } from '../checker/model/params.ts';
import { isModelDefinition, loadCatalog } from '../models/index.ts';
import { UsageError } from './errors.ts';

/** A model named on the command line: a shipped model's name, or a path to a model file. */
export async function findModel(name: string): Promise<ModelDefinition> {
  if (/[/\\]/.test(name) || /\.(ts|js|mts|mjs)$/.test(name)) {
    const path = resolvePath(name);
    if (!existsSync(path)) throw new UsageError(`model file '${name}' does not exist`);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    } catch (e) {
      throw new UsageError(`cannot load model file '${name}': ${(e as Error).message.split('\n')[0]}`);
    }
    if (!isModelDefinition(mod.default)) {
      throw new UsageError(`model file '${name}' has no default export made with defineModel()`);
    }
    return mod.default;
  }
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
    return { def, model };
  } catch (e) {
    if (e instanceof ParamError) throw new UsageError(e.message);
    throw e;
  }
}

/** The command line that rebuilds this model configuration (for replay lines). */
export function configArgs(model: Model): string {
  const c = model.config;
  const params = Object.entries(c.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [
    model.name,
    `--variant ${c.variant}`,
    `--memory ${c.memory}`,
    params ? `--set ${params}` : '',
    c.bufferDepth !== 2 ? `--sb-depth ${c.bufferDepth}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
