import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../cli/run-cli.ts';

/**
 * docs/tutorial.md, run as written: its ```ts blocks are written to the files their first line
 * names, its ```sh blocks run in order with bash in a project directory outside the repository,
 * each command's exit code must be the one written after it (`# exit N`, else 0), and every line
 * of a ```text block must appear in the output of the command just before it. The setup block
 * (```sh setup: npm install) is replaced by linking this checkout in as node_modules/kvmcheck.
 */

interface Block {
  readonly lang: string;
  readonly body: string;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const re = /^```([^\n]*)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown))
    out.push({ lang: m[1]!.trim(), body: m[2]! });
  return out;
}

const tutorial = readFileSync(join(repoRoot, 'docs', 'tutorial.md'), 'utf8');
const project = mkdtempSync(join(tmpdir(), 'kvmcheck-tutorial-'));

/** What `npm install --save-dev kvmcheck vitest` leaves behind, made of links to this checkout. */
function setUpProject(): void {
  writeFileSync(join(project, 'package.json'), '{ "name": "my-check", "private": true, "type": "module" }\n');
  mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(repoRoot, join(project, 'node_modules', 'kvmcheck'));
  symlinkSync(join(repoRoot, 'node_modules', 'vitest'), join(project, 'node_modules', 'vitest'));
  symlinkSync('../kvmcheck/bin/kvmcheck.js', join(project, 'node_modules', '.bin', 'kvmcheck'));
  symlinkSync('../vitest/vitest.mjs', join(project, 'node_modules', '.bin', 'vitest'));
}

function run(command: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', command], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1', npm_config_update_notifier: 'false' },
    timeout: 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('docs/tutorial.md', () => {
  const all = blocks(tutorial);

  it('has the blocks the test relies on', () => {
    expect(all.filter((b) => b.lang === 'sh setup')).toHaveLength(1);
    expect(all.filter((b) => b.lang === 'ts').length).toBeGreaterThanOrEqual(2);
    expect(all.filter((b) => b.lang === 'sh').length).toBeGreaterThanOrEqual(5);
  });

  it('runs as written, each command with its exit code and output', { timeout: 600_000 }, () => {
    setUpProject();
    let last: { command: string; stdout: string } | null = null;
    for (const b of all) {
      if (b.lang === 'ts') {
        const name = /^\/\/ (\S+\.ts)\n/.exec(b.body)?.[1];
        expect(name, `a ts block must start with // <file>.ts:\n${b.body}`).toBeDefined();
        writeFileSync(join(project, name!), b.body);
      } else if (b.lang === 'sh') {
        for (const line of b.body.split('\n')) {
          if (line.trim() === '' || line.trim().startsWith('#')) continue;
          const want = Number(/#\s*exit (\d+)\s*$/.exec(line)?.[1] ?? 0);
          const command = line.replace(/\s+#\s*exit \d+\s*$/, '');
          const r = run(command);
          expect(r.code, `\`${command}\` exited ${r.code}:\n${r.stdout}\n${r.stderr}`).toBe(want);
          last = { command, stdout: r.stdout };
        }
      } else if (b.lang === 'text') {
        expect(last, 'a text block follows the command whose output it shows').not.toBeNull();
        // columns may widen or narrow: compare with runs of spaces folded
        const fold = (l: string) => l.replace(/\s+/g, ' ').trim();
        const lines = last!.stdout.split('\n').map(fold);
        for (const want of b.body.split('\n')) {
          if (want.trim() === '' || want.trim() === '...') continue;
          expect(
            lines,
            `output of \`${last!.command}\` lacks the line:\n${want}\n\n${last!.stdout}`,
          ).toContain(fold(want));
        }
      }
    }
  });
});
