import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLitmus } from '../../../checker/litmus/parse.ts';
import { outcomeJson, renderOutcome } from '../../../checker/litmus/report.ts';
import { agrees, runLitmus } from '../../../checker/litmus/run.ts';
import { repoRoot } from '../../cli/run-cli.ts';

const kernelDir = join(repoRoot, '..', 'shared', 'litmus', 'lkmm');
const load = (path: string) => parseLitmus(readFileSync(path, 'utf8'), path);
const fixture = (name: string) => load(join(repoRoot, 'test', 'fixtures', 'litmus', name));

describe('running a litmus test', () => {
  it('lists the distinct final states and the observation, as herd7 does', () => {
    const o = runLitmus(fixture('MP+o-o.litmus'), 'relaxed');
    expect(o.states).toEqual([
      { values: '1:r0=0; 1:r1=0;', satisfies: false },
      { values: '1:r0=0; 1:r1=1;', satisfies: false },
      { values: '1:r0=1; 1:r1=0;', satisfies: true },
      { values: '1:r0=1; 1:r1=1;', satisfies: false },
    ]);
    expect([o.observation, o.positive, o.negative, o.validated]).toEqual(['Sometimes', 1, 3, true]);
    const text = renderOutcome(o, true);
    expect(text).toContain('Test MP+o-o Allowed\nStates 4\n1:r0=0; 1:r1=0;');
    expect(text).toContain('Condition exists (1:r0=1 /\\ 1:r1=0)\nObservation MP+o-o Sometimes 1 3');
    expect(text).toContain('Expected Sometimes: agrees');
    expect(outcomeJson(o)).toMatchObject({
      test: 'MP+o-o',
      observation: 'Sometimes',
      positive: 1,
      negative: 3,
    });
  });

  it('observes locations and registers the condition names, pointers by name', () => {
    const o = runLitmus(fixture('MP+wmb+rmb.litmus'), 'relaxed');
    expect(o.observation).toBe('Never');
    expect(o.states.map((s) => s.values)).toEqual([
      '1:r0=0; 1:r1=-1; [flag]=1;',
      '1:r0=1; 1:r1=1; [flag]=1;',
    ]);
    const p = runLitmus(
      parseLitmus(
        'C t\n{ int *p = &a; int a; int b; }\nP0(int **p, int *b) { WRITE_ONCE(*p, b); }\nexists (p=b)',
        't',
      ),
      'sc',
    );
    expect(p.states.map((s) => s.values)).toEqual(['[p]=b;']);
    expect(p.observation).toBe('Always');
  });

  it('a filter discards final states; with none left the observation is Never 0 0', () => {
    const t = (f: string) =>
      `C t\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nP1(int *x) { int r0; r0 = READ_ONCE(*x); }\nfilter (${f})\nexists (1:r0=1)`;
    const some = runLitmus(parseLitmus(t('x=1'), 't'), 'sc');
    expect([some.observation, some.positive, some.negative, some.filtered]).toEqual(['Sometimes', 1, 1, 0]);
    const none = runLitmus(parseLitmus(t('x=2'), 't'), 'sc');
    expect([none.observation, none.positive, none.negative, none.filtered]).toEqual(['Never', 0, 0, 2]);
    expect(agrees(none, 'DEADLOCK')).toBe(true);
    expect(agrees(some, 'DEADLOCK')).toBe(false);
  });

  it('the memory model decides: MP without barriers is Never under sc and tso, Sometimes under pso and relaxed', () => {
    const t = fixture('MP+o-o.litmus');
    expect(['sc', 'tso', 'pso', 'relaxed'].map((m) => runLitmus(t, m).observation)).toEqual([
      'Never',
      'Never',
      'Sometimes',
      'Sometimes',
    ]);
  });

  it('a grace period waits for readers that began before it, including their buffered stores', () => {
    const rcu = `C t\n{}\nP0(int *x, int *y) { rcu_read_lock(); WRITE_ONCE(*x, 1); WRITE_ONCE(*y, 1); rcu_read_unlock(); }\nP1(int *x, int *y) { int r0; int r1; r0 = READ_ONCE(*x); SYNC; r1 = READ_ONCE(*y); }\nexists (1:r0=1 /\\ 1:r1=0)`;
    for (const m of ['sc', 'tso', 'pso', 'relaxed']) {
      expect(runLitmus(parseLitmus(rcu.replace('SYNC', 'synchronize_rcu();'), 't'), m).observation, m).toBe(
        'Never',
      );
    }
    expect(runLitmus(parseLitmus(rcu.replace('SYNC', 'smp_mb();'), 't'), 'pso').observation).toBe(
      'Sometimes',
    );
  });

  it('a runtime error names the file and line', () => {
    expect(() =>
      runLitmus(
        parseLitmus('C t\n{}\nP0(int *x) {\n int r0;\n r0 = READ_ONCE(*r0);\n}\nexists (0:r0=0)', 'f.litmus'),
        'sc',
      ),
    ).toThrow(/f\.litmus:5: dereferences 0, which is not the address of a variable/);
  });
});

describe.skipIf(!existsSync(kernelDir))('the kernel tests', () => {
  const kernel = (name: string) => load(join(kernelDir, `${name}.litmus`));

  it('MP with smp_wmb/smp_rmb: Never everywhere; without the barriers: Sometimes from pso on', () => {
    for (const m of ['sc', 'tso', 'pso', 'relaxed']) {
      expect(runLitmus(kernel('MP+fencewmbonceonce+fencermbonceonce'), m).observation).toBe('Never');
    }
    const mp = kernel('MP+poonceonces');
    expect(runLitmus(mp, 'tso').observation).toBe('Never');
    const o = runLitmus(mp, 'relaxed');
    expect([o.observation, o.positive, o.negative]).toEqual(['Sometimes', 1, 3]);
  });

  it('SB is Sometimes from tso on; WRC and IRIW only under relaxed; LB under none', () => {
    expect(runLitmus(kernel('SB+poonceonces'), 'sc').observation).toBe('Never');
    expect(runLitmus(kernel('SB+poonceonces'), 'tso').observation).toBe('Sometimes');
    expect(runLitmus(kernel('WRC+poonceonces+Once'), 'pso').observation).toBe('Never');
    expect(runLitmus(kernel('WRC+poonceonces+Once'), 'relaxed').observation).toBe('Sometimes');
    expect(runLitmus(kernel('IRIW+poonceonces+OnceOnce'), 'relaxed').observation).toBe('Sometimes');
    expect(runLitmus(kernel('LB+poonceonces'), 'relaxed').observation).toBe('Never');
  });

  it('RM-broken: no execution passes the filter, which is what its Result: DEADLOCK means', () => {
    const o = runLitmus(kernel('RM-broken'), 'relaxed');
    expect([o.observation, o.positive, o.negative]).toEqual(['Never', 0, 0]);
    expect(agrees(o, o.result)).toBe(true);
  });

  it('dependencies, RCU and cmpxchg failures under relaxed', () => {
    expect(runLitmus(kernel('MP+onceassign+derefonce'), 'relaxed').observation).toBe('Never');
    expect(runLitmus(kernel('RCU+sync+free'), 'relaxed').observation).toBe('Never');
    expect(runLitmus(kernel('cmpxchg-fail-unordered-2'), 'relaxed').observation).toBe('Sometimes');
    expect(runLitmus(kernel('cmpxchg-fail-ordered-2'), 'relaxed').observation).toBe('Never');
  });
});
