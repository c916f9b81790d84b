import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { ModelDefinitionError } from '../checker/model/compile.ts';
import { EXIT } from '../checker/report/result.ts';
import * as check from './commands/check.ts';
import * as diff from './commands/diff.ts';
import * as gate from './commands/gate.ts';
import * as list from './commands/list.ts';
import * as litmus from './commands/litmus.ts';
import * as merge from './commands/merge.ts';
import * as necessity from './commands/necessity.ts';
import * as replay from './commands/replay.ts';
import { UsageError } from './errors.ts';

/**
 * The commands, each a module in cli/commands/ exporting `register(yargs, done)`. Adding a
 * command is adding a module and one line here.
 */
const COMMANDS = [list, check, replay, gate, merge, litmus, necessity, diff];

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Runs the CLI on `argv`; returns the exit code (never throws for bad input). */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const done = (c: number) => {
    code = c;
  };
  let parser = yargs(argv)
    .scriptName('kvmcheck')
    .usage(
      '$0 <command> [options]\n\nA model checker for the concurrency protocols of the Linux KVM hypervisor.',
    );
  for (const c of COMMANDS) parser = c.register(parser, done);
  parser = parser
    .demandCommand(
      1,
      'name a command: list, check, replay, gate, necessity, diff, litmus, merge or completion',
    )
    .strict()
    .recommendCommands()
    .completion('completion', 'print a bash/zsh completion script (kvmcheck completion >> ~/.bashrc)')
    .help()
    .exitProcess(false)
    .alias('h', 'help')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await parser.parseAsync();
    return code;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`kvmcheck: ${e.message.trim().replace(/\s*\n\s*/g, ' ')}\n`);
      process.stderr.write(`run 'kvmcheck --help' for usage\n`);
      return EXIT.badInput;
    }
    if (e instanceof ModelDefinitionError) {
      process.stderr.write(`kvmcheck: model error: ${e.message}\n`);
      return EXIT.error;
    }
    process.stderr.write(`kvmcheck: internal error: ${(e as Error).message}\n`);
    return EXIT.error;
  }
}
