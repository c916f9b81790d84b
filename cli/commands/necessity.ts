import type { Argv } from 'yargs';
import {
  NecessityError,
  type NecessityReport,
  necessity,
  type SiteOutcome,
} from '../../checker/analysis/necessity.ts';
import { UnknownPropertyError } from '../../checker/explore/bfs.ts';
import { ParamError, parseSettings } from '../../checker/model/params.ts';
import { EXIT } from '../../checker/report/result.ts';
import type { Style } from '../../checker/trace/render-text.ts';
import { UsageError } from '../errors.ts';
import { formatOption, renderFormat } from '../format.ts';
import { header, statsLine } from '../report.ts';
import { findModel } from '../resolve.ts';
import { clearProgress, modelOptions, modelPositional, positiveInt } from '../shared.ts';
import { makeStyle } from '../style.ts';

interface NecessityArgs {
  model: string;
  variant?: string;
  set?: string[];
  memory: string;
  sbDepth: number;
  pairs: boolean;
  property?: string[];
  symmetry: 'on' | 'off';
  maxStates?: number;
  json: boolean;
  traces: boolean;
  format: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

function verdictText(o: SiteOutcome): string {
  switch (o.verdict) {
    case 'needed':
      return `needed: ${o.property} violated, trace of ${o.traceLength} steps`;
    case 'redundant':
      return `redundant (${fmt(o.states)} states)`;
    case 'unreached':
      return `changes behaviour: ${o.property} is no longer reached`;
    case 'incomplete':
      return `unknown: ${o.detail}`;
    default:
      return `model error: ${o.detail}`;
  }
}

function renderTable(rep: NecessityReport, style: Style): string {
  const rows = rep.sites.map((s, i) => {
    const o = rep.outcomes[i]!;
    return { cells: [s.op, s.role, s.label, s.weakened, verdictText(o)], o };
  });
  const head = ['operation', 'role', 'step label', 'weakened to', 'verdict'];
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r.cells[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((x, c) => (c === cells.length - 1 ? x : x.padEnd(w[c]!)))
      .join('  ')
      .trimEnd();
  const out = [style.bold(line(head))];
  for (const r of rows) {
    const text = line(r.cells);
    out.push(
      r.o.verdict === 'needed' ? style.red(text) : r.o.verdict === 'redundant' ? text : style.yellow(text),
    );
  }
  return out.join('\n');
}

export async function cmdNecessity(a: NecessityArgs): Promise<number> {
  const def = await findModel(a.model);
  const style = makeStyle(process.stdout);
  const tty = process.stderr.isTTY && !a.json;
  let rep: NecessityReport;
  try {
    rep = await necessity(def, {
      variant: a.variant,
      memory: a.memory,
      bufferDepth: a.sbDepth,
      params: parseSettings(a.set ?? []),
      pairs: a.pairs,
      search: {
        symmetry: a.symmetry,
        maxStates: positiveInt('max-states', a.maxStates),
        properties: a.property,
      },
      onRun: tty
        ? (what, done, total) => process.stderr.write(`\r\x1b[K  ${done}/${total}: ${what}`)
        : undefined,
    });
  } catch (e) {
    if (e instanceof ParamError || e instanceof UnknownPropertyError) throw new UsageError(e.message);
    if (e instanceof NecessityError) {
      clearProgress();
      process.stderr.write(`kvmcheck: ${e.message}\n`);
      return e.baseline.verdict === 'violated'
        ? EXIT.violated
        : e.baseline.verdict === 'incomplete'
          ? EXIT.incomplete
          : EXIT.error;
    }
    throw e;
  } finally {
    if (tty) clearProgress();
  }
  const incomplete = rep.outcomes.some((o) => o.verdict === 'incomplete');
  if (a.json) {
    process.stdout.write(
      `${JSON.stringify({
        model: rep.model.name,
        config: rep.model.config,
        baseline: { verdict: rep.baseline.verdict, states: rep.baseline.stats.states },
        operations: rep.sites.map((s, i) => {
          const o = rep.outcomes[i]!;
          return {
            operation: s.op,
            role: s.role,
            processes: s.processes,
            label: s.label,
            step: s.step,
            weakened: s.weakened,
            verdict: o.verdict,
            property: o.property,
            kind: o.kind,
            traceLength: o.traceLength,
            states: o.states,
          };
        }),
        neededTogether: rep.pairs.map((p) => ({
          operations: [p.a, p.b].map((i) => ({
            operation: rep.sites[i]!.op,
            role: rep.sites[i]!.role,
            label: rep.sites[i]!.label,
          })),
          property: p.outcome.property,
          traceLength: p.outcome.traceLength,
        })),
      })}\n`,
    );
    return incomplete ? EXIT.incomplete : EXIT.holds;
  }
  const out: string[] = [];
  out.push(`${style.bold('necessity')} of ${header(rep.model, style)}`);
  out.push(
    `baseline holds (${fmt(rep.baseline.stats.states)} states); each of its ${rep.sites.length} ordering operations weakened in turn, in every process of its role:`,
  );
  out.push('');
  out.push(renderTable(rep, style));
  if (rep.pairs.length > 0) {
    out.push('');
    out.push(style.bold('redundant alone, needed together (either one suffices):'));
    for (const p of rep.pairs) {
      const name = (i: number) => `${rep.sites[i]!.op} (${rep.sites[i]!.role} ${rep.sites[i]!.label})`;
      out.push(style.red(`  ${name(p.a)} + ${name(p.b)}: ${verdictText(p.outcome)}`));
    }
  } else if (a.pairs) {
    out.push('');
    out.push(style.dim('no two operations of one role that are redundant alone are needed together'));
  }
  if (a.traces) {
    const needed = rep.sites
      .map((s, i) => ({ s, o: rep.outcomes[i]! }))
      .filter((x) => x.o.verdict === 'needed');
    for (const { s, o } of needed) {
      const r = o.result;
      if (r.verdict !== 'violated' || !r.violation.trace) continue;
      out.push('');
      out.push(style.bold(`without ${s.op} in ${s.role} ${s.label} (${s.weakened}):`));
      out.push(
        renderFormat(a.format, r.violation.trace, {
          model: rep.model,
          property: r.violation.property,
          kind: r.violation.kind,
          description: r.violation.description,
          modelRef: a.model,
        }),
      );
    }
  }
  out.push('');
  out.push(style.dim(`baseline: ${statsLine(rep.baseline)}`));
  process.stdout.write(`${out.join('\n')}\n`);
  return incomplete ? EXIT.incomplete : EXIT.holds;
}

export function register(y: Argv, done: (code: number) => void): Argv {
  return y.command(
    'necessity <model>',
    'is each barrier needed? weaken every fence, atomic RMW and lock of a variant in turn and re-check',
    (y) =>
      y
        .positional('model', modelPositional)
        .options(modelOptions)
        .option('pairs', {
          type: 'boolean',
          default: true,
          describe: 'also weaken the operations that are redundant alone two at a time, within one role',
        })
        .option('property', {
          type: 'string',
          array: true,
          describe: 'judge only by these properties (repeatable): which operations does this one need?',
        })
        .option('symmetry', {
          choices: ['on', 'off'] as const,
          default: 'on' as const,
          describe: 'symmetry reduction where the model declares it',
        })
        .option('max-states', { type: 'number', describe: 'bound every run (verdicts may become unknown)' })
        .option('traces', {
          type: 'boolean',
          default: false,
          describe: 'print the counterexample that shows why each needed operation is needed',
        })
        .options({ format: { ...formatOption(false).format, describe: 'format of the --traces' } })
        .option('json', { type: 'boolean', default: false, describe: 'one JSON object' })
        .example(
          '$0 necessity vcpu-requests --memory tso',
          'which fences and atomics the fixed protocol needs on x86',
        )
        .example('$0 necessity vcpu-requests --memory sc', 'under sc no fence is needed; atomicity may be')
        .example(
          '$0 necessity vcpu-requests --property noLostRequest',
          'only the Dekker property: set_bit and cmpxchg each suffice, so they are needed together',
        )
        .example(
          '$0 necessity ./my-change.ts --variant my-patch --traces --format kernel-doc',
          'your variant, with the reason for each needed barrier as a locking.rst table',
        ),
    async (a) => {
      done(await cmdNecessity(a as unknown as NecessityArgs));
    },
  );
}
