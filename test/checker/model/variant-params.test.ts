import { describe, expect, it } from 'vitest';
import { instantiate } from '../../../checker/model/define.ts';
import mnInvalidate from '../../../models/mn-invalidate.ts';
import vcpuRequests from '../../../models/vcpu-requests.ts';
import { cli } from '../../cli/run-cli.ts';

describe("a variant's own parameter defaults", () => {
  it('apply to that variant only, and --set still overrides them', () => {
    expect(instantiate(vcpuRequests, { variant: 'nonatomic-ipi-reduction' }).config.params).toMatchObject({
      vcpus: 1,
      requesters: 2,
    });
    expect(instantiate(vcpuRequests, { variant: 'fixed' }).config.params).toMatchObject({
      vcpus: 2,
      requesters: 1,
    });
    expect(
      instantiate(vcpuRequests, { variant: 'nonatomic-ipi-reduction', params: { requesters: 3 } }).config
        .params,
    ).toMatchObject({ vcpus: 1, requesters: 3 });
    expect(instantiate(mnInvalidate, { variant: 'fixed' }).config.params).toMatchObject({
      notifiers: 2,
      invalidations: 0,
      faults: 0,
    });
  });

  it('are shown by list', async () => {
    const r = await cli('list');
    expect(r.stdout).toMatch(/nonatomic-ipi-reduction .*\[defaults vcpus=1 requesters=2\]/);
  });
});
