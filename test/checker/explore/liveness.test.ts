import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { type FairnessSpec, fairnessUnits, parseFairness } from '../../../checker/explore/fairness.ts';
import { exploreGraph, GOAL, type StateGraph, TRIGGER } from '../../../checker/explore/graph.ts';
import { FairCycleSearch } from '../../../checker/explore/scc.ts';
import { instantiate, type ModelDefinition } from '../../../checker/model/define.ts';
import type { LivenessKind, Model, Transition } from '../../../checker/model/model.ts';
import type { Result } from '../../../checker/report/result.ts';
import { parseScenarioFile } from '../../../checker/report/scenario.ts';
import { ADD_NEW, ADD_SEEN, FingerprintSet } from '../../../checker/state/fingerprint-set.ts';
import { replaySteps } from '../../../checker/trace/replay.ts';
import { toSaved } from '../../../checker/trace/trace-file.ts';
import vcpuRequests from '../../../models/vcpu-requests.ts';
import { cli, repoRoot } from '../../cli/run-cli.ts';
import { clientServer, ring, spinWait, starvation } from '../../fixtures/liveness-models.ts';

const fair = (text: string): FairnessSpec => parseFairness(text);

async function check(
  def: ModelDefinition,
  property: string,
  fairness?: string,
  opts: { variant?: string; memory?: string } = {},
): Promise<Result> {
  const model = instantiate(def, { memory: opts.memory ?? 'sc', variant: opts.variant });
  return explore(model, { properties: [property], fairness: fairness ? fair(fairness) : undefined });
}

function lasso(r: Result): { steps: string[]; cycleStart: number } {
  expect(r.verdict).toBe('violated');
  if (r.verdict !== 'violated') throw new Error('not violated');
  expect(r.violation.kind).toBe('liveness');
  const t = r.violation.trace!;
  expect(t.cycleStart).toBeDefined();
  return { steps: t.steps.map((s) => `${s.processName}:${s.label}`), cycleStart: t.cycleStart! };
}

describe('liveness: fairness decides which cycles count', () => {
  it('a spin-wait livelock is a lasso without fairness and unfair under weak fairness', async () => {
    const none = await check(spinWait, 'waiterFinishes', 'none');
    expect(lasso(none)).toEqual({ steps: ['waiter:spin'], cycleStart: 0 });
    expect(none.fairness).toMatch(/^no fairness/);
    expect((await check(spinWait, 'waiterFinishes', 'weak')).verdict).toBe('holds');
    expect((await check(spinWait, 'waiterFinishes', 'strong')).verdict).toBe('holds');
    // the property's own default is weak
    const dflt = await check(spinWait, 'waiterFinishes');
    expect(dflt.verdict).toBe('holds');
    expect(dflt.fairness).toBe('weak fairness (every process, IPI delivery and store buffer)');
  });

  it('a store buffer is a fairness unit of its own: a busy setter cannot keep its store from draining', async () => {
    const opts = { variant: 'busy-setter', memory: 'tso' };
    expect((await check(spinWait, 'waiterFinishes', 'weak', opts)).verdict).toBe('holds');
    // without fairness for the setter (its buffer included) the store may stay buffered forever
    const unfair = await check(spinWait, 'waiterFinishes', 'weak,setter=none', opts);
    const l = lasso(unfair);
    expect(l.steps.slice(l.cycleStart)).not.toContain('setter:drain');
    expect(unfair.verdict === 'violated' && unfair.violation.trace!.fairness).toBe('weak,setter=none');
  });

  it('under pso each buffer entry is a unit: the flag drains although later stores keep draining', async () => {
    const opts = { variant: 'chatty-setter', memory: 'pso' };
    expect((await check(spinWait, 'waiterFinishes', 'weak', opts)).verdict).toBe('holds');
    expect((await check(spinWait, 'waiterFinishes', 'none', opts)).verdict).toBe('violated');
    // were the first entry not a unit of its own, a cycle draining only entry 2 would starve it
    const model = instantiate(spinWait, { variant: 'chatty-setter', memory: 'pso' });
    const units = fairnessUnits(model);
    expect(units.names).toContain('setter store buffer entry 1');
    const p = model.liveness![0]!;
    const run = await exploreGraph(
      model,
      {},
      { invariants: [], reachables: [], checkDeadlock: false, liveness: [p] },
      units,
    );
    const levels = Uint8Array.from(units.names, (n) => (n === 'setter store buffer entry 1' ? 0 : 1));
    const l = new FairCycleSearch(run.graph!).find(0, p.kind, levels)!;
    expect(l.cycle.map((a) => model.actions[a]!.name)).toContain(
      '(store buffer: buffered store #2 becomes visible to all CPUs)',
    );
  });

  it('starvation on a spinlock is fair under weak fairness but not under strong fairness', async () => {
    for (const property of ['victimGetsLock', 'victimProgress']) {
      const weak = await check(starvation, property, 'weak');
      expect(lasso(weak)).toEqual({ steps: ['hog:lock', 'hog:unlock'], cycleStart: 0 });
      expect((await check(starvation, property, 'strong')).verdict).toBe('holds');
      expect(lasso(await check(starvation, property, 'none')).steps).toEqual(['hog:lock', 'hog:unlock']);
    }
  });

  it('fairness is chosen per property, and the run can override it', async () => {
    expect((await check(starvation, 'victimGetsLockStrong')).verdict).toBe('holds');
    expect((await check(starvation, 'victimGetsLockStrong', 'weak')).verdict).toBe('violated');
  });

  it('process fairness is met by any step of the process: a lazy server may idle forever', async () => {
    const r = await check(clientServer, 'requestServed', 'strong', { variant: 'lazy-server' });
    expect(lasso(r)).toEqual({ steps: ['client:request', 'server:serve'], cycleStart: 1 });
    expect(r.verdict === 'violated' && r.violation.trace!.steps[1]!.name).toBe('idle');
    const always = await check(clientServer, 'idleAgain', 'strong', { variant: 'lazy-server' });
    expect(lasso(always).cycleStart).toBe(1);
  });

  it('holds without fairness when no cycle avoids the goal', async () => {
    expect((await check(clientServer, 'requestServed', 'none')).verdict).toBe('holds');
    expect((await check(clientServer, 'idleAgain', 'weak')).verdict).toBe('holds');
  });

  it('a run that ends stutters in its last state: an empty cycle, fair under any fairness', async () => {
    const r = await check(clientServer, 'requestServed', 'strong', { variant: 'stuck-client' });
    const l = lasso(r);
    expect(l.cycleStart).toBe(l.steps.length);
    expect(l.steps.at(-1)).toBe('client:request');
  });

  it('handles more than 32 fairness units (two mask words)', async () => {
    const none = await check(ring, 'bystanderFinishes', 'none');
    expect(lasso(none).steps).toHaveLength(36);
    expect((await check(ring, 'bystanderFinishes', 'weak')).verdict).toBe('holds');
  });

  it('checks safety in the same exploration, with the same state count as the safety search', async () => {
    const model = instantiate(starvation, { memory: 'tso' });
    // without a fairness or a named liveness property, a run checks the safety properties only
    const safety = await explore(model);
    expect(safety.properties).toEqual(['deadlock']);
    expect(safety.fairness).toBeUndefined();
    // a fairness turns on every liveness property, beside the safety ones
    const both = await explore(model, { fairness: fair('strong') });
    expect(both.properties).toEqual(['deadlock', 'victimGetsLock', 'victimProgress', 'victimGetsLockStrong']);
    expect(both.verdict).toBe('holds');
    expect(both.stats.states).toBe(safety.stats.states);
    expect(both.stats.transitions).toBe(safety.stats.transitions);
    expect(both.stats.depth).toBe(safety.stats.depth);
  });

  it("reports a safety violation found on the way with the safety search's shortest trace", async () => {
    const model = instantiate(vcpuRequests, { variant: 'no-mb-vcpu', memory: 'tso' });
    const safety = await explore(model);
    const both = await explore(model, { fairness: fair('weak') });
    expect(both.properties).toContain('requestHandled');
    expect(both.verdict).toBe('violated');
    if (both.verdict !== 'violated' || safety.verdict !== 'violated') throw new Error('expected violations');
    expect(both.violation.property).toBe(safety.violation.property);
    const steps = (r: typeof both) => r.violation.trace!.steps.map((x) => x.action);
    expect(steps(both)).toEqual(steps(safety));
    expect(both.stats.states).toBe(safety.stats.states);
  });

  it('ends incomplete at a bound, since liveness needs the whole graph', async () => {
    const r = await explore(instantiate(ring, { memory: 'sc' }), {
      properties: ['bystanderFinishes'],
      maxStates: 10,
    });
    expect(r.verdict).toBe('incomplete');
  });

  it('refuses fairness for a process the model does not have', async () => {
    await expect(check(starvation, 'victimGetsLock', 'weak,nobody=none')).rejects.toThrow(/process 'nobody'/);
    expect(() => parseFairness('sometimes')).toThrow(/'sometimes' is not one of none, weak, strong/);
  });
});

/** The model with its successors emitted in reverse order: another exploration order. */
function reversed(model: Model): Model {
  return new Proxy(model, {
    get(target, prop, receiver) {
      if (prop !== 'successors') return Reflect.get(target, prop, receiver);
      return (s: Int32Array, out: Int32Array, emit: (t: Transition) => void) => {
        const ids: number[] = [];
        target.successors(s, out, (t) => {
          ids.push(t.action);
        });
        for (let i = ids.length - 1; i >= 0; i--) {
          const t = target.fire(s, ids[i]!, out);
          if (t) emit(t);
        }
      };
    },
  });
}

describe('liveness: plumbing', () => {
  it('the indexed fingerprint set returns the index stored with a fingerprint, across growth', () => {
    const set = new FingerprintSet(1 << 20, 4, true);
    for (let i = 0; i < 1000; i++) expect(set.addIndexed(i * 7919 + 1, i + 1, i)).toBe(ADD_NEW);
    for (let i = 999; i >= 0; i--) {
      expect(set.addIndexed(i * 7919 + 1, i + 1, -5)).toBe(ADD_SEEN);
      expect(set.index).toBe(i);
    }
    expect(new FingerprintSet(1 << 12, 4, true).bytes).toBe(16 * 12);
  });

  it('a scenario may give a fairness, and a bad one is refused naming the field', () => {
    const ok = parseScenarioFile(
      '{"scenarios":[{"name":"a","model":"m","variant":"fixed","memory":"sc","fairness":"weak,notifier0=none","expect":{"verdict":"violated","property":"p"}}]}',
      'f.json',
    );
    expect(ok[0]!.fairness).toBe('weak,notifier0=none');
    expect(() =>
      parseScenarioFile(
        '{"scenarios":[{"name":"a","model":"m","variant":"fixed","memory":"sc","fairness":"fair","expect":{"verdict":"violated","property":"p"}}]}',
        'f.json',
      ),
    ).toThrow(/f.json: scenarios\[0\].fairness: must be none, weak or strong/);
  });
});

describe('liveness: the verdict does not depend on exploration order', () => {
  const cases: [ModelDefinition, string, string, string][] = [
    [spinWait, 'fixed', 'sc', 'waiterFinishes'],
    [spinWait, 'busy-setter', 'tso', 'waiterFinishes'],
    [starvation, 'fixed', 'sc', 'victimProgress'],
    [clientServer, 'lazy-server', 'sc', 'requestServed'],
    [clientServer, 'stuck-client', 'sc', 'requestServed'],
    [clientServer, 'fixed', 'tso', 'idleAgain'],
  ];
  it.each(cases)('%s/%s/%s %s', async (def, variant, memory, property) => {
    for (const fairness of ['none', 'weak', 'strong']) {
      const m = instantiate(def, { variant, memory });
      const a = await explore(m, { properties: [property], fairness: fair(fairness) });
      const b = await explore(reversed(m), { properties: [property], fairness: fair(fairness) });
      expect(b.verdict).toBe(a.verdict);
      expect(b.stats.states).toBe(a.stats.states);
    }
  });
});

describe('liveness: lassos replay', () => {
  it('a saved lasso replays: its cycle closes and it violates the property under its fairness', async () => {
    const r = await check(starvation, 'victimGetsLock', 'weak');
    if (r.verdict !== 'violated') throw new Error('expected a violation');
    const saved = toSaved(r.violation.trace!, r.violation.property, r.violation.kind);
    expect(saved.cycleStart).toBe(0);
    expect(saved.fairness).toBe('weak');
    const model = instantiate(starvation, { memory: 'sc' });
    const again = replaySteps(model, saved.steps, saved.property, { cycleStart: 0, fairness: fair('weak') });
    expect(again.status).toBe('reproduced');
    // the same cycle is unfair under strong fairness: it violates nothing then
    expect(
      replaySteps(model, saved.steps, saved.property, { cycleStart: 0, fairness: fair('strong') }).status,
    ).toBe('clean');
    // a cycle that does not return to its first state is refused
    const broken = replaySteps(model, saved.steps, saved.property, { cycleStart: 1, fairness: fair('weak') });
    expect(broken.status).toBe('diverged');
  });

  it('the CLI prints the lasso with its cycle marked and the fairness, and replays the trace file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kvmcheck-')), 'lasso.json');
    const model = join(repoRoot, 'test', 'fixtures', 'liveness-models.ts');
    const r = await cli(
      'check',
      model,
      '--memory',
      'sc',
      '--property',
      'victimGetsLock',
      '--fairness',
      'weak',
      '--trace-out',
      file,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('--- cycle starts here (repeats forever) ---');
    expect(r.stdout).toContain('✗ liveness victimGetsLock violated');
    expect(r.stdout).toContain('liveness assumed weak fairness');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect([saved.cycleStart, saved.fairness, saved.kind]).toEqual([0, 'weak', 'liveness']);
    expect((await cli('replay', file)).code).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.startsWith('replay: '))!;
    expect(line).toMatch(/ --cycle-start 0 --fairness weak$/);
    const args = line.slice('replay: npx kvmcheck '.length).split(' ');
    expect((await cli(...args)).code).toBe(1);
    // the same cycle is not fair under strong fairness: the replay finds no violation
    expect((await cli(...args.map((x) => (x === 'weak' ? 'strong' : x)))).code).toBe(0);
    const strong = await cli(
      'check',
      model,
      '--memory',
      'sc',
      '--property',
      'victimGetsLock',
      '--fairness',
      'strong',
    );
    expect(strong.code).toBe(0);
    const bad = await cli('check', model, '--property', 'victimGetsLock', '--fairness', 'fair');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad fairness 'fair'/);
  });
});

/**
 * The fair-cycle search against brute force on random graphs: a violation exists iff some set of
 * edges inside the non-goal states, strongly connected and reachable from a seed through non-goal
 * states, is fair (or such a seed reaches a final state).
 */
interface RandomGraph {
  n: number;
  edges: [number, number, number][]; // from, to, unit
  goal: boolean[];
  trigger: boolean[];
  levels: number[];
}

function toStateGraph(rg: RandomGraph): StateGraph | null {
  // renumber in BFS order from state 0, dropping the unreachable, as exploreGraph stores them
  const order: number[] = [0];
  const id = new Map<number, number>([[0, 0]]);
  const parent = [-1];
  const via = [-1];
  for (let i = 0; i < order.length; i++) {
    for (const [k, [f, t]] of rg.edges.entries()) {
      if (f === order[i] && !id.has(t)) {
        id.set(t, order.length);
        order.push(t);
        parent.push(i);
        via.push(k);
      }
    }
  }
  const n = order.length;
  const start = new Int32Array(n + 1);
  const dst: number[] = [];
  const act: number[] = [];
  const enabled = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    start[i] = dst.length;
    for (const [k, [f, t, u]] of rg.edges.entries()) {
      if (f !== order[i]) continue;
      dst.push(id.get(t)!);
      act.push(k);
      enabled[i]! |= 1 << u;
    }
  }
  start[n] = dst.length;
  const labels = Uint8Array.from(order, (v) => (rg.trigger[v] ? TRIGGER : 0) | (rg.goal[v] ? GOAL : 0));
  return {
    n,
    nInit: 1,
    start,
    dst: Int32Array.from(dst),
    act: Int32Array.from(act),
    edges: dst.length,
    parent: Int32Array.from(parent),
    via: Int32Array.from(via, (k, i) => (i === 0 ? -1 : k)),
    enabled,
    words: 1,
    labels,
    nProps: 1,
    unitOf: Int32Array.from(rg.edges, (e) => e[2]),
  };
}

function bruteForce(g: StateGraph, kind: LivenessKind, levels: Uint8Array): boolean {
  const allowed = (v: number) => (g.labels[v]! & GOAL) === 0;
  const seed = (v: number) =>
    allowed(v) &&
    (kind === 'eventually' ? v < g.nInit : kind === 'leadsTo' ? (g.labels[v]! & TRIGGER) !== 0 : true);
  const edges: [number, number, number][] = [];
  for (let v = 0; v < g.n; v++)
    for (let e = g.start[v]!; e < g.start[v + 1]!; e++) edges.push([v, g.dst[e]!, g.unitOf[g.act[e]!]!]);
  // states reachable from a seed through allowed states
  const reach = new Set<number>();
  const stack: number[] = [];
  for (let v = 0; v < g.n; v++) {
    if (!seed(v)) continue;
    reach.add(v);
    stack.push(v);
  }
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (const [f, t] of edges) {
      if (f !== v || !allowed(t) || reach.has(t)) continue;
      reach.add(t);
      stack.push(t);
    }
  }
  for (const v of reach) if (g.start[v] === g.start[v + 1]) return true; // a final state: stutter
  const inner = edges.filter(([f, t]) => reach.has(f) && reach.has(t));
  for (let mask = 1; mask < 1 << inner.length; mask++) {
    const sub = inner.filter((_, i) => (mask >> i) & 1);
    const vs = [...new Set([...sub.map((e) => e[0]), ...sub.map((e) => e[1])])];
    // strongly connected: every vertex reaches every other through sub
    const reaches = (a: number) => {
      const seen = new Set([a]);
      const st = [a];
      while (st.length) {
        const x = st.pop()!;
        for (const [f, t] of sub) {
          if (f !== x || seen.has(t)) continue;
          seen.add(t);
          st.push(t);
        }
      }
      return seen;
    };
    if (!vs.every((a) => vs.every((b) => reaches(a).has(b)))) continue;
    let ok = true;
    for (let u = 0; u < levels.length && ok; u++) {
      const taken = sub.some(([, , x]) => x === u);
      const on = vs.map((v) => (g.enabled[v]! & (1 << u)) !== 0);
      if (levels[u] === 1 && on.every(Boolean) && !taken) ok = false;
      if (levels[u] === 2 && on.some(Boolean) && !taken) ok = false;
    }
    if (ok) return true;
  }
  return false;
}

/** Follows a lasso's actions (edge ids here) and checks it is a fair violating lasso. */
function validLasso(
  g: StateGraph,
  kind: LivenessKind,
  levels: Uint8Array,
  prefix: readonly number[],
  cycle: readonly number[],
): boolean {
  const step = (v: number, a: number) => {
    for (let e = g.start[v]!; e < g.start[v + 1]!; e++) if (g.act[e] === a) return g.dst[e]!;
    return -1;
  };
  const states = [0];
  for (const a of [...prefix, ...cycle]) {
    const w = step(states.at(-1)!, a);
    if (w < 0) return false;
    states.push(w);
  }
  const entry = states[prefix.length]!;
  if (states.at(-1) !== entry) return false;
  const goal = (v: number) => (g.labels[v]! & GOAL) !== 0;
  const cycleStates = cycle.length === 0 ? [entry] : states.slice(prefix.length, -1);
  if (cycleStates.some(goal)) return false;
  if (cycle.length === 0 && g.start[entry] !== g.start[entry + 1]) return false;
  if (kind === 'eventually' && states.some(goal)) return false;
  if (kind === 'leadsTo') {
    let i = states.length - 1;
    while (i >= 0 && !goal(states[i]!) && (g.labels[states[i]!]! & TRIGGER) === 0) i--;
    if (i < 0 || goal(states[i]!)) return false;
  }
  for (let u = 0; u < levels.length; u++) {
    const taken = cycle.some((a) => g.unitOf[a] === u);
    const on = cycleStates.map((v) => (g.enabled[v]! & (1 << u)) !== 0);
    if (levels[u] === 1 && on.every(Boolean) && !taken) return false;
    if (levels[u] === 2 && on.some(Boolean) && !taken) return false;
  }
  return true;
}

describe('liveness: the fair-cycle search agrees with brute force', () => {
  const graphArb = fc.integer({ min: 1, max: 5 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      edges: fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.nat(2)), { maxLength: 9 }),
      goal: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      trigger: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      levels: fc.array(fc.nat(2), { minLength: 3, maxLength: 3 }),
    }),
  );
  it('on random graphs, for every kind and fairness', () => {
    fc.assert(
      fc.property(graphArb, (rg: RandomGraph) => {
        const g = toStateGraph(rg)!;
        const levels = Uint8Array.from(rg.levels);
        const search = new FairCycleSearch(g);
        for (const kind of ['eventually', 'leadsTo', 'alwaysEventually'] as const) {
          const found = search.find(0, kind, levels);
          expect(found !== null).toBe(bruteForce(g, kind, levels));
          if (found) expect(validLasso(g, kind, levels, found.prefix, found.cycle)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
