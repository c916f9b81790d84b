import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../cli/run-cli.ts';

/**
 * The package as a user gets it: `npm pack`, then `npm install` of the tarball in a project
 * outside this repository (its dependencies, tsx among them, come from the registry or npm's
 * cache), `npx kvmcheck`, a model file importing 'kvmcheck', and `kvmcheck/vitest` in a test.
 */

const dir = mkdtempSync(join(tmpdir(), 'kvmcheck-pack-'));
const project = join(dir, 'project');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false' },
    timeout: 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const MODEL = `import { extendModel } from 'kvmcheck';
import { smp_wmb } from 'kvmcheck/kernel';
import vcpuRequests from 'kvmcheck/models/vcpu-requests';

export default extendModel(vcpuRequests, {
  name: 'my-change',
  variants: {
    'wmb-after-mode': {
      description: 'smp_wmb() instead of smp_mb()',
      patch(m) {
        for (const v of m.role('vcpu')) v.replace('smp_mb', 'smp_wmb()', (c) => smp_wmb(c));
      },
    },
  },
});
`;

const TEST = `import { check } from 'kvmcheck/vitest';
import { expect, it } from 'vitest';
import myChange from './my-change.ts';

it('the patch loses a request, the fixed protocol does not', async () => {
  expect(await check(myChange, { variant: 'wmb-after-mode' })).toBeViolated('noLostRequest');
  expect(await check(myChange, { variant: 'fixed' })).toHold();
});
`;

describe('npm pack', () => {
  let tarball = '';

  it('packs the bin, the sources (types), the models, the scenarios and the docs, and nothing else', () => {
    const r = sh('npm', ['pack', '--json', '--pack-destination', dir], repoRoot);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout)[0] as { filename: string; files: { path: string }[] };
    tarball = join(dir, info.filename);
    const paths = info.files.map((f) => f.path);
    for (const p of [
      'bin/kvmcheck.js',
      'cli/main.ts',
      'checker/index.ts',
      'checker/vitest.ts',
      'checker/kernel/index.ts',
      'models/vcpu-requests.ts',
      'models/index.ts',
      'docs/tutorial.md',
      'package.json',
    ])
      expect(paths).toContain(p);
    expect(paths.some((p) => p.endsWith('.json') && p.startsWith('scenarios/'))).toBe(true);
    expect(paths.filter((p) => /^(test|bench|\.scratch|node_modules)\//.test(p))).toEqual([]);
  });

  it('installs in a project elsewhere, where npx kvmcheck, model files and kvmcheck/vitest work', {
    timeout: 600_000,
  }, () => {
    expect(tarball).not.toBe('');
    sh('mkdir', ['-p', project], dir);
    writeFileSync(
      join(project, 'package.json'),
      '{ "name": "project", "private": true, "type": "module" }\n',
    );
    const install = sh('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], project);
    expect(install.code, install.stderr).toBe(0);

    const list = sh('npx', ['--no-install', 'kvmcheck', 'list'], project);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^vcpu-requests {2}/m);

    writeFileSync(join(project, 'my-change.ts'), MODEL);
    const check = sh(
      'npx',
      ['--no-install', 'kvmcheck', 'check', './my-change.ts', '--variant', 'wmb-after-mode'],
      project,
    );
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toMatch(/✗ invariant noLostRequest violated/);

    // vitest is the project's own dev dependency; this checkout's copy stands in for it
    symlinkSync(join(repoRoot, 'node_modules', 'vitest'), join(project, 'node_modules', 'vitest'));
    writeFileSync(join(project, 'my-change.test.ts'), TEST);
    const test = sh(
      process.execPath,
      [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run'],
      project,
    );
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/1 passed/);
  });
});
