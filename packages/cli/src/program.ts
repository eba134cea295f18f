import { Command } from 'commander';
import { registerRunCommand } from './commands/run';
import { registerServeCommand } from './commands/serve';

export const VERSION = '0.1.0';

/** The `llmr` program with every command registered. */
export function createProgram(): Command {
  const program = new Command()
    .name('llmr')
    .description(
      'llmr: run, route and serve LLMs of every common format from one TypeScript stack.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)');
  registerRunCommand(program);
  registerServeCommand(program);
  return program;
}
