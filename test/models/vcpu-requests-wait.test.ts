import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/vcpu-requests-wait.ts';
import { labels } from './shortest-trace.ts';

const run = (variant: string, memory: string, params = {}) =>
  explore(instantiate(def, { variant, memory, params }));

/** kvm_make_all_cpus_request over both vCPUs, then the IPIs, the wait, and the free. */
const flush = [
  'zapper:kvm_make_request',
  'zapper:kvm_request_needs_ipi',
  'zapper:kvm_make_request',
  'zapper:kvm_request_needs_ipi',
  'zapper:smp_call_function_many',
  'zapper:csd_lock_wait',
  'zapper:kvm_mmu_commit_zap_page',
];

describe('vcpu-requests-wait (vcpu-requests.rst "Waiting for Acknowledgements")', () => {
  it('the fixed protocol holds under sc and tso, and the zapper really waits for a walking vCPU', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual(['noFreedPageRead', 'flushWaitsForWalker', 'deadlock']);
    }
  });

  it('B3 (WAIT tests == IN_GUEST_MODE): a walker in READING_SHADOW_PAGE_TABLES is not waited for, under sc', async () => {
    const r = await run('wait-in-guest-test', 'sc');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('noFreedPageRead');
    expect(labels(r)).toEqual([
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:smp_mb',
      'vcpu0:read_parent_spte',
      'zapper:unlink',
      ...flush,
      'vcpu0:read_spte',
    ]);
    const steps = r.violation.trace!.steps;
    expect(steps[3]!.reads).toEqual(['parent_spte = &sp->spt']);
    expect(steps[6]!.reads).toEqual(['vcpu->mode[0] = READING_SHADOW_PAGE_TABLES']);
    expect(steps[12]!.reads).toEqual(['sp->spt[i] = FREED']);
  });

  it('B3 under tso: the same, with the drains', async () => {
    const r = await run('wait-in-guest-test', 'tso');
    expect(r.verdict).toBe('violated');
    expect(labels(r)).toEqual([
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:drain',
      'vcpu0:smp_mb',
      'vcpu0:read_parent_spte',
      'zapper:unlink',
      'zapper:drain',
      ...flush,
      'zapper:drain',
      'vcpu0:read_spte',
    ]);
  });

  it('B4 (no smp_mb in walk_shadow_page_lockless_begin) holds under sc', async () => {
    expect((await run('no-mb-walk-begin', 'sc')).verdict).toBe('holds');
  });

  it('B4 under tso: the READING_SHADOW_PAGE_TABLES store is still buffered when the zapper reads the mode', async () => {
    const r = await run('no-mb-walk-begin', 'tso');
    expect(r.verdict).toBe('violated');
    if (r.verdict !== 'violated') return;
    expect(r.violation.property).toBe('noFreedPageRead');
    expect(labels(r)).toEqual([
      'vcpu0:local_irq_disable',
      'vcpu0:set_mode',
      'vcpu0:read_parent_spte',
      'zapper:unlink',
      'zapper:drain',
      ...flush,
      'zapper:drain',
      'vcpu0:read_spte',
    ]);
    const steps = r.violation.trace!.steps;
    expect(steps[1]!.buffered).toEqual(['vcpu->mode[0] = READING_SHADOW_PAGE_TABLES']);
    expect(steps[6]!.reads).toEqual(['vcpu->mode[0] = OUTSIDE_GUEST_MODE']);
    expect(steps[13]!.reads).toEqual(['sp->spt[i] = FREED']);
  });

  it('B5 (no smp_mb in walk_shadow_page_lockless_end) holds under sc and tso: it needs load->store reordering', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('no-mb-walk-end', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toContain('flushWaitsForWalker');
    }
  });

  it('one walker is enough for B3 and B4', async () => {
    expect((await run('wait-in-guest-test', 'sc', { vcpus: 1 })).verdict).toBe('violated');
    expect((await run('no-mb-walk-begin', 'tso', { vcpus: 1 })).verdict).toBe('violated');
    expect((await run('fixed', 'tso', { vcpus: 1, walks: 2 })).verdict).toBe('holds');
  });
});
