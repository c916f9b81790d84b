import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { instantiate } from '../../../checker/index.ts';
import { replaySteps } from '../../../checker/trace/replay.ts';
import { buildTrace } from '../../../checker/trace/trace.ts';
import { toSaved } from '../../../checker/trace/trace-file.ts';
import { programModel, programsArb } from '../../fixtures/random-programs.ts';

/**
 * Random guarded-action programs over two shared variables: each process runs a list of
 * loads, stores, fences and cmpxchgs; the invariant forbids one combination of values. Whatever
 * the search reports, its trace must replay to the state it reported.
 */
const programArb = fc.record({
  ...programsArb,
  memory: fc.constantFrom('sc', 'tso', 'pso', 'relaxed'),
});

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
