import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LitmusSyntaxError } from '../../../checker/litmus/ast.ts';
import { litmusFiles, loadLitmus } from '../../../checker/litmus/files.ts';
import { parseLitmus } from '../../../checker/litmus/parse.ts';
import { runLitmus } from '../../../checker/litmus/run.ts';
import { repoRoot } from '../../cli/run-cli.ts';

/** The kernel's tests, beside the repository (../shared/litmus); tests that need them skip without. */
const kernelDir = join(repoRoot, '..', 'shared', 'litmus', 'lkmm');
const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', 'litmus', name);

/** The error a text gets, as file:line: detail. */
function errorOf(text: string, file = 'x.litmus'): LitmusSyntaxError {
  try {
    runLitmus(parseLitmus(text, file), 'sc');
  } catch (e) {
    if (e instanceof LitmusSyntaxError) return e;
    throw e;
  }
  throw new Error('expected a syntax error');
}

describe('the C litmus parser', () => {
  it('reads the name, Result line, init block, processes, locations and condition', () => {
    const t = parseLitmus(readFileSync(fixture('MP+wmb+rmb.litmus'), 'utf8'), 'MP+wmb+rmb.litmus');
    expect(t.name).toBe('MP+wmb+rmb');
    expect(t.result).toBe('Never');
    expect(t.vars.map((v) => [v.name, v.init])).toEqual([
      ['buf', { kind: 'int', value: 0 }],
      ['p', { kind: 'addr', name: 'buf' }],
      ['flag', { kind: 'int', value: 0 }],
    ]);
    expect(t.procs.map((p) => p.params)).toEqual([
      ['buf', 'flag'],
      ['buf', 'flag'],
    ]);
    expect(t.procs[1]!.body.map((s) => s.kind)).toEqual(['decl', 'decl', 'assign', 'if']);
    expect(t.locations).toEqual([
      { kind: 'var', name: 'flag' },
      { kind: 'reg', proc: 1, reg: 'r1' },
    ]);
    expect(t.quantifier).toBe('exists');
  });

  it('tells an OCaml comment from a dereference: `(*x` is C, `(* x` a comment', () => {
    const t = parseLitmus(
      'C t\n(* Result: Sometimes *)\n{ atomic_t v = ATOMIC_INIT(1); spinlock_t l; int *z=1; p=v; 0:r1=2; }\nP0(int *x, atomic_t *v) { (void)atomic_add_unless(v, 1, 0); r0 = (int)READ_ONCE(*x); }\nexists\n(~v=2 \\/ not (0:r0=0) /\\ [x]=0) (* done *)',
      't.litmus',
    );
    expect(t.vars.map((v) => v.name)).toEqual(['v', 'l', 'z', 'p', 'x']);
    expect(t.vars.find((v) => v.name === 'l')!.lock).toBe(true);
    expect(t.regInits).toEqual([{ proc: 0, reg: 'r1', value: { kind: 'int', value: 2 } }]);
    expect(t.procs[0]!.body).toHaveLength(2);
    expect(t.condition.kind).toBe('or');
  });

  it('errors name the file, the line and the construct', () => {
    const loop = readFileSync(fixture('bad-loop.litmus'), 'utf8');
    const e = errorOf(loop, 'bad-loop.litmus');
    expect(e.file).toBe('bad-loop.litmus');
    expect(e.line).toBe(9);
    expect(e.message).toBe(
      "bad-loop.litmus:9: unsupported statement 'while': litmus tests have no loops or jumps",
    );

    expect(errorOf('C t\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1)\n}\nexists (x=1)').message).toBe(
      "x.litmus:6: expected ';' after a statement, found '}'",
    );
    expect(errorOf('C t\n{}\nP0(int *x)\n{\n\tfrobnicate(x);\n}\nexists (x=1)').message).toBe(
      "x.litmus:5: P0: unsupported primitive 'frobnicate()'",
    );
    expect(errorOf('X86 t\n{}\nP0 | P1 ;\nexists (x=1)').message).toBe(
      "x.litmus:1: not a C litmus test (architecture 'X86'; only C is supported)",
    );
    expect(errorOf('C t\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1);\n}\n').message).toBe(
      'x.litmus:7: missing final condition (exists, ~exists or forall)',
    );
    expect(errorOf('C t\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1);\n}\nexists (x=1 /\\ y=)').line).toBe(7);
    expect(errorOf('C t\n{}\nP0(int *x)\n{\n\tint r; r = READ_ONCE(*x, 2);\n}\nexists (x=1)').message).toBe(
      'x.litmus:5: P0: READ_ONCE() takes 1 argument, got 2',
    );
  });

  it.skipIf(!existsSync(kernelDir))('every kernel litmus file parses', () => {
    const files = litmusFiles([kernelDir]);
    expect(files).toHaveLength(91);
    for (const f of files) expect('test' in loadLitmus(f), f).toBe(true);
  });
});
