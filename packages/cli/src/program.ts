import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit';
import { registerBenchCommand } from './commands/bench';
import { registerConvertCommand } from './commands/convert';
import { registerInspectCommand } from './commands/inspect';
import { registerKeysCommand } from './commands/keys';
import { registerLsCommand } from './commands/ls';
import { registerPullCommand } from './commands/pull';
import { registerRmCommand } from './commands/rm';
import { registerRunCommand } from './commands/run';
import { registerServeCommand } from './commands/serve';
import { registerTenantsCommand } from './commands/tenants';
import { registerTokenizeCommand } from './commands/tokenize';
import { registerValidateCommand } from './commands/validate';

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
  registerConvertCommand(program);
  registerInspectCommand(program);
  registerTokenizeCommand(program);
  registerValidateCommand(program);
  registerBenchCommand(program);
  registerPullCommand(program);
  registerLsCommand(program);
  registerRmCommand(program);
  registerTenantsCommand(program);
  registerKeysCommand(program);
  registerAuditCommand(program);
  return program;
}
