import type { Argv } from 'yargs';
import { MEMORY_MODELS } from '../../checker/memory/index.ts';
import { describeParam } from '../../checker/model/params.ts';
import { loadCatalog } from '../../models/index.ts';
import { makeStyle } from '../style.ts';

export async function cmdList(json: boolean): Promise<number> {
  const catalog = await loadCatalog();
  if (json) {
    const arr = [...catalog.values()].map((d) => ({
      name: d.name,
      title: d.title,
      source: d.source,
      variants: d.variants,
      variantParams: d.variantParams ?? {},
      params: d.params,
    }));
    process.stdout.write(`${JSON.stringify(arr, null, 2)}\n`);
    return 0;
  }
  const style = makeStyle(process.stdout);
  const out: string[] = [];
  for (const d of catalog.values()) {
    out.push(`${style.bold(d.name)}  ${d.title}`);
    out.push(style.dim(`  source: ${d.source}`));
    out.push('  variants:');
    for (const [v, doc] of Object.entries(d.variants)) {
      const own = Object.entries(d.variantParams?.[v] ?? {}).map(([k, x]) => `${k}=${x}`);
      out.push(`    ${v.padEnd(26)} ${doc}${own.length ? style.dim(` [defaults ${own.join(' ')}]`) : ''}`);
    }
    out.push('  params:');
    for (const [k, p] of Object.entries(d.params))
      out.push(`    ${`${k}=${describeParam(p)}`.padEnd(26)} ${p.doc} (default ${p.default})`);
    out.push('');
  }
  out.push(
    style.dim(
      `memory models: ${[...MEMORY_MODELS.values()].map((m) => `${m.name} (${m.description})`).join('; ')}`,
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

export function register(y: Argv, done: (code: number) => void): Argv {
  return y.command(
    'list',
    'list the models, their variants and parameters',
    (y) =>
      y
        .option('json', { type: 'boolean', default: false, describe: 'machine-readable list' })
        .example('$0 list', 'show every model'),
    async (a) => {
      done(await cmdList(a.json));
    },
  );
}
