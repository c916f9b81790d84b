import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { defineModel, instantiate, intDomain } from '../../../checker/index.ts';
import { replaySteps } from '../../../checker/trace/replay.ts';
import { buildTrace } from '../../../checker/trace/trace.ts';
import { toSaved } from '../../../checker/trace/trace-file.ts';

/**
 * Random guarded-action programs over two shared variables: each process runs a list of
 * loads, stores, fences and cmpxchgs; the invariant forbids one combination of values. Whatever
 * the search reports, its trace must replay to the state it reported.
 */
type Op = { kind: 'store' | 'load' | 'mb' | 'cmpxchg'; v: number; val: number };
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('store', 'load', 'mb', 'cmpxchg'),
  v: fc.integer({ min: 0, max: 1 }),
  val: fc.integer({ min: 0, max: 2 }),
});
const programArb = fc.record({
  procs: fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  bad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  memory: fc.constantFrom('sc', 'tso', 'pso', 'relaxed'),
});

function programModel(procs: Op[][], bad: [number, number]) {
  return defineModel({
    name: 'random-program',
    title: 'generated',
    source: 'test',
    params: {},
    variants: { fixed: 'generated' },
    build(b) {
      const vars = [b.shared('a', intDomain(0, 2)), b.shared('b', intDomain(0, 2))];
      procs.forEach((ops, p) => {
        const P = b.process(`P${p}`);
        const reg = P.local('r', intDomain(0, 2));
        ops.forEach((op, i) => {
          const ref = vars[op.v]!;
          P.step(`s${i}`, `${op.kind} ${op.v} ${op.val}`, (c) => {
            if (op.kind === 'store') c.store(ref, op.val);
            else if (op.kind === 'load') c.set(reg, c.load(ref));
            else if (op.kind === 'mb') c.fence(0);
            else c.set(reg, c.cmpxchg(ref, c.get(reg), op.val));
          });
        });
      });
      b.invariant(
        'notBad',
        'a, b never equal the bad pair',
        (s) => !(s[vars[0]!] === bad[0] && s[vars[1]!] === bad[1]),
      );
    },
  });
}

describe('traces', () => {
  it('every reported counterexample replays to the reported state (property)', async () => {
    await fc.assert(
      fc.asyncProperty(programArb, async ({ procs, bad, memory }) => {
        const model = instantiate(programModel(procs, bad), { memory });
        const r = await explore(model);
        expect(['holds', 'violated']).toContain(r.verdict);
        if (r.verdict !== 'violated') return;
        const trace = r.violation.trace!;
        // replaying the action ids reaches the same states
        const again = buildTrace(
          model,
          trace.states[0]!,
          trace.steps.map((s) => s.action),
        );
        expect(again.states.map((s) => [...s])).toEqual(trace.states.map((s) => [...s]));
        // and the saved form, matched by names, reproduces the same violation at the same state
        const saved = toSaved(trace, r.violation.property, r.violation.kind);
        const out = replaySteps(model, saved.steps, r.violation.property);
        expect(out.status).toBe('reproduced');
        expect([...out.trace.states.at(-1)!]).toEqual([...trace.states.at(-1)!]);
      }),
      { numRuns: 150 },
    );
  });

  it('a replay that takes a step that is not enabled reports where it diverged', async () => {
    const model = instantiate(programModel([[{ kind: 'store', v: 0, val: 1 }]], [1, 0]), { memory: 'sc' });
    const out = replaySteps(
      model,
      [
        { process: 'P0', label: 's0', action: 'store 0 1', changes: {} },
        { process: 'P0', label: 's0', action: 'store 0 1', changes: {} },
      ],
      null,
    );
    expect(out.status).toBe('diverged');
    if (out.status === 'diverged') expect(out.step).toBe(2);
  });
});
