/** @llmr/cli — the `llmr` command, also usable as a library (`createProgram`). */

export { type RunOptions, runCommand } from './commands/run';
export { DEFAULT_MODEL, type ServeOptions, serveCommand } from './commands/serve';
export { createDefaultRegistry } from './plugins';
export { createProgram, VERSION } from './program';
