/**
 * Memory-model conformance on the kernel litmus tests (issue 5): runs the 91 tests of
 * ../shared/litmus under sc, tso, pso and relaxed, prints the table and the counts, and writes
 * docs/conformance.md. Exits 1 when sc/tso/pso disagree with their derived columns or relaxed
 * differs from LKMM outside the documented exceptions.
 *   npm run conformance                      # table + counts, writes docs/conformance.md
 *   npm run conformance -- --dir PATH        # another copy of the litmus data
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS, renderMarkdown, runConformance, summary } from '../checker/litmus/conformance.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dirArg = args.indexOf('--dir');
const dir = dirArg >= 0 ? args[dirArg + 1]! : join(root, '..', 'shared', 'litmus');

const started = performance.now();
const rep = runConformance(dir);
const w = Math.max(...rep.rows.map((r) => r.file.length)) - 6;
const head = `${'test'.padEnd(w)} ${'LKMM'.padEnd(10)} ${MODELS.map((m) => m.padEnd(16)).join(' ')}`;
const lines = [head, '-'.repeat(head.length)];
for (const r of rep.rows) {
  const cells = MODELS.map((m) => {
    const o = r.got[m];
    const text = !o
      ? ''
      : 'error' in o
        ? 'error'
        : `${o.observation} ${o.positive}/${o.positive + o.negative}`;
    return `${text}${r.match[m] ? '' : ' ✗'}`.padEnd(16);
  });
  lines.push(
    `${r.file.replace(/\.litmus$/, '').padEnd(w)} ${r.lkmm.split(' ')[0]!.padEnd(10)} ${cells.join(' ')}`,
  );
}
lines.push('', ...summary(rep), `(${((performance.now() - started) / 1000).toFixed(1)} s)`);
process.stdout.write(`${lines.join('\n')}\n`);
const out = join(root, 'docs', 'conformance.md');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, renderMarkdown(rep));
process.stdout.write(`wrote ${out}\n`);
const bad =
  rep.unexplained.length > 0 ||
  (['sc', 'tso', 'pso'] as const).some((m) => rep.counts[m]!.match !== rep.counts[m]!.total);
process.exit(bad ? 1 : 0);
