import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../checker/explore/bfs.ts';
import { instantiate } from '../../../checker/model/define.ts';
import type { Model } from '../../../checker/model/model.ts';
import { type RenderContext, TRACE_FORMATS } from '../../../checker/trace/formats.ts';
import { GraphTooLargeError, renderDot } from '../../../checker/trace/render-dot.ts';
import { replaySteps } from '../../../checker/trace/replay.ts';
import type { Trace } from '../../../checker/trace/trace.ts';
import { parseSaved } from '../../../checker/trace/trace-file.ts';
import vcpuRequests from '../../../models/vcpu-requests.ts';
import { cli } from '../../cli/run-cli.ts';

/**
 * Every format renders the B1 counterexample (vcpu-requests --variant no-mb-vcpu --memory tso);
 * the expected files under expected/ are the reviewed output (vitest -u rewrites them). None of
 * the formats carries a duration, so the output is the same on every run.
 */

async function b1(
  params: Record<string, number> = {},
): Promise<{ model: Model; trace: Trace; ctx: RenderContext }> {
  const model = instantiate(vcpuRequests, { variant: 'no-mb-vcpu', memory: 'tso', params });
  const r = await explore(model);
  if (r.verdict !== 'violated') throw new Error(`expected a violation, got ${r.verdict}`);
  const v = r.violation;
  return {
    model,
    trace: v.trace!,
    ctx: { model, property: v.property, kind: v.kind, description: v.description },
  };
}

const { model, trace, ctx } = await b1();
const fileName: Record<string, string> = {
  text: 'no-mb-vcpu.txt',
  'kernel-doc': 'no-mb-vcpu.kernel-doc.txt',
  markdown: 'no-mb-vcpu.md',
  mermaid: 'no-mb-vcpu.mmd',
  json: 'no-mb-vcpu.json',
  itf: 'no-mb-vcpu.itf.json',
  litmus: 'no-mb-vcpu.litmus',
};

describe('trace formats of the B1 counterexample', () => {
  it.each([...TRACE_FORMATS.keys()])('%s', async (name) => {
    const out = TRACE_FORMATS.get(name)!.render(trace, ctx);
    await expect(`${out}\n`).toMatchFileSnapshot(`./expected/${fileName[name]}`);
  });

  it('kernel-doc: a grid table of 72 columns, every row closed, the OOPS row last', () => {
    const out = TRACE_FORMATS.get('kernel-doc')!.render(trace, ctx);
    const table = out.split('\n').filter((l) => l.startsWith('+') || l.startsWith('|'));
    expect(table.length).toBeGreaterThan(20);
    for (const l of table) {
      expect(l.length, l).toBe(72);
      expect(l.endsWith('+') || l.endsWith('|'), l).toBe(true);
    }
    expect(table.filter((l) => l.startsWith('| OOPS!!!'))).toHaveLength(1);
    // one row block per run of one CPU's steps: vcpu0 (1-5), then requester0 (6-8)
    expect(table.filter((l) => /^\+-+\+-+\+$/.test(l))).toHaveLength(4);
  });

  it('json: the saved-trace format, so replay reads it back and reproduces the violation', () => {
    const data = JSON.parse(TRACE_FORMATS.get('json')!.render(trace, ctx));
    const saved = parseSaved(data, 'b1.json');
    expect(replaySteps(model, saved.steps, saved.property)).toMatchObject({
      status: 'reproduced',
      property: 'noLostRequest',
    });
    expect(data.steps[2].buffered).toEqual(['vcpu->mode[0] = IN_GUEST_MODE']);
    expect(data.initial['vcpu->mode[0]']).toBe('OUTSIDE_GUEST_MODE');
  });

  it('itf: vars, one state per step plus the initial one, ints as #bigint, arrays as sequences', () => {
    const itf = JSON.parse(TRACE_FORMATS.get('itf')!.render(trace, ctx));
    expect(itf['#meta'].format).toBe('ITF');
    expect(itf.states).toHaveLength(trace.steps.length + 1);
    for (const st of itf.states) for (const v of itf.vars) expect(st, v).toHaveProperty([v]);
    expect(itf.states[0]['vcpu->requests']).toEqual([{ '#bigint': '0' }, { '#bigint': '0' }]);
    expect(itf.states[0]['vcpu->mode']).toEqual(['OUTSIDE_GUEST_MODE', 'OUTSIDE_GUEST_MODE']);
    expect(itf.states[3].store_buffer.vcpu0).toEqual([{ var: 'vcpu->mode[0]', value: 'IN_GUEST_MODE' }]);
    expect(itf.states[8]['mbt::actionTaken']).toBe('requester0:kick');
  });

  it('mermaid: a sequence diagram whose texts carry no raw statement separator', () => {
    const out = TRACE_FORMATS.get('mermaid')!.render(trace, ctx);
    const lines = out.split('\n');
    expect(lines[0]).toBe('sequenceDiagram');
    for (const l of lines.slice(1)) expect(l.includes(';') && !l.includes('#59;'), l).toBe(false);
    expect(lines.filter((l) => /^\s+P\d+->>/.test(l))).toHaveLength(trace.steps.length);
  });

  it('litmus: the store-buffering shape, allowed under tso and forbidden under sc by the litmus runner', async () => {
    const out = TRACE_FORMATS.get('litmus')!.render(trace, ctx);
    expect(out).toMatch(/^P0\(int \*vcpu_mode_0, int \*vcpu_requests_0\) \/\/ vcpu0$/m);
    expect(out).toMatch(/^exists \(0:r0=0 \/\\ 0:r1=0 \/\\ 1:r0=0 \/\\ 1:r1=0\)$/m);
    const file = join(mkdtempSync(join(tmpdir(), 'kvmcheck-litmus-')), 'b1.litmus');
    writeFileSync(file, out);
    const tso = await cli('litmus', file, '--memory', 'tso', '--json');
    expect(JSON.parse(tso.stdout)[0].observation).toBe('Sometimes');
    const sc = await cli('litmus', file, '--memory', 'sc', '--json');
    expect(JSON.parse(sc.stdout)[0].observation).toBe('Never');
  });
});

describe('--format dot: the state graph', () => {
  it('draws a small configuration with the counterexample in red', async () => {
    const small = await b1({ vcpus: 1, entries: 1 });
    const out = renderDot(small.trace, small.ctx);
    await expect(`${out}\n`).toMatchFileSnapshot('./expected/no-mb-vcpu.vcpus1.dot');
    const red = out.split('\n').filter((l) => /^\s*s\d+ -> s\d+ /.test(l) && l.includes('color=red'));
    expect(red).toHaveLength(small.trace.steps.length);
    expect(out).toMatch(/s0 \[label=".*", peripheries=2, color=red/);
  });

  it('refuses a graph too large to read', () => {
    expect(() => renderDot(trace, ctx)).toThrow(GraphTooLargeError);
    expect(() => renderDot(trace, ctx)).toThrow(/more than 1000 states/);
  });
});
