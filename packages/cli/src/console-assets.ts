/**
 * Where `llmr serve` finds the web console (`@llmr/web`'s build), and whether to serve it:
 * on by default when bound to a loopback interface (only this host can open it), off
 * otherwise; `--console` / `--no-console` or LLMR_CONSOLE=1|0 decide explicitly.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, LlmrError } from '@llmr/core';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function consoleRoot(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@llmr/web/package.json');
    const root = join(dirname(manifest), 'dist');
    return existsSync(join(root, 'index.html')) ? root : undefined;
  } catch {
    return undefined;
  }
}

function fromEnvironment(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new InvalidArgumentError({
    argument: 'LLMR_CONSOLE',
    value,
    message: `LLMR_CONSOLE must be 1 or 0; got "${value}".`,
  });
}

/** The console's folder to serve, or false; `log` hears why a default one is left out. */
export function resolveConsole(
  options: { console?: boolean; host: string },
  log: (line: string) => void,
  environment: NodeJS.ProcessEnv = process.env,
): { root: string } | false {
  const explicit = options.console ?? fromEnvironment(environment.LLMR_CONSOLE);
  if (explicit === false || (explicit === undefined && !isLoopback(options.host))) return false;
  const root = consoleRoot();
  if (root) return { root };
  if (explicit)
    throw new LlmrError({
      code: 'console-missing',
      message:
        'The web console (@llmr/web) is not installed or not built; install @llmr/web, or serve without --console.',
    });
  log('web console: @llmr/web is not installed or not built; serving the API only');
  return false;
}
