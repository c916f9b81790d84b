import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ModelDefinition, registerModelModule } from '../checker/model/define.ts';

/**
 * The shipped models: every `models/*.ts` module (this index and `_`-prefixed helpers aside)
 * whose default export is a model definition. Discovered from the folder, so adding a model is
 * adding a file.
 */
const here = dirname(fileURLToPath(import.meta.url));

export function isModelDefinition(x: unknown): x is ModelDefinition {
  if (typeof x !== 'object' || x === null) return false;
  const d = x as Record<string, unknown>;
  return (
    typeof d.name === 'string' &&
    typeof d.build === 'function' &&
    typeof d.variants === 'object' &&
    typeof d.params === 'object'
  );
}

let cache: Promise<Map<string, ModelDefinition>> | undefined;

export function loadCatalog(): Promise<Map<string, ModelDefinition>> {
  cache ??= (async () => {
    const files = readdirSync(here)
      .filter(
        (f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_') && !f.startsWith('index.'),
      )
      .sort();
    const out = new Map<string, ModelDefinition>();
    for (const f of files) {
      const url = pathToFileURL(join(here, f)).href;
      const mod = (await import(url)) as { default?: unknown };
      if (!isModelDefinition(mod.default)) continue;
      if (out.has(mod.default.name)) throw new Error(`two model modules define '${mod.default.name}'`);
      out.set(mod.default.name, mod.default);
      registerModelModule(mod.default, url);
    }
    return out;
  })();
  return cache;
}
