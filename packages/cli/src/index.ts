/** @llmr/cli — the `llmr` command, also usable as a library (`createProgram`). */

export { type RunOptions, runCommand } from './commands/run';
export { parseModelFlag, type ServeOptions, serveCommand } from './commands/serve';
export { DEFAULT_MODEL_ID, ensureDefaultModel, llmrHome } from './default-model';
export { createDefaultRegistry } from './plugins';
export { createProgram, VERSION } from './program';
