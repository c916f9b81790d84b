import { Chalk } from 'chalk';
import { PLAIN, type Style } from '../checker/trace/render-text.ts';

/** Colour only on a TTY and never with NO_COLOR set (https://no-color.org). */
export function makeStyle(stream: NodeJS.WriteStream): Style {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  if (noColor || !stream.isTTY) return PLAIN;
  const c = new Chalk({ level: 1 });
  return { bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan };
}
