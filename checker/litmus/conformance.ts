import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLitmus } from './files.ts';
import { type LitmusOutcome, runLitmus } from './run.ts';

/**
 * Conformance of the memory models against outcomes nobody on this team wrote: the 47 kernel
 * litmus tests and 44 herdtools7 extras of ../shared/litmus, with expected.tsv's columns (LKMM
 * from the files' Result: lines and herd7's output; sc/tso/pso derived in NOTES.md §2).
 */

export const MODELS = ['sc', 'tso', 'pso', 'relaxed'] as const;
export type ModelName = (typeof MODELS)[number];

/**
 * The tests where `relaxed` says Never but LKMM says Sometimes, each with what `relaxed` cannot
 * express (README "The relaxed memory model"). Anything else that differs is a bug.
 */
export const RELAXED_EXCEPTIONS: Readonly<Record<string, string>> = {
  'LB+poonceonces.litmus': 'load buffering: each load reads a store po-after the other CPU’s load',
  'C-LB+o-o+o-o.litmus': 'load buffering',
  'Z6.0+pooncelock+pooncelock+pombonce.litmus':
    'non-multicopy-atomic: unlock+lock is not A-cumulative for a CPU outside the lock (Power)',
  'Z6.0+pooncerelease+poacquirerelease+fencembonceonce.litmus':
    'non-multicopy-atomic: a release-acquire chain with two non-rf links (co, fr) (Power)',
  'C-2+2W+o-wmb-o+o-wmb-o.litmus': 'non-multicopy-atomic: smp_wmb does not order coherence (Power lwsync)',
  'C-R+o-wmb-o+o-mb-o.litmus': 'non-multicopy-atomic: smp_wmb store order not propagated through co (Power)',
  'C-W+RWC+o-r+a-o+o-mb-o.litmus': 'non-multicopy-atomic: release/acquire chain ending in fr (Power)',
  'C-Z6.2+o-r+a-o+o-mb-o.litmus': 'non-multicopy-atomic: release/acquire chain with a co link (Power)',
  'C-WRC+o+o-data-o+o-rmb-o.litmus':
    'non-multicopy-atomic: the middle CPU sees x before the last one does (no A-cumulativity)',
  'C-WWC+o+o-data-o+o-addr-o.litmus': 'non-multicopy-atomic: dependencies are not A-cumulative',
  'C-WWC+o-cge-o+o-cge-o+o.litmus': 'non-multicopy-atomic: control dependencies are not A-cumulative',
  'C-WWC+o-cge-o+o-cge-o+o+dstb.litmus': 'non-multicopy-atomic: control dependencies are not A-cumulative',
  'C-WWC+o-cgt-o+o-cgt-o+o.litmus': 'non-multicopy-atomic: control dependencies are not A-cumulative',
  'C-WWC+o-cgt-o+o-cgt-o+o+dstb.litmus': 'non-multicopy-atomic: control dependencies are not A-cumulative',
};

export interface Row {
  readonly file: string;
  readonly kernel: boolean;
  /** LKMM: the Result: line for the kernel tests, herd7's observation for the extras. */
  readonly lkmm: string;
  /** Derived expectation per model (sc/tso/pso), e.g. "Never (no execution passes filter)". */
  readonly expected: Readonly<Record<ModelName, string>>;
  readonly got: Readonly<Partial<Record<ModelName, LitmusOutcome | { error: string }>>>;
  readonly match: Readonly<Partial<Record<ModelName, boolean>>>;
}

export interface Report {
  readonly rows: readonly Row[];
  readonly models: readonly ModelName[];
  /** Per model: rows matching the expectation (LKMM for relaxed), out of rows run. */
  readonly counts: Readonly<Record<string, { match: number; total: number }>>;
  /** Relaxed says Never where LKMM says Sometimes, outside RELAXED_EXCEPTIONS; or Sometimes where LKMM says Never. */
  readonly unexplained: readonly string[];
  /** RELAXED_EXCEPTIONS entries that relaxed now gets right (the list is stale). */
  readonly staleExceptions: readonly string[];
}

function firstWord(s: string): string {
  return s.trim().split(/\s+/)[0] ?? '';
}

/** Does an outcome meet a column entry ("Never", "Sometimes", "DEADLOCK", "Never (no execution passes filter)")? */
export function meets(o: LitmusOutcome, want: string): boolean {
  const none = o.positive + o.negative === 0;
  if (/no execution passes/.test(want)) return none;
  const w = firstWord(want);
  if (w === 'DEADLOCK') return none || o.blocked > 0;
  return o.observation === w;
}

export function runConformance(dir: string, models: readonly ModelName[] = MODELS): Report {
  const tsv = join(dir, 'expected.tsv');
  if (!existsSync(tsv)) throw new Error(`no ${tsv}`);
  const lines = readFileSync(tsv, 'utf8').trim().split('\n').slice(1);
  const rows: Row[] = [];
  for (const line of lines) {
    const [file, set, result, herd, scd, tsod, psod] = line.split('\t') as string[];
    const kernel = !set!.startsWith('extra');
    const path = join(dir, 'lkmm', kernel ? '' : 'extra', file!);
    const lkmm = result !== '-' ? result! : herd!;
    const expected = { sc: scd!, tso: tsod!, pso: psod!, relaxed: lkmm };
    const got: Partial<Record<ModelName, LitmusOutcome | { error: string }>> = {};
    const match: Partial<Record<ModelName, boolean>> = {};
    const loaded = loadLitmus(path);
    for (const m of models) {
      if ('error' in loaded) {
        got[m] = { error: loaded.error.message };
        match[m] = false;
        continue;
      }
      try {
        const o = runLitmus(loaded.test, m);
        got[m] = o;
        match[m] = meets(o, expected[m]);
      } catch (e) {
        got[m] = { error: (e as Error).message };
        match[m] = false;
      }
    }
    rows.push({ file: file!, kernel, lkmm, expected, got, match });
  }
  const counts: Record<string, { match: number; total: number }> = {};
  const count = (key: string, rs: readonly Row[], m: ModelName) => {
    counts[key] = { match: rs.filter((r) => r.match[m]).length, total: rs.length };
  };
  for (const m of models) count(m, rows, m);
  const unexplained: string[] = [];
  const staleExceptions: string[] = [];
  if (models.includes('relaxed')) {
    const kernel = rows.filter((r) => r.kernel);
    count('relaxed/kernel', kernel, 'relaxed');
    count(
      'relaxed/kernel Never|Sometimes',
      kernel.filter((r) => r.lkmm === 'Never' || r.lkmm === 'Sometimes'),
      'relaxed',
    );
    count(
      'relaxed/extra',
      rows.filter((r) => !r.kernel),
      'relaxed',
    );
    for (const r of rows) {
      const exception = RELAXED_EXCEPTIONS[r.file];
      if (r.match.relaxed && exception) staleExceptions.push(r.file);
      if (!r.match.relaxed && !exception) unexplained.push(r.file);
    }
  }
  return { rows, models, counts, unexplained, staleExceptions };
}

/** A Markdown table with its columns padded, as the formatter (biome) lays them out. */
function markdownTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(3, ...rows.map((r) => [...r[c]!].length)));
  const line = (r: readonly string[]) =>
    `| ${r.map((x, c) => x + ' '.repeat(widths[c]! - [...x].length)).join(' | ')} |`;
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)];
}

function cell(r: Row, m: ModelName): string {
  const o = r.got[m];
  if (!o) return '';
  if ('error' in o) return 'error';
  const obs = `${o.observation} ${o.positive}/${o.positive + o.negative}`;
  return r.match[m] ? obs : `**${obs}** ✗`;
}

/** The committed report (docs/conformance.md), Markdown. */
export function renderMarkdown(rep: Report): string {
  const out: string[] = [];
  out.push('# Memory-model conformance on the kernel litmus tests');
  out.push('');
  out.push('Generated by `npm run conformance` from `../shared/litmus/` (do not edit by hand).');
  out.push('Each cell: observation and final states satisfying the condition / final states (distinct');
  out.push('register and location valuations). `sc`, `tso`, `pso` are compared with the derived columns of');
  out.push("`expected.tsv`; `relaxed` with LKMM (the file's `Result:` line, else herd7's observation).");
  out.push('');
  out.push(...summary(rep).map((l) => `- ${l}`));
  out.push('');
  const rows: string[][] = [
    ['Test', 'LKMM', ...rep.models.map((m) => (m === 'relaxed' ? 'relaxed' : `${m} (expected)`))],
  ];
  for (const set of [true, false]) {
    rows.push([
      `**${set ? 'kernel tests (47)' : 'herdtools7 extras (44)'}**`,
      '',
      ...rep.models.map(() => ''),
    ]);
    for (const r of rep.rows.filter((x) => x.kernel === set)) {
      const cells = rep.models.map((m) =>
        m === 'relaxed' ? cell(r, m) : `${cell(r, m)} (${firstWord(r.expected[m])})`,
      );
      rows.push([`\`${r.file.replace(/\.litmus$/, '')}\``, r.lkmm, ...cells]);
    }
  }
  out.push(...markdownTable(rows));
  if (rep.models.includes('relaxed')) {
    out.push('');
    out.push('## Where `relaxed` differs from LKMM');
    out.push('');
    for (const r of rep.rows.filter((x) => !x.match.relaxed)) {
      out.push(`- \`${r.file}\`: LKMM ${r.lkmm}; ${RELAXED_EXCEPTIONS[r.file] ?? 'UNEXPLAINED'}`);
    }
  }
  return `${out.join('\n')}\n`;
}

export function summary(rep: Report): string[] {
  const c = rep.counts;
  const lines: string[] = [];
  for (const m of rep.models) {
    if (m === 'relaxed') continue;
    lines.push(`${m}: ${c[m]!.match}/${c[m]!.total} match the derived ${m} column`);
  }
  if (rep.models.includes('relaxed')) {
    const k = c['relaxed/kernel']!;
    const ns = c['relaxed/kernel Never|Sometimes']!;
    const x = c['relaxed/extra']!;
    lines.push(
      `relaxed vs LKMM: kernel tests ${k.match}/${k.total} (${ns.match}/${ns.total} of those with Never/Sometimes), extras ${x.match}/${x.total}`,
    );
    lines.push(
      rep.unexplained.length === 0
        ? 'relaxed never says Sometimes where LKMM says Never, and says Never where LKMM says Sometimes only on the tests listed below (load buffering, non-multicopy-atomic propagation)'
        : `UNEXPLAINED relaxed differences: ${rep.unexplained.join(', ')}`,
    );
    if (rep.staleExceptions.length > 0)
      lines.push(`stale exceptions (now agree): ${rep.staleExceptions.join(', ')}`);
  }
  return lines;
}
