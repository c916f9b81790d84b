import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RELAXED_EXCEPTIONS, type Report, runConformance } from '../../../checker/litmus/conformance.ts';
import { repoRoot } from '../../cli/run-cli.ts';

const dir = join(repoRoot, '..', 'shared', 'litmus');

/** Issue 5's bar, on the 91 tests of ../shared/litmus (one run of every model, shared by the tests). */
describe.skipIf(!existsSync(join(dir, 'expected.tsv')))('conformance with the kernel litmus tests', () => {
  let rep: Report;
  beforeAll(() => {
    rep = runConformance(dir);
  });

  it('sc, tso and pso match their columns on every one of the 91 tests', () => {
    expect(rep.rows).toHaveLength(91);
    for (const m of ['sc', 'tso', 'pso'] as const) {
      expect(
        rep.rows.filter((r) => !r.match[m]).map((r) => r.file),
        m,
      ).toEqual([]);
    }
  });

  it('relaxed differs from LKMM only on the documented load-buffering and non-multicopy-atomic tests', () => {
    expect(rep.unexplained).toEqual([]);
    expect(rep.staleExceptions).toEqual([]);
    const differs = rep.rows.filter((r) => !r.match.relaxed);
    expect(differs.map((r) => r.file).sort()).toEqual(Object.keys(RELAXED_EXCEPTIONS).sort());
    // never Sometimes where LKMM says Never
    for (const r of differs) expect(r.lkmm.startsWith('Sometimes'), r.file).toBe(true);
  });

  it('relaxed reaches at least 42 of the 46 Never/Sometimes kernel tests', () => {
    expect(rep.counts['relaxed/kernel Never|Sometimes']).toEqual({ match: 43, total: 46 });
    expect(rep.counts['relaxed/extra']).toEqual({ match: 33, total: 44 });
  });
});
