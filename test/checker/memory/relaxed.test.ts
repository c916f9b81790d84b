import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { defineModel, intDomain } from '../../../checker/index.ts';
import { parseLitmus } from '../../../checker/litmus/parse.ts';
import { runLitmus } from '../../../checker/litmus/run.ts';
import { RmwOp } from '../../../checker/memory/context.ts';
import { instantiate } from '../../../checker/model/define.ts';
import { litmus } from '../../fixtures/models.ts';
import { MP_VARIANTS, mpShapes } from '../../fixtures/mp-shapes.ts';

async function run(variant: string, memory = 'relaxed') {
  const r = await explore(instantiate(mpShapes, { variant, memory }));
  expect(['holds', 'violated']).toContain(r.verdict);
  return r;
}

function observe(body: string, memory = 'relaxed'): string {
  return runLitmus(parseLitmus(`C t\n${body}`, 'inline.litmus'), memory).observation;
}

const path = (r: Awaited<ReturnType<typeof run>>) =>
  r.verdict === 'violated' ? r.violation.trace!.steps.map((s) => `${s.processName}:${s.label}`) : [];

describe('relaxed: message passing needs every one of its barriers', () => {
  it('with its barriers MP holds (and the message is seen, so not vacuously)', async () => {
    for (const v of ['wmb-rmb', 'release-acquire', 'request', 'dependency']) {
      expect((await run(v)).verdict, v).toBe('holds');
    }
  });

  it('removing smp_wmb, smp_rmb, a release, an acquire, smp_mb__after_atomic or the dependency shows the stale message', async () => {
    for (const v of ['no-wmb', 'no-rmb', 'no-release', 'no-acquire', 'no-after-atomic', 'no-dependency']) {
      const r = await run(v);
      expect(r.verdict, v).toBe('violated');
      if (r.verdict === 'violated') expect(r.violation.property).toBe('noStaleMessage');
    }
  });

  it('no smp_rmb: the reader sees the flag, then its stale copy of the data', async () => {
    const r = await run('no-rmb');
    expect(path(r)).toEqual([
      'writer:data',
      'writer:wmb',
      'writer:flag',
      'writer:drain',
      'writer:drain',
      'reader:flag',
      'reader:data',
    ]);
    if (r.verdict !== 'violated') return;
    const steps = r.violation.trace!.steps;
    expect(steps[5]!.reads).toEqual(['flag = 1']);
    expect(steps[6]!.reads).toEqual(['data[0] = 0 (stale: the newer value has not reached this CPU)']);
  });

  it('no smp_mb__after_atomic: kvm_check_request clears the bit and still reads stale data', async () => {
    const r = await run('no-after-atomic');
    expect(path(r)).toEqual([
      'writer:data',
      'writer:wmb',
      'writer:drain',
      'writer:flag',
      'reader:flag',
      'reader:clear',
      'reader:data',
    ]);
    if (r.verdict !== 'violated') return;
    const steps = r.violation.trace!.steps;
    expect(steps[3]!.name).toBe('set_bit(0, &flag)');
    expect(steps[6]!.reads).toEqual(['data[0] = 0 (stale: the newer value has not reached this CPU)']);
  });

  it('no smp_wmb: the flag drains first even though the reader has its smp_rmb', async () => {
    expect(path(await run('no-wmb'))).toEqual([
      'writer:data',
      'writer:flag',
      'writer:drain',
      'reader:flag',
      'reader:rmb',
      'reader:data',
    ]);
  });

  it('is weaker than pso exactly on the reader side', async () => {
    for (const v of Object.keys(MP_VARIANTS)) {
      const pso = await run(v, 'pso');
      const rel = await run(v);
      if (pso.verdict === 'violated') expect(rel.verdict, v).toBe('violated');
    }
  });
});

describe('relaxed on the classic shapes', () => {
  it('SB is observable, smp_mb forbids it; a CPU sees its own store', async () => {
    const sb = await explore(instantiate(litmus, { variant: 'sb', memory: 'relaxed' }));
    expect(sb.verdict).toBe('violated');
    expect((await explore(instantiate(litmus, { variant: 'sb-mb', memory: 'relaxed' }))).verdict).toBe(
      'holds',
    );
    expect((await explore(instantiate(litmus, { variant: 'cowr', memory: 'relaxed' }))).verdict).toBe(
      'holds',
    );
  });

  it('LB is not reachable: relaxed has no load buffering', () => {
    const lb = `{}\nP0(int *x, int *y) { int r0; r0 = READ_ONCE(*x); WRITE_ONCE(*y, 1); }\nP1(int *x, int *y) { int r0; r0 = READ_ONCE(*y); WRITE_ONCE(*x, 1); }\nexists (0:r0=1 /\\ 1:r0=1)`;
    expect(observe(lb)).toBe('Never');
  });

  it('load->load reordering gives WRC and IRIW, which pso forbids; smp_mb between the loads forbids them again', () => {
    const iriw = (f: string) =>
      `{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\nP1(int *x, int *y) { int r0; int r1; r0 = READ_ONCE(*x); ${f} r1 = READ_ONCE(*y); }\nP2(int *y) { WRITE_ONCE(*y, 1); }\nP3(int *x, int *y) { int r0; int r1; r0 = READ_ONCE(*y); ${f} r1 = READ_ONCE(*x); }\nexists (1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0)`;
    expect(observe(iriw(''))).toBe('Sometimes');
    expect(observe(iriw(''), 'pso')).toBe('Never');
    expect(observe(iriw('smp_mb();'))).toBe('Never');
    expect(observe(iriw('smp_rmb();'))).toBe('Never');
  });

  it('coherence holds: two loads of one variable never go back in time', () => {
    const corr = `{}\nP0(int *x) { WRITE_ONCE(*x, 1); WRITE_ONCE(*x, 2); }\nP1(int *x) { int r0; int r1; r0 = READ_ONCE(*x); r1 = READ_ONCE(*x); }\nexists (1:r0=2 /\\ 1:r1=1 \\/ 1:r0=1 /\\ 1:r1=0 \\/ 1:r0=2 /\\ 1:r1=0)`;
    expect(observe(corr)).toBe('Never');
  });

  it('a successful cmpxchg is fully ordered, a failing one is not (PROTOCOLS.md §0)', () => {
    const t = (p1: string) =>
      `{}\nP0(int *x, int *y) { int r1; WRITE_ONCE(*x, 1); r1 = cmpxchg(y, 0, 1); }\nP1(int *x, int *y) { int r1; int r2; ${p1} r2 = READ_ONCE(*x); }\nexists (0:r1=0 /\\ 1:r1=1 /\\ 1:r2=0)`;
    expect(observe(t('r1 = cmpxchg(y, 0, 1);'))).toBe('Sometimes');
    expect(observe(t('r1 = cmpxchg(y, 0, 1); smp_mb__after_atomic();'))).toBe('Never');
    expect(observe(t('r1 = xchg(y, 1);'))).toBe('Never');
  });

  it('non-value-returning atomics are unordered without smp_mb__before/after_atomic', () => {
    // set_bit/atomic_inc act on memory at once, passing the CPU's buffered stores...
    const release = (f: string) =>
      `{}\nP0(int *x, atomic_t *y) { WRITE_ONCE(*x, 1); ${f} atomic_inc(y); }\nP1(int *x, atomic_t *y) { int r0; int r1; r0 = atomic_read(y); smp_rmb(); r1 = READ_ONCE(*x); }\nexists (1:r0=1 /\\ 1:r1=0)`;
    expect(observe(release(''))).toBe('Sometimes');
    expect(observe(release('smp_mb__before_atomic();'))).toBe('Never');
    // ...and later loads may still see stale values
    const acquire = (f: string) =>
      `{}\nP0(int *x, atomic_t *y) { WRITE_ONCE(*x, 1); smp_wmb(); WRITE_ONCE(*y, 1); }\nP1(int *x, atomic_t *y) { int r0; int r1; r0 = atomic_read(y); atomic_inc(y); ${f} r1 = READ_ONCE(*x); }\nexists (1:r0=1 /\\ 1:r1=0)`;
    expect(observe(acquire(''))).toBe('Sometimes');
    expect(observe(acquire('smp_mb__after_atomic();'))).toBe('Never');
  });

  it('a release orders what precedes it, not what follows: a later store may become visible first', () => {
    const t = (f: string) =>
      `{}\nP0(int *x, int *y, int *z) { WRITE_ONCE(*x, 1); ${f} WRITE_ONCE(*z, 1); }\nP1(int *x, int *z) { int r0; int r1; r0 = READ_ONCE(*z); smp_rmb(); r1 = READ_ONCE(*x); }\nexists (1:r0=1 /\\ 1:r1=0)`;
    expect(observe(t('smp_store_release(y, 1);'))).toBe('Sometimes');
    expect(observe(t('smp_store_release(y, 1);'), 'pso')).toBe('Never');
    expect(observe(t('smp_wmb();'))).toBe('Never');
  });

  it('spin_lock/spin_unlock are acquire/release: they order critical sections, not the lock word', () => {
    const polocks = `{}\nP0(int *x, int *y, spinlock_t *l) { WRITE_ONCE(*x, 1); spin_lock(l); WRITE_ONCE(*y, 1); spin_unlock(l); }\nP1(int *x, int *y, spinlock_t *l) { int r0; int r1; spin_lock(l); r0 = READ_ONCE(*y); spin_unlock(l); r1 = READ_ONCE(*x); }\nexists (1:r0=1 /\\ 1:r1=0)`;
    expect(observe(polocks)).toBe('Never');
    const silsil = (f: string) =>
      `{}\nP0(spinlock_t *lo, int *x) { spin_lock(lo); ${f} WRITE_ONCE(*x, 1); spin_unlock(lo); }\nP1(spinlock_t *lo, int *x) { int r1; int r2; int r3; r1 = smp_load_acquire(x); r2 = spin_is_locked(lo); r3 = spin_is_locked(lo); }\nexists (1:r1=1 /\\ 1:r2=0 /\\ 1:r3=1)`;
    expect(observe(silsil(''))).toBe('Sometimes');
    expect(observe(silsil('smp_mb__after_spinlock();'))).toBe('Never');
    const mutex = `{}\nP0(int *x, spinlock_t *l) { int r0; spin_lock(l); r0 = READ_ONCE(*x); WRITE_ONCE(*x, r0 + 1); spin_unlock(l); }\nP1(int *x, spinlock_t *l) { int r0; spin_lock(l); r0 = READ_ONCE(*x); WRITE_ONCE(*x, r0 + 1); spin_unlock(l); }\nexists (x=1)`;
    expect(observe(mutex)).toBe('Never');
  });

  it('a step that writes another CPU’s local, or calls remoteFence, synchronises that CPU', async () => {
    const def = (how: 'local' | 'ghost' | 'remoteFence') =>
      defineModel({
        name: 'remote-flush',
        title: 'a synchronous remote TLB flush',
        source: 'test',
        params: {},
        variants: { fixed: 'the flush' },
        build(b) {
          const spte = b.shared('spte', intDomain(0, 1), 1);
          const Z = b.process('zapper');
          const V = b.process('vcpu');
          const tlb =
            how === 'local' ? V.local('tlb', intDomain(0, 1), 1) : b.ghost('tlb', intDomain(0, 1), 1);
          const walked = V.local('walked', intDomain(-1, 1), -1);
          Z.step('zap', 'xchg(spte, 0)', (c) => void c.xchg(spte, 0));
          Z.step('flush', 'kvm_flush_remote_tlbs()', (c) => {
            c.set(tlb, 0);
            if (how === 'remoteFence') c.remoteFence(V.index);
          });
          V.step('walk', 'TLB miss: the walk reads the spte', (c) => {
            c.await(c.get(tlb) === 0);
            c.set(walked, c.load(spte));
          });
          b.invariant('noStaleWalk', 'after the flush the walk sees the zapped spte', (s) => s[walked] !== 1);
        },
      });
    expect((await explore(instantiate(def('ghost'), { memory: 'relaxed' }))).verdict).toBe('violated');
    expect((await explore(instantiate(def('local'), { memory: 'relaxed' }))).verdict).toBe('holds');
    expect((await explore(instantiate(def('remoteFence'), { memory: 'relaxed' }))).verdict).toBe('holds');
    expect((await explore(instantiate(def('ghost'), { memory: 'pso' }))).verdict).toBe('holds');
  });

  it('a step that reads and updates shared memory is atomic: a stale read disables it', async () => {
    const def = defineModel({
      name: 'read-then-rmw',
      title: 'a load and an RMW in one step',
      source: 'test',
      params: {},
      variants: { fixed: 'one atomic step' },
      build(b) {
        const x = b.shared('x', intDomain(0, 2));
        const y = b.shared('y', intDomain(0, 2));
        const W = b.process('w');
        W.step('x', 'WRITE_ONCE(x, 1)', (c) => c.store(x, 1));
        const R = b.process('r');
        R.step('copy', 'y = x, atomically', (c) => {
          const v = c.load(x);
          c.rmw(y, RmwOp.set, v, true);
        });
        const done = (s: Int32Array) => s[W.pcSlot] === W.done && s[R.pcSlot] === R.done;
        b.invariant(
          'copiedNewest',
          'y copies a value x held when the step ran',
          (s) => !done(s) || s[y] === 1 || s[x] === 0 || s[y] === 0,
        );
        b.reachable('copied', 'y = 1 at the end', (s) => done(s) && s[y] === 1);
      },
    });
    expect((await explore(instantiate(def, { memory: 'relaxed' }))).verdict).toBe('holds');
  });

  it('equal states hash equal: once everything drained and every CPU caught up, the memory slots are zero', async () => {
    const model = instantiate(mpShapes, { variant: 'wmb-rmb', memory: 'relaxed' });
    const memorySlots = model.layout.slots.filter((s) => s.kind === 'memory');
    expect(memorySlots.some((s) => s.name.endsWith('(old value)'))).toBe(true);
    const r = await explore(model);
    expect(r.verdict).toBe('holds');
    // the writer's two stores in any order of drains and catch-ups: far fewer states than an unnormalised count
    expect(r.stats.states).toBeLessThan(80);
  });
});
