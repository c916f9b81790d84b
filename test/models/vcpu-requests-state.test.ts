import { describe, expect, it } from 'vitest';
import { explore } from '../../checker/explore/bfs.ts';
import { instantiate } from '../../checker/model/define.ts';
import def from '../../models/vcpu-requests-state.ts';

const run = (variant: string, memory: string, params = {}) =>
  explore(instantiate(def, { variant, memory, params }));

describe('vcpu-requests-state (vcpu-requests.rst "VCPU Requests with Associated State")', () => {
  it('the fixed protocol holds under sc and tso, and the vCPU does handle a request', async () => {
    for (const memory of ['sc', 'tso']) {
      const r = await run('fixed', memory);
      expect(r.verdict).toBe('holds');
      expect(r.properties).toEqual(['payloadSeen', 'requestHandled', 'deadlock']);
    }
  });

  it('B6 holds under sc and tso whichever barrier is dropped: it needs store->store or load->load reordering', async () => {
    for (const drop of ['smp_wmb', 'smp_mb__after_atomic', 'both']) {
      for (const memory of ['sc', 'tso']) {
        const r = await run('no-wmb-request', memory, { drop, rounds: 2, checks: 3 });
        expect(r.verdict).toBe('holds');
      }
    }
  });

  it('the barriers cost no states under sc and tso (they order nothing there)', async () => {
    for (const memory of ['sc', 'tso']) {
      const a = await run('fixed', memory, { rounds: 2, checks: 3 });
      const b = await run('no-wmb-request', memory, { rounds: 2, checks: 3 });
      expect(b.stats.states).toBe(a.stats.states);
    }
  });
});
