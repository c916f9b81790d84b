import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binary, cli } from './run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kvmcheck-cli-'));

describe('kvmcheck check', () => {
  it('exit 0 and the state count when the fixed protocol holds', async () => {
    const r = await cli('check', 'vcpu-requests', '--memory', 'tso', '--symmetry', 'off');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ holds/);
    expect(r.stdout).toMatch(/27,384 states/);
    const reduced = await cli('check', 'vcpu-requests', '--memory', 'tso');
    expect(reduced.stdout).toMatch(/reductions: symmetry over vcpu \(2\)/);
    expect(reduced.stdout).toMatch(/14,084 states/);
    expect(r.stdout).toMatch(/memory tso/);
  });

  it('exit 1 with a column per CPU, kernel step names, changed variables and a replay line', async () => {
    const r = await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu', '--memory', 'tso');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/vcpu0\s+requester0/);
    expect(r.stdout).toContain('WRITE_ONCE(vcpu->mode, IN_GUEST_MODE)');
    expect(r.stdout).toContain('vcpu->requests[0]: 0 -> 1');
    expect(r.stdout).toContain('invariant noLostRequest violated');
    expect(r.stdout).toMatch(
      /replay: npx kvmcheck replay vcpu-requests --variant no-mb-vcpu --memory tso .* --path [\d.]+/,
    );
  });

  it('exit 0 under sc for the same variant', async () => {
    expect((await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu', '--memory', 'sc')).code).toBe(0);
  });

  it('--json prints one object with verdict, model, variant, memory, property, stats and trace', async () => {
    const r = await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      verdict: 'violated',
      model: 'vcpu-requests',
      variant: 'no-mb-vcpu',
      memory: 'tso',
      property: 'noLostRequest',
    });
    expect(Object.keys(j.stats)).toEqual(
      expect.arrayContaining(['states', 'transitions', 'depth', 'seconds']),
    );
    expect(j.trace.steps).toHaveLength(8);
    const ok = JSON.parse((await cli('check', 'vcpu-requests', '--json')).stdout);
    expect(ok).toMatchObject({ verdict: 'holds', property: null, trace: null });
  });

  it('exit 3 (incomplete) at a bound, saying which and what was explored', async () => {
    const r = await cli('check', 'vcpu-requests', '--max-states', '1000');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/incomplete.*--max-states 1000/);
    expect(r.stdout).toMatch(/1,000 states/);
  });

  it.each([
    [['check', 'nope'], /unknown model 'nope'; models: .*vcpu-requests/],
    [
      ['check', 'vcpu-requests', '--variant', 'bogus'],
      /unknown variant 'bogus' of model vcpu-requests; variants: fixed/,
    ],
    [
      ['check', 'vcpu-requests', '--set', 'vcpus=9'],
      /bad value '9' for vcpus: expected an integer in 1\.\.6/,
    ],
    [
      ['check', 'vcpu-requests', '--set', 'cpus=2'],
      /unknown parameter 'cpus' for model vcpu-requests; it takes: vcpus/,
    ],
    [['check', 'vcpu-requests', '--set', 'vcpus'], /malformed setting 'vcpus': expected key=value/],
    [['check', 'vcpu-requests', '--memory', 'arm'], /unknown memory model 'arm'; memory models: sc, tso/],
    [
      ['check', 'vcpu-requests', '--deadlock', 'maybe'],
      /Invalid values: Argument: deadlock, Given: "maybe", Choices: "report", "off"/,
    ],
    [['check', 'vcpu-requests', '--max-states', '-5'], /bad value '-5' for --max-states/],
    [['check', 'vcpu-requests', '--property', 'nope'], /unknown property 'nope'/],
    [['frobnicate'], /Unknown argument|Unknown command|frobnicate/],
  ])('bad input %j: one line, exit 2, no stack trace', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('kvmcheck replay', () => {
  it('exit 1 when a saved trace reproduces its violation', async () => {
    const file = join(tmp, 'b1.json');
    expect((await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu', '--trace-out', file)).code).toBe(
      1,
    );
    const r = await cli('replay', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/reproduced: noLostRequest/);
  });

  it('exit 1 from the printed --path line as well', async () => {
    const out = (await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu')).stdout;
    const line = /replay: npx kvmcheck (replay .*)/.exec(out)![1]!;
    const r = await cli(...line.split(' ').filter(Boolean));
    expect(r.code).toBe(1);
  });

  it('exit 0 when the trace replays to a state that violates nothing', async () => {
    const file = join(tmp, 'b1.json');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    saved.steps = saved.steps.slice(0, 3);
    const clean = join(tmp, 'clean.json');
    writeFileSync(clean, JSON.stringify(saved));
    expect((await cli('replay', clean)).code).toBe(0);
  });

  it('exit 4 naming the step where it diverges', async () => {
    const saved = JSON.parse(readFileSync(join(tmp, 'b1.json'), 'utf8'));
    saved.steps.splice(1, 1);
    const file = join(tmp, 'diverge.json');
    writeFileSync(file, JSON.stringify(saved));
    const r = await cli('replay', file);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/diverged at step \d+/);
  });

  it('exit 2 for an unreadable or foreign file', async () => {
    const r1 = await cli('replay', join(tmp, 'missing.json'));
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/cannot read trace file .*missing\.json/);
    const foreign = join(tmp, 'foreign.json');
    writeFileSync(foreign, '{"hello": 1}');
    const r2 = await cli('replay', foreign);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/not a kvmcheck trace: field 'format'/);
  });
});

describe('kvmcheck list and the installed bin', () => {
  it('lists models with their variants and params', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/vcpu-requests/);
    expect(r.stdout).toMatch(/no-mb-vcpu/);
    expect(r.stdout).toMatch(/vcpus=1\.\.6/);
  });

  it('runs through bin/kvmcheck.js without colour when NO_COLOR is set', () => {
    const r = binary('check', 'vcpu-requests', '--variant', 'no-mb-vcpu');
    expect(r.code).toBe(1);
    expect(r.stdout.includes('\u001b[')).toBe(false);
    const bad = binary('check', 'vcpu-requests', '--set', 'vcpus=0');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')[0]).toMatch(/^kvmcheck: bad value '0' for vcpus/);
  });
});

describe('kvmcheck --version', () => {
  it('prints the package version and exits 0', () => {
    const r = binary('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
