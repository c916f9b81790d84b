import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { parseFairness } from '../../checker/explore/fairness.ts';
import { instantiate, type ModelDefinition } from '../../checker/model/define.ts';
import type { Result } from '../../checker/report/result.ts';
import type { Trace } from '../../checker/trace/trace.ts';
import mnInvalidate from '../../models/mn-invalidate.ts';
import postedInterrupts from '../../models/posted-interrupts.ts';
import vcpuBlock from '../../models/vcpu-block.ts';
import vcpuRequests from '../../models/vcpu-requests.ts';
import { cli } from '../cli/run-cli.ts';

/** The liveness properties of the shipped models: the documented progress failures as lassos. */

async function live(
  def: ModelDefinition,
  variant: string,
  memory: string,
  property: string,
  fairness?: string,
  params: Record<string, number> = {},
): Promise<Result> {
  const model = instantiate(def, { variant, memory, params });
  return explore(model, { properties: [property], fairness: fairness ? parseFairness(fairness) : undefined });
}

function lasso(r: Result): Trace {
  expect(r.verdict).toBe('violated');
  if (r.verdict !== 'violated') throw new Error(`expected a violation, got ${r.verdict}`);
  expect(r.violation.kind).toBe('liveness');
  expect(r.violation.trace!.cycleStart).toBeDefined();
  return r.violation.trace!;
}

/** The label process `name` rests at in the trace's state `i`. */
function labelAt(def: ModelDefinition, r: Result, name: string, i: number): string {
  const t = (r as { violation: { trace: Trace } }).violation.trace;
  const model = instantiate(def, {
    variant: t.config.variant,
    memory: t.config.memory,
    params: t.config.params,
  });
  const p = model.processes.find((x) => x.name === name)!;
  return p.labels[t.states[i]![p.pcSlot]!]!;
}

const cycleMovers = (t: Trace) => [...new Set(t.steps.slice(t.cycleStart).map((s) => s.processName))].sort();

describe('mn-invalidate: updaterProgress (PROTOCOLS.md §6 L1)', () => {
  const forever = { notifiers: 2, invalidations: 0, faults: 0 };

  it('starves under endless overlapping invalidations: the updater sleeps while the count never drops to 0', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await live(mnInvalidate, 'fixed', memory, 'updaterProgress', 'weak', forever);
      const t = lasso(r);
      expect(cycleMovers(t)).toEqual(['notifier0', 'notifier1']);
      expect(labelAt(mnInvalidate, r, 'updater', t.cycleStart!)).toBe('schedule');
      expect(r.fairness).toMatch(/fair even under strong fairness/);
    }
  });

  it('holds when the invalidations are bounded (under its own strong fairness), for sc and tso', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await live(mnInvalidate, 'fixed', memory, 'updaterProgress', undefined, {
        notifiers: 1,
        invalidations: 1,
        faults: 1,
      });
      expect(r.verdict).toBe('holds');
      expect(r.fairness).toMatch(/^strong fairness/);
    }
  });

  it('B4 (lost wake-up): the updater sleeps forever, a run that stops', async () => {
    const r = await live(mnInvalidate, 'lost-wakeup', 'sc', 'updaterProgress');
    const t = lasso(r);
    expect(t.cycleStart).toBe(t.steps.length);
    expect(labelAt(mnInvalidate, r, 'updater', t.states.length - 1)).toBe('schedule');
  });

  it('refuses endless invalidations together with faults', () => {
    expect(() => instantiate(mnInvalidate, { params: { invalidations: 0, faults: 1 } })).toThrow(
      /needs faults=0/,
    );
  });

  it('the CLI prints the starvation lasso and exits 1 (--fairness weak)', async () => {
    const r = await cli(
      'check',
      'mn-invalidate',
      '--property',
      'updaterProgress',
      '--fairness',
      'weak',
      '--set',
      'notifiers=2,invalidations=0,faults=0',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('--- cycle starts here (repeats forever) ---');
    expect(r.stdout).toContain('✗ liveness updaterProgress violated');
    expect(
      (await cli('check', 'mn-invalidate', '--property', 'updaterProgress', '--fairness', 'weak')).code,
    ).toBe(1);
  });
});

describe('vcpu-requests: requestHandled', () => {
  it('holds for the fixed protocol under weak fairness, sc and tso', async () => {
    for (const memory of ['sc', 'tso']) {
      expect((await live(vcpuRequests, 'fixed', memory, 'requestHandled', 'weak')).verdict).toBe('holds');
    }
  });

  it('B2 (request-less kick): the guest runs on with the interrupt never delivered', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await live(vcpuRequests, 'requestless-kick', memory, 'requestHandled', 'weak');
      const t = lasso(r);
      const cycle = t.steps.slice(t.cycleStart).map((s) => `${s.processName}:${s.label}`);
      expect(cycle).toContain('vcpu0:in_guest');
      expect(labelAt(vcpuRequests, r, 'vcpu0', t.cycleStart!)).toBe('in_guest');
    }
  });

  it('needs fairness: without it an IPI is never taken', async () => {
    const t = lasso(await live(vcpuRequests, 'fixed', 'sc', 'requestHandled', 'none'));
    expect(
      t.steps.slice(t.cycleStart).every((s) => s.name === 'guest keeps running (no exit of its own)'),
    ).toBe(true);
  });
});

describe('vcpu-block: requestHandled (L1)', () => {
  it('B8 (NO_WAKEUP misuse): vcpu0 sleeps in schedule() forever with the request pending', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await live(vcpuBlock, 'no-wakeup-misuse', memory, 'requestHandled', 'strong');
      const t = lasso(r);
      expect(t.cycleStart).toBe(t.steps.length);
      expect(labelAt(vcpuBlock, r, 'vcpu0', t.states.length - 1)).toBe('schedule');
      expect((await live(vcpuBlock, 'fixed', memory, 'requestHandled', 'weak')).verdict).toBe('holds');
    }
  });
});

describe('posted-interrupts: interruptDelivered', () => {
  it('B7 strands the vector in PIR under tso only; the fixed protocol delivers it', async () => {
    const t = lasso(await live(postedInterrupts, 'pi-no-mb', 'tso', 'interruptDelivered', 'weak'));
    expect(t.steps.slice(t.cycleStart).map((s) => `${s.processName}:${s.label}`)).toEqual(['vcpu0:in_guest']);
    expect((await live(postedInterrupts, 'pi-no-mb', 'sc', 'interruptDelivered', 'weak')).verdict).toBe(
      'holds',
    );
    for (const memory of ['sc', 'tso']) {
      expect((await live(postedInterrupts, 'fixed', memory, 'interruptDelivered', 'weak')).verdict).toBe(
        'holds',
      );
    }
  });
});
