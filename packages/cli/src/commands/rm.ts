/**
 * `llmr rm <source> [--yes]`: removes a model from the Hugging Face cache: the whole repo
 * (`hf:org/repo`), a revision (`@rev`) or the files a source selects (`:Q4_K_M`, `/path`),
 * with the blobs nothing else links to. Asks first unless --yes.
 */
import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError, LlmrError } from '@llmr/core';
import type { RemoveHfCacheResult } from '@llmr/loader-hf';
import type { Command } from 'commander';
import { type CommandIo, formatSize, processIo } from './pull';

export interface RmCommandOptions {
  yes?: boolean;
  json?: boolean;
  cacheDir?: string;
}

export interface RmPrompt {
  /** Whether there is someone to ask. */
  interactive: boolean;
  ask(question: string): Promise<string>;
}

function terminalPrompt(): RmPrompt {
  return {
    interactive: process.stdin.isTTY === true,
    async ask(question) {
      const readline = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await readline.question(question);
      } finally {
        readline.close();
      }
    },
  };
}

export async function rmCommand(
  source: string,
  options: RmCommandOptions = {},
  io: CommandIo = processIo(),
  prompt: RmPrompt = terminalPrompt(),
): Promise<RemoveHfCacheResult | undefined> {
  const { hfCacheDir, removeHfCacheEntries } = await import('@llmr/loader-hf');
  const cacheDir = options.cacheDir ?? hfCacheDir();
  const plan = await removeHfCacheEntries(source, { cacheDir, dryRun: true });
  if (!plan.found) {
    throw new LlmrError({
      code: 'not-in-cache',
      message: `${source} is not in the cache (${cacheDir}); \`llmr ls\` shows what is.`,
    });
  }
  const what =
    plan.scope === 'repo'
      ? `all of ${plan.repo}`
      : plan.scope === 'revision'
        ? `the revision ${source.replace(/^hf:(\/\/)?/, '')} of ${plan.repo}`
        : `${plan.paths.filter((path) => path.includes('/snapshots/')).length} file(s) of ${plan.repo}`;
  const summary = `${what} (${formatSize(plan.bytes)})`;
  if (!options.yes) {
    if (!prompt.interactive) {
      throw new InvalidArgumentError({
        argument: '--yes',
        message: `llmr rm would remove ${summary} and there is no terminal to confirm on: pass --yes.`,
      });
    }
    const answer = (await prompt.ask(`Remove ${summary} from ${cacheDir}? [y/N] `))
      .trim()
      .toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      io.stderr('Nothing removed.\n');
      return undefined;
    }
  }
  const result = await removeHfCacheEntries(source, { cacheDir });
  if (options.json) io.stdout(`${JSON.stringify(result)}\n`);
  else io.stderr(`removed ${summary}\n`);
  return result;
}

export function registerRmCommand(program: Command): void {
  program
    .command('rm')
    .description(
      'Remove a model from the Hugging Face cache: hf:org/repo (all of it), @revision, or :quant / a path (some files).',
    )
    .argument('<source>', 'hf:org/repo[@revision][/path][:quant]')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print what was removed as JSON on stdout')
    .option('--cache-dir <dir>', 'cache folder (default: HF_HUB_CACHE, or $HF_HOME/hub)')
    .action(async (source: string, options: RmCommandOptions) => {
      await rmCommand(source, options);
    });
}
