import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import type { Model } from '../../checker/model/model.ts';
import def from '../../models/vcpu-block.ts';

const model = (variant: string, memory: string, params = {}) => instantiate(def, { variant, memory, params });
const run = (variant: string, memory: string, params = {}) => explore(model(variant, memory, params));

/**
 * The terminal states (nothing enabled) in which vcpu0 sleeps in schedule() with its request
 * still pending: what the liveness property L1 will report. Found by a plain search here, since
 * the safety checks accept them as valid ends.
 */
function strandedSleepers(m: Model): number {
  const slot = (name: string) => m.layout.slots.findIndex((s) => s.name === name);
  const requests = slot('vcpu->requests[0]');
  const vcpu = m.processes.find((p) => p.name === 'vcpu0')!;
  const schedule = vcpu.labels.indexOf('schedule');
  const seen = new Set<string>();
  const stack = m.initialStates();
  let stranded = 0;
  const out = new Int32Array(m.layout.size);
  while (stack.length > 0) {
    const s = stack.pop()!;
    const key = s.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    let enabled = 0;
    m.successors(s, out, () => {
      enabled++;
      stack.push(out.slice());
    });
    if (enabled === 0) {
      expect(m.isValidEnd(s)).toBe(true);
      if (s[vcpu.pcSlot] === schedule && s[requests] !== 0) stranded++;
    }
  }
  return stranded;
}

describe('vcpu-block (vcpu-requests.rst "Sleeping VCPUs", "KVM_REQUEST_NO_WAKEUP")', () => {
  it('the fixed protocol holds under sc and tso; the request reaches a sleeping vCPU and wakes it', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual([
        'noLostRequest',
        'noLostWakeup',
        'requestWhileAsleep',
        'kickSendsIpi',
        'kickWakesVcpu',
        'deadlock',
      ]);
    }
  });

  it('the fixed protocol holds with two vCPUs (kvm_make_all_cpus_request visits both) and with repeated halts', async () => {
    expect((await run('fixed', 'tso', { vcpus: 2 })).verdict).toBe('holds');
    expect((await run('fixed', 'sc', { halts: 2, calls: 2 })).verdict).toBe('holds');
    expect((await run('fixed', 'sc', { requesters: 2 })).verdict).toBe('holds');
  });

  it('B8 (NO_WAKEUP misuse) holds for safety under sc and tso: the stuck vCPU is a valid end', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('no-wakeup-misuse', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).not.toContain('kickWakesVcpu');
      expect(r.properties).toContain('requestWhileAsleep');
    }
  });

  it('B8 leaves the vCPU asleep forever with the request pending; the fixed protocol never does', () => {
    // This is L1's counterexample; the liveness checker will report it as a violation.
    for (const memory of ['sc', 'tso']) {
      expect(strandedSleepers(model('no-wakeup-misuse', memory))).toBeGreaterThan(0);
      expect(strandedSleepers(model('fixed', memory))).toBe(0);
    }
  });
});
