import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './run-cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'kvmcheck-random-'));
const B1 = ['vcpu-requests', '--variant', 'no-mb-vcpu', '--memory', 'tso', '--set', 'vcpus=3'];

/** The arguments of the `reproduce:` line a run ends with. */
function reproduceArgs(stdout: string): string[] {
  const last = stdout.trimEnd().split('\n').at(-1)!;
  expect(last).toMatch(/^reproduce: npx kvmcheck check /);
  return last.replace(/^reproduce: npx kvmcheck /, '').split(' ');
}

const tableOf = (stdout: string) => stdout.slice(stdout.indexOf('\n\n'), stdout.indexOf('✗'));

describe('kvmcheck check --mode random', () => {
  it('exit 1 with the shrunk trace, raw and shrunk lengths, and the seed and path last', async () => {
    const out = join(tmp, 'b1.json');
    const r = await cli('check', ...B1, '--mode', 'random', '--seed', '42', '--trace-out', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/random search, uniform, seed 42: [\d,]+ walks/);
    expect(r.stdout).toContain('invariant noLostRequest violated');
    expect(r.stdout).toMatch(/walk \d+ hit it after \d+ steps .*; shrunk to 8 steps, 1 context switch/);
    expect(r.stdout).toMatch(/replay: npx kvmcheck replay vcpu-requests .* --path [\d.]+/);
    const args = reproduceArgs(r.stdout);
    expect(args.join(' ')).toMatch(/--mode random --seed 42 --path \d+$/);
    // the reproduce line reruns that walk alone and prints the same trace
    const again = await cli(...args);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/: 1 walks/);
    expect(tableOf(again.stdout)).toBe(tableOf(r.stdout));
    // the shrunk trace is a normal trace file
    const saved = JSON.parse(readFileSync(out, 'utf8'));
    expect(saved).toMatchObject({ format: 'kvmcheck-trace', property: 'noLostRequest' });
    expect(saved.steps).toHaveLength(8);
    const rep = await cli('replay', out);
    expect(rep.code).toBe(1);
    expect(rep.stdout).toMatch(/reproduced: noLostRequest is violated/);
  });

  it('exit 3 on the fixed protocol: incomplete, never holds, with coverage', async () => {
    const r = await cli('check', 'vcpu-requests', '--mode', 'random', '--seed', '1', '--runs', '300');
    expect(r.code).toBe(3);
    expect(r.stdout).not.toMatch(/holds:/);
    expect(r.stdout).toMatch(/incomplete.*300 random walks.*a random search proves nothing/);
    expect(r.stdout).toMatch(/coverage: [\d,]+ distinct states; \d+ of \d+ steps fired/);
    expect(r.stdout).toMatch(/reachable: kickSendsIpi witnessed/);
    expect(reproduceArgs(r.stdout).join(' ')).toMatch(/--seed 1 --runs 300$/);
  });

  it('--strategy pct --depth-bound k, and --json with search, coverage and counterexample', async () => {
    const r = await cli(
      'check',
      ...B1,
      '--mode',
      'random',
      '--strategy',
      'pct',
      '--depth-bound',
      '2',
      '--seed',
      '3',
      '--json',
    );
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ verdict: 'violated', property: 'noLostRequest', mode: 'random' });
    expect(j.random.search).toMatchObject({ strategy: 'pct', depthBound: 2, seed: 3 });
    expect(j.random.counterexample.shrunkLength).toBe(j.trace.steps.length);
    expect(j.random.counterexample.rawLength).toBeGreaterThanOrEqual(j.random.counterexample.shrunkLength);
    expect(j.random.reproduce).toMatch(/--strategy pct --depth-bound 2 --seed 3 --path \d+/);
  });

  it('a swarm: shards run disjoint walks and merge reports the first violation and combined coverage', async () => {
    const files: string[] = [];
    for (const i of [1, 2, 3]) {
      const r = await cli(
        'check',
        'vcpu-requests',
        '--mode',
        'random',
        '--runs',
        '200',
        '--seed',
        '9',
        '--shard',
        `${i}/3`,
        '--json',
      );
      expect(r.code).toBe(3);
      const f = join(tmp, `shard${i}.json`);
      writeFileSync(f, r.stdout);
      files.push(f);
    }
    const seeds = files.map((f) => JSON.parse(readFileSync(f, 'utf8')).random.search.fastCheckSeed);
    expect(new Set(seeds).size).toBe(3);
    const m = await cli('merge', ...files, '--json');
    expect(m.code).toBe(3);
    const j = JSON.parse(m.stdout);
    expect(j.verdict).toBe('incomplete');
    expect(j.random.search.walks).toBe(600);
    const text = await cli('merge', ...files);
    expect(text.stdout).toMatch(/combined: 600 walks/);

    const bad: string[] = [];
    for (const i of [2, 1]) {
      const r = await cli('check', ...B1, '--mode', 'random', '--seed', '9', '--shard', `${i}/2`, '--json');
      expect(r.code).toBe(1);
      const f = join(tmp, `bad${i}.json`);
      writeFileSync(f, r.stdout);
      bad.push(f);
    }
    const mb = await cli('merge', ...bad);
    expect(mb.code).toBe(1);
    expect(mb.stdout).toMatch(/first violation: shard 1\/2/);
    expect(mb.stdout).toContain('WRITE_ONCE(vcpu->mode, IN_GUEST_MODE)');
    expect(mb.stdout).toMatch(/reproduce: npx kvmcheck check .* --mode random --seed \d+ --path \d+/);
    const mixed = await cli('merge', files[0]!, bad[0]!);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/not the configuration of/);
  });

  it('bad input: one line naming the value and what is allowed, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--mode', 'random', '--shard', '0/2'], /bad value '0\/2' for --shard: expected i\/N/],
      [['--mode', 'random', '--seed', 'abc'], /bad value 'abc' for --seed/],
      [['--mode', 'random', '--runs', '0'], /bad value '0' for --runs/],
      [['--runs', '10'], /--runs applies only to --mode random/],
      [['--mode', 'random', '--depth-bound', '2'], /--depth-bound applies only to --strategy pct/],
      [['--mode', 'random', '--path', '3'], /--path needs the --seed/],
      [['--mode', 'random', '--max-states', '10'], /--max-states applies only to --mode exhaustive/],
      [['--mode', 'random', '--strategy', 'dfs'], /strategy.*Choices: "uniform", "pct"/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli('check', 'vcpu-requests', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.split('\n')[0]).not.toMatch(/at .*\.ts/);
    }
    const m = await cli('merge', join(tmp, 'nope.json'));
    expect(m.code).toBe(2);
    const notRandom = join(tmp, 'bfs.json');
    writeFileSync(
      notRandom,
      (await cli('check', 'vcpu-requests', '--variant', 'no-mb-vcpu', '--json')).stdout,
    );
    const m2 = await cli('merge', notRandom);
    expect(m2.code).toBe(2);
    expect(m2.stderr).toMatch(/not the result of a random run/);
  });
});
