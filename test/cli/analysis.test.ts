import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { binary, cli, repoRoot } from './run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kvmcheck-cli9-'));
const patched = join(repoRoot, 'test', 'fixtures', 'patched-model.ts');
const api = pathToFileURL(join(repoRoot, 'checker', 'index.ts')).href;

describe('kvmcheck necessity', () => {
  it('marks both Dekker fences of vcpu-requests needed under tso and reports the others', async () => {
    const r = await cli('necessity', 'vcpu-requests', '--memory', 'tso');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^smp_mb +vcpu +smp_mb +removed +needed: noLostRequest violated, trace of 9 steps$/m,
    );
    expect(r.stdout).toMatch(
      /^cmpxchg +requester +kick +load; then store if equal \(2 steps\) +needed: exitingImpliesIpi/m,
    );
    expect(r.stdout).toMatch(
      /^smp_mb__before_atomic +requester +kick +removed +redundant \([\d,]+ states\)$/m,
    );
    expect(r.stdout).toMatch(/^set_bit +requester +make_request +load; then store \(2 steps\) +redundant/m);
    expect(r.stdout.match(/redundant \(/g)).toHaveLength(7);
  });

  it('--json, --property and the pairs that are needed together', async () => {
    const r = await cli('necessity', 'vcpu-requests', '--property', 'noLostRequest', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.baseline.verdict).toBe('holds');
    expect(j.operations.find((o: { operation: string }) => o.operation === 'smp_mb')).toMatchObject({
      verdict: 'needed',
      property: 'noLostRequest',
      processes: ['vcpu0', 'vcpu1'],
    });
    expect(j.neededTogether).toEqual([
      {
        operations: [
          { operation: 'set_bit', role: 'requester', label: 'make_request' },
          { operation: 'cmpxchg', role: 'requester', label: 'kick' },
        ],
        property: 'noLostRequest',
        traceLength: 12,
      },
    ]);
  });

  it('--traces shows why an operation is needed, in the chosen format', async () => {
    const r = await cli('necessity', 'vcpu-requests', '--no-pairs', '--traces', '--format', 'kernel-doc');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/without smp_mb in vcpu smp_mb \(removed\):\n\+-{70}\+/);
    expect(r.stdout).toMatch(/OOPS!!! invariant noLostRequest violated/);
  });

  it('refuses a variant that does not hold (exit 1) and bad input (exit 2)', async () => {
    const broken = await cli('necessity', 'vcpu-requests', '--variant', 'no-mb-vcpu');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/does not hold under tso: noLostRequest is violated/);
    const bad = await cli('necessity', 'vcpu-requests', '--property', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown property 'nope'/);
  });
});

describe('kvmcheck diff', () => {
  it('exit 1 with the properties that change verdict, their new counterexamples and the state counts', async () => {
    const r = await cli('diff', 'vcpu-requests', '--to', 'no-mb-vcpu');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^noLostRequest +holds +violated \(8 steps\) +changed$/m);
    expect(r.stdout).toMatch(/^kickSendsIpi +witnessed +witnessed$/m);
    expect(r.stdout).toMatch(/^reachable states +[\d,]+ +[\d,]+ \(\+[\d,]+\)$/m);
    expect(r.stdout).toMatch(/new counterexample: invariant noLostRequest/);
    expect(r.stdout).toMatch(/2 properties change verdict: 2 newly violated, 0 newly holding/);
  });

  it('exit 0 when nothing changes; two model files; --json', async () => {
    const same = await cli('diff', 'vcpu-requests', '--to', 'no-mb-vcpu', '--memory', 'sc', '--json');
    expect(same.code).toBe(0);
    const j = JSON.parse(same.stdout);
    expect(j.properties.every((p: { changed: boolean }) => !p.changed)).toBe(true);
    const files = await cli('diff', patched, patched, '--to', 'wmb-after-mode', '--json');
    expect(files.code).toBe(1);
    expect(JSON.parse(files.stdout).regressions.map((p: { property: string }) => p.property)).toContain(
      'noLostRequest',
    );
  });

  it('exit 2 without a side to compare with', async () => {
    const r = await cli('diff', 'vcpu-requests');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/name the variant to compare with --to/);
  });
});

describe('--format', () => {
  it.each([
    ['kernel-doc', /^\+-{70}\+$/m],
    ['markdown', /^\| # \| vcpu0 \| requester0 \|$/m],
    ['mermaid', /^sequenceDiagram$/m],
    ['json', /"format": "kvmcheck-trace"/],
    ['itf', /"format": "ITF"/],
    ['litmus', /^exists \(/m],
    ['text', /^1 +kvm_request_pending\(vcpu\)$/m],
  ])('check --format %s writes the trace alone on stdout, the verdict on stderr', async (format, shape) => {
    const r = await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu', '--format', format);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(shape);
    if (format !== 'text')
      expect(r.stderr).toMatch(/✗ invariant noLostRequest violated \(trace of 8 steps\)/);
  });

  it('check --format dot draws the graph of a small configuration and refuses a large one', async () => {
    const small = await cli(
      'check',
      'vcpu-requests',
      '--variant',
      'no-mb-vcpu',
      '--set',
      'vcpus=1,entries=1',
      '--format',
      'dot',
    );
    expect(small.code).toBe(1);
    expect(small.stdout).toMatch(/^digraph "vcpu-requests" \{/);
    const large = await cli('check', 'vcpu-requests', '--format', 'dot');
    expect(large.code).toBe(2);
    expect(large.stderr).toMatch(/--format dot: the state graph has more than 1000 states/);
  });

  it('no counterexample: nothing on stdout, exit 0; --json with --format is refused', async () => {
    const r = await cli('check', 'vcpu-requests', '--format', 'kernel-doc');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no counterexample to write as kernel-doc/);
    const both = await cli('check', 'vcpu-requests', '--format', 'json', '--json');
    expect(both.code).toBe(2);
  });

  it('replay --format renders a --path and a saved trace', async () => {
    const out = (await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu')).stdout;
    const line = /replay: npx kvmcheck (replay .*)/.exec(out)![1]!;
    const r = await cli(...line.split(' ').filter(Boolean), '--format', 'markdown');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\*\*✗ invariant noLostRequest violated/m);
    const file = join(tmp, 'b1.json');
    await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu', '--format', 'json').then((x) =>
      writeFileSync(file, x.stdout),
    );
    const back = await cli('replay', file, '--format', 'litmus');
    expect(back.code).toBe(1);
    expect(back.stdout).toMatch(/^C kvmcheck-vcpu-requests-no-mb-vcpu-tso$/m);
  });
});

describe('model files', () => {
  it('check ./file.ts: the replay line names the file, and a saved trace replays from it', async () => {
    const r = await cli('check', patched, '--variant', 'wmb-after-mode', '--trace-out', join(tmp, 'p.json'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^wmb-patch variant wmb-after-mode/m);
    expect(r.stdout).toContain(`replay: npx kvmcheck replay ${patched} --variant wmb-after-mode`);
    expect(JSON.parse(readFileSync(join(tmp, 'p.json'), 'utf8')).modelFile).toBe(patched);
    const back = await cli('replay', join(tmp, 'p.json'));
    expect(back.code).toBe(1);
    expect(back.stdout).toMatch(/reproduced: noLostRequest/);
  });

  it('a file whose only model is a named export is loaded too', async () => {
    const f = join(tmp, 'named.ts');
    writeFileSync(f, `export { default as model } from ${JSON.stringify(pathToFileURL(patched).href)};\n`);
    expect((await cli('check', f, '--variant', 'wmb-after-mode')).code).toBe(1);
  });

  it.each([
    ['missing.ts', null, /model file '.*missing\.ts' does not exist/],
    ['dir.ts', 'dir', /is not a file/],
    [
      'nothing.ts',
      'export const x = 1;\n',
      /exports no model: its default export must be made with defineModel\(\) or extendModel\(\)/,
    ],
    ['broken.ts', 'export default {{;\n', /cannot load model file '.*broken\.ts': /],
    [
      'two.ts',
      `import { defineModel } from ${JSON.stringify(api)};\nconst m = (name: string) => defineModel({ name, title: '', source: '', params: {}, variants: { fixed: '' }, build() {} });\nexport const a = m('a');\nexport const b = m('b');\n`,
      /exports several models \(a, b\); make the one to check its default export/,
    ],
  ])('%s: one line, exit 2', async (name, content, message) => {
    const f = join(tmp, name);
    if (content === 'dir') mkdirSync(f, { recursive: true });
    else if (content !== null) writeFileSync(f, content);
    const r = await cli('check', f);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('coverage in the check report', () => {
  it('says that every step fired, and lists the steps in --json', async () => {
    const text = await cli('check', 'vcpu-requests');
    expect(text.stdout).toMatch(/^coverage: all \d+ steps fired$/m);
    const j = JSON.parse((await cli('check', 'vcpu-requests', '--json')).stdout);
    expect(j.coverage.neverFired).toEqual([]);
    expect(j.coverage.unexercised).toEqual([]);
    expect(j.coverage.steps.length).toBeGreaterThan(20);
  });
});

describe('help and completion', () => {
  it.each([
    'list',
    'check',
    'replay',
    'gate',
    'merge',
    'litmus',
    'necessity',
    'diff',
  ])('%s --help has examples', async (command) => {
    const r = binary(command, '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n[\s\S]*kvmcheck /);
  });

  it('kvmcheck completion prints a shell completion script', () => {
    const r = binary('completion');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kvmcheck completion >> ~\/\.bashrc/);
    expect(r.stdout).toMatch(/complete -o bashdefault -o default -F _kvmcheck_yargs_completions kvmcheck/);
  });
});
