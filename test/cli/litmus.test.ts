import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, repoRoot } from './run-cli.ts';

const fixtures = join(repoRoot, 'test', 'fixtures', 'litmus');
const fx = (name: string) => join(fixtures, name);

describe('kvmcheck litmus', () => {
  it('prints the final states and the Observation line per test', async () => {
    const r = await cli('litmus', fx('MP+o-o.litmus'), '--memory', 'pso');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Test MP+o-o Allowed\nStates 4\n');
    expect(r.stdout).toContain('Observation MP+o-o Sometimes 1 3');
    expect(r.stdout).toContain('Memory pso:');
  });

  it('--json: one array, an object per test', async () => {
    const r = await cli(
      'litmus',
      fx('MP+o-o.litmus'),
      fx('MP+wmb+rmb.litmus'),
      '--memory',
      'relaxed',
      '--json',
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(
      j.map((o: { test: string; observation: string; positive: number; negative: number }) => [
        o.test,
        o.observation,
        o.positive,
        o.negative,
      ]),
    ).toEqual([
      ['MP+o-o', 'Sometimes', 1, 3],
      ['MP+wmb+rmb', 'Never', 0, 2],
    ]);
    expect(j[0].file).toBe(fx('MP+o-o.litmus'));
    expect(j[0].states).toHaveLength(4);
  });

  it('--expect exits 1 when an observation differs from the Result: line', async () => {
    const ok = await cli(
      'litmus',
      fx('MP+o-o.litmus'),
      fx('MP+wmb+rmb.litmus'),
      '--memory',
      'relaxed',
      '--expect',
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('2 file(s), 0 mismatch(es)');
    const bad = await cli('litmus', fx('MP+o-o.litmus'), '--memory', 'tso', '--expect');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('Expected Sometimes: MISMATCH (got Never)');
  });

  it('a file that does not parse is named with its line, and the others still run', async () => {
    const r = await cli('litmus', fixtures, '--memory', 'sc');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bad-loop.litmus:9: unsupported statement 'while'");
    expect(r.stdout).toContain('Observation MP+o-o Never 0 3');
    expect(r.stdout).toContain('Observation MP+wmb+rmb Never 0 2');
  });

  it('bad input: an unknown memory model or path is one line and exit 2', async () => {
    const m = await cli('litmus', fx('MP+o-o.litmus'), '--memory', 'arm');
    expect(m.code).toBe(2);
    expect(m.stderr).toContain("unknown memory model 'arm'; memory models: sc, tso, pso, relaxed");
    const p = await cli('litmus', fx('nope.litmus'));
    expect(p.code).toBe(2);
    expect(p.stderr).toContain("no such file or directory '");
  });
});
