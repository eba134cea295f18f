/** @llmr/cli — the `llmr` command, also usable as a library (`createProgram`). */
export { createDefaultRegistry } from './plugins';
export { createProgram, VERSION } from './program';
export { type RunOptions, runCommand } from './commands/run';
