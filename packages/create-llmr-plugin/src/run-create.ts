/**
 * The command line: `create-llmr-plugin <name> [--kind loader] [--directory dir]`, also
 * reached as `npm init llmr-plugin <name>`. Returns the exit code.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InvalidArgumentError, LlmrError } from '@llmr/core';
import { PLUGIN_KINDS, type PluginKind, scaffoldPlugin } from './scaffold';

export const HELP = `Usage: create-llmr-plugin <name> [options]
       npm init llmr-plugin <name> -- [options]

Scaffolds an llmr plugin package typed against @llmr/core only (a strategy
also against @llmr/router's types), with its tests wired under node:test (the
conformance kit, @llmr/core/test/kit, where the kind has one) and a tsc build.

Options:
  --kind <kind>        ${PLUGIN_KINDS.join(' | ')} (default: loader)
  --directory <dir>    where to write it (default: the name without its scope)
  --core <version>     the @llmr/core version to depend on (default: this tool's)
  --router <version>   strategy: the @llmr/router version for its types (default: --core's)
  -h, --help           show this help
`;

async function ownCoreVersion(): Promise<string> {
  const url = import.meta.resolve('@llmr/core/package.json');
  const manifest = JSON.parse(await readFile(new URL(url), 'utf8')) as { version: string };
  return manifest.version;
}

export async function runCreate(
  argv: string[],
  io: { out: (text: string) => void; error: (text: string) => void },
): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        kind: { type: 'string' },
        directory: { type: 'string' },
        core: { type: 'string' },
        router: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0) {
      throw new InvalidArgumentError({
        argument: 'name',
        value: positionals.join(' '),
        message: 'Give exactly one package name, e.g. create-llmr-plugin llmr-loader-bigram.',
      });
    }
    const result = await scaffoldPlugin({
      name,
      kind: values.kind as PluginKind | undefined,
      directory: values.directory,
      coreVersion: values.core ?? (await ownCoreVersion()),
      ...(values.router ? { routerVersion: values.router } : {}),
    });
    io.out(
      `Created ${name} in ${result.directory}:\n${result.files.map((file) => `  ${file}`).join('\n')}\n\nNext: cd ${result.directory} && npm install && npm test\n`,
    );
    return 0;
  } catch (error) {
    const message = LlmrError.isInstance(error) ? error.message : String((error as Error).message);
    io.error(`create-llmr-plugin: ${message}\n(run with --help for usage)\n`);
    return 1;
  }
}
