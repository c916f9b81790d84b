import type { Argv } from 'yargs';
import { type DiffReport, diffModels, type SideVerdict } from '../../checker/analysis/diff.ts';
import type { Model } from '../../checker/model/model.ts';
import { EXIT } from '../../checker/report/result.ts';
import { UsageError } from '../errors.ts';
import { formatOption, renderFormat } from '../format.ts';
import { resultJson } from '../report.ts';
import { buildModel } from '../resolve.ts';
import { modelOptions, modelPositional } from '../shared.ts';
import { makeStyle } from '../style.ts';

interface DiffArgs {
  model: string;
  other?: string;
  from?: string;
  to?: string;
  set?: string[];
  memory: string;
  sbDepth: number;
  symmetry: 'on' | 'off';
  json: boolean;
  format: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

function cell(v: SideVerdict, kind: string): string {
  const r = v.result;
  switch (v.status) {
    case 'absent':
      return '(not declared)';
    case 'holds':
      return kind === 'reachable' ? 'witnessed' : kind === 'deadlock' ? 'none' : 'holds';
    case 'violated':
      if (kind === 'reachable') return 'never reached';
      if (r?.verdict === 'violated' && r.violation.trace)
        return `violated (${r.violation.trace.steps.length} steps)`;
      return 'violated';
    case 'incomplete':
      return `unknown (${r?.verdict === 'incomplete' ? r.reason : 'incomplete'})`;
    default:
      return r?.verdict === 'violated' ? `stopped by ${r.violation.property}` : 'model error';
  }
}

function side(model: Model, ref: string): string {
  return `${ref} --variant ${model.config.variant}`;
}

export async function cmdDiff(a: DiffArgs): Promise<number> {
  const common = { set: a.set, memory: a.memory, sbDepth: a.sbDepth };
  if (a.other === undefined && a.to === undefined)
    throw new UsageError(
      'name the variant to compare with --to (and optionally --from), or give a second model file',
    );
  const fromRef = a.model;
  const toRef = a.other ?? a.model;
  const from = (await buildModel({ ...common, model: fromRef, variant: a.from })).model;
  const to = (await buildModel({ ...common, model: toRef, variant: a.to })).model;
  const rep: DiffReport = await diffModels(from, to, { symmetry: a.symmetry });
  const changed = rep.properties.filter((p) => p.changed);
  if (a.json) {
    process.stdout.write(
      `${JSON.stringify({
        from: { model: fromRef, variant: from.config.variant, states: rep.states.from },
        to: { model: toRef, variant: to.config.variant, states: rep.states.to },
        memory: from.config.memory,
        params: from.config.params,
        properties: rep.properties.map((p) => ({
          name: p.name,
          kind: p.kind,
          from: p.from.status,
          to: p.to.status,
          changed: p.changed,
        })),
        regressions: rep.regressions.map((p) => ({
          property: p.name,
          result: p.to.result ? resultJson(p.to.result) : null,
        })),
        fixes: rep.fixes.map((p) => p.name),
      })}\n`,
    );
    return rep.regressions.length > 0 ? EXIT.violated : EXIT.holds;
  }
  const style = makeStyle(process.stdout);
  const a1 = side(from, fromRef);
  const b1 = side(to, toRef);
  const rows = rep.properties.map((p) => [
    p.name,
    cell(p.from, p.kind),
    cell(p.to, p.kind),
    p.changed ? 'changed' : '',
  ]);
  const sf = rep.states.from;
  const st = rep.states.to;
  const delta = sf !== null && st !== null ? ` (${st - sf >= 0 ? '+' : ''}${fmt(st - sf)})` : '';
  rows.push([
    'reachable states',
    sf === null ? 'unknown' : fmt(sf),
    st === null ? 'unknown' : `${fmt(st)}${delta}`,
    '',
  ]);
  const head = ['property', `before (${from.config.variant})`, `after (${to.config.variant})`, ''];
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((x, c) => x.padEnd(w[c]!))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  out.push(`${style.bold('diff')} ${a1} -> ${b1}, memory ${from.config.memory}`);
  out.push('');
  out.push(style.bold(line(head)));
  for (const r of rows) out.push(r[3] ? style.yellow(line(r)) : line(r));
  for (const p of rep.regressions) {
    const r = p.to.result;
    if (r?.verdict !== 'violated' || !r.violation.trace) continue;
    out.push('');
    out.push(style.red(style.bold(`new counterexample: ${p.kind} ${p.name} (${b1})`)));
    out.push(
      renderFormat(a.format, r.violation.trace, {
        model: to,
        property: r.violation.property,
        kind: r.violation.kind,
        description: r.violation.description,
        modelRef: toRef,
      }),
    );
  }
  out.push('');
  out.push(
    changed.length === 0
      ? style.green('no property changes its verdict')
      : `${changed.length} propert${changed.length === 1 ? 'y changes' : 'ies change'} verdict: ` +
          `${rep.regressions.length} newly violated, ${rep.fixes.length} newly holding`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return rep.regressions.length > 0 ? EXIT.violated : EXIT.holds;
}

export function register(y: Argv, done: (code: number) => void): Argv {
  return y.command(
    'diff <model> [other]',
    'what a change does: compare two variants (or two model files) property by property',
    (y) =>
      y
        .positional('model', modelPositional)
        .positional('other', {
          type: 'string',
          describe: 'a second model file to compare with (then --to is its variant)',
        })
        .option('from', {
          type: 'string',
          describe: 'the variant before the change (default: the first, fixed)',
        })
        .option('to', { type: 'string', describe: 'the variant after the change' })
        .options({ set: modelOptions.set, memory: modelOptions.memory, 'sb-depth': modelOptions['sb-depth'] })
        .option('symmetry', {
          choices: ['on', 'off'] as const,
          default: 'on' as const,
          describe: 'symmetry reduction where the model declares it',
        })
        .options({ format: { ...formatOption(false).format, describe: 'format of the new counterexamples' } })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object' })
        .example(
          '$0 diff vcpu-requests --from fixed --to no-mb-vcpu',
          'exit 1: the change breaks noLostRequest',
        )
        .example('$0 diff ./before.ts ./after.ts --memory tso', 'two model files, their first variants')
        .example(
          '$0 diff ./my-change.ts --to my-patch --format kernel-doc',
          'your patched variant against the fixed one, new counterexamples as locking.rst tables',
        ),
    async (a) => {
      done(await cmdDiff(a as unknown as DiffArgs));
    },
  );
}
