import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { defineModel, int, intDomain } from '../../../checker/index.ts';
import { instantiate } from '../../../checker/model/define.ts';
import { replaySteps } from '../../../checker/trace/replay.ts';
import { toSaved } from '../../../checker/trace/trace-file.ts';
import '../../../checker/vitest.ts';

/**
 * Workers that each count a local to n, then publish to a shared slot; the last one in checks
 * the total. Local steps commute with everything the others do, so ample sets cut the product
 * of the counters down to about a line per worker.
 */
const workers = defineModel({
  name: 'workers',
  title: 'independent local work, then a shared step',
  source: 'test fixture',
  params: { k: int(2, 4, 3), n: int(1, 20, 6) },
  variants: {
    fixed: 'every worker publishes its count',
    'lost-update': 'the publish is a load and a store: two workers can overwrite each other',
    stuck: 'worker 0 waits for a flag nobody sets',
  },
  build(b, { params, variant }) {
    const k = params.k as number;
    const n = params.n as number;
    const total = b.shared('total', intDomain(0, k * n));
    const finished = b.shared('finished', intDomain(0, k));
    const flag = b.shared('flag', intDomain(0, 1));
    for (let i = 0; i < k; i++) {
      const P = b.process(`w${i}`);
      const x = P.local('x', intDomain(0, n));
      const seen = P.local('seen', intDomain(0, k * n));
      P.step('work', 'x++', (c) => {
        const v = c.get(x) + 1;
        c.set(x, v);
        return v < n ? P.label('work') : undefined;
      });
      if (variant === 'stuck' && i === 0)
        P.step('wait', 'wait for flag', (c) => void c.await(c.load(flag) === 1));
      if (variant === 'lost-update') {
        P.step('read', 'seen = total', (c) => c.set(seen, c.load(total)));
        P.step('publish', 'total = seen + x', (c) => {
          c.store(total, c.get(seen) + c.get(x));
          c.store(finished, c.load(finished) + 1);
        });
      } else {
        P.step('publish', 'total += x', (c) => {
          c.store(total, c.load(total) + c.get(x));
          c.store(finished, c.load(finished) + 1);
        });
      }
    }
    b.invariant(
      'totalRight',
      'when all are done the total is k*n',
      (s) => s[finished] !== k || s[total] === k * n,
    );
  },
});

const opts = { symmetry: 'off' as const, porWarmupStates: 0 };

describe('partial-order reduction', () => {
  it('explores far fewer states for independent local steps, and the verdict holds', async () => {
    const full = await explore(instantiate(workers, { memory: 'sc' }), { ...opts, por: 'off' });
    const reduced = await explore(instantiate(workers, { memory: 'sc' }), { ...opts, por: 'on' });
    expect(full).toHold();
    expect(reduced).toHold();
    expect(full.stats.states).toBeGreaterThan(7 ** 3);
    expect(reduced.stats.states).toBeLessThan(full.stats.states / 4);
    expect(reduced.reductions?.join()).toMatch(
      /partial-order reduction: \d+ of \d+ states expanded by an ample set/,
    );
  });

  it('keeps an invariant violation, with a trace that replays', async () => {
    for (const memory of ['sc', 'tso']) {
      const model = instantiate(workers, { memory, variant: 'lost-update' });
      const r = await explore(model, { ...opts, por: 'on' });
      expect(r).toBeViolated('totalRight');
      if (r.verdict !== 'violated') return;
      const saved = toSaved(r.violation.trace!, 'totalRight', 'invariant');
      expect(
        replaySteps(instantiate(workers, { memory, variant: 'lost-update' }), saved.steps, 'totalRight')
          .status,
      ).toBe('reproduced');
    }
  });

  it('keeps a deadlock', async () => {
    const r = await explore(instantiate(workers, { memory: 'tso', variant: 'stuck' }), {
      ...opts,
      por: 'on',
    });
    expect(r).toBeViolated('deadlock', { kind: 'deadlock' });
  });

  it('does not reduce a search smaller than its warm-up, and says so', async () => {
    const r = await explore(instantiate(workers, { memory: 'sc' }), { symmetry: 'off', por: 'on' });
    expect(r.reductions?.join()).toMatch(/not needed: the search ended within the 10,000 states/);
  });
});
