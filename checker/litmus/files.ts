import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LitmusTest } from './ast.ts';
import { LitmusSyntaxError } from './ast.ts';
import { parseLitmus } from './parse.ts';

/** The `.litmus` files named by `paths`: files as given, directories searched recursively, sorted. */
export function litmusFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new LitmusPathError(`no such file or directory '${p}'`);
    if (st.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function walk(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  const files: string[] = [];
  const dirs: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) dirs.push(join(dir, e.name));
    else if (e.name.endsWith('.litmus')) files.push(join(dir, e.name));
  }
  return [...files, ...dirs.flatMap(walk)];
}

export class LitmusPathError extends Error {}

/** Reads and parses one file; a syntax error comes back as a value, so a run can go on. */
export function loadLitmus(file: string): { test: LitmusTest } | { error: LitmusSyntaxError } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { error: new LitmusSyntaxError(file, 0, `cannot read: ${(e as Error).message}`) };
  }
  try {
    return { test: parseLitmus(text, file) };
  } catch (e) {
    if (e instanceof LitmusSyntaxError) return { error: e };
    throw e;
  }
}
