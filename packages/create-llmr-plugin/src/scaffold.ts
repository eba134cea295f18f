/**
 * Writes a plugin package into a new directory: a loader, an engine, a provider (a loader
 * whose models call an upstream) or a pipeline stage, typed against @llmr/core alone, or a
 * routing strategy, typed against @llmr/router (an optional peer, for types only).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError } from '@llmr/core';
import { pluginNames } from './plugin-names';
import { engineFiles, engineReadme } from './templates/engine-template';
import { loaderFiles, loaderReadme } from './templates/loader-template';
import { packageFiles } from './templates/package-files';
import { providerFiles, providerReadme } from './templates/provider-template';
import { stageFiles, stageReadme } from './templates/stage-template';
import { strategyFiles, strategyReadme } from './templates/strategy-template';

export const PLUGIN_KINDS = ['loader', 'engine', 'provider', 'strategy', 'stage'] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

const TEMPLATES = {
  loader: { files: loaderFiles, readme: loaderReadme, testFile: 'dist/loader.test.js' },
  stage: { files: stageFiles, readme: stageReadme, testFile: 'dist/stage.test.js' },
  engine: { files: engineFiles, readme: engineReadme, testFile: 'dist/engine.test.js' },
  provider: {
    files: providerFiles,
    readme: providerReadme,
    testFile: 'dist/provider.test.js',
  },
  strategy: { files: strategyFiles, readme: strategyReadme, testFile: 'dist/strategy.test.js' },
} satisfies Record<PluginKind, unknown>;

export interface ScaffoldOptions {
  /** The npm package name, e.g. llmr-loader-bigram or @acme/llmr-loader-bigram. */
  name: string;
  kind?: PluginKind;
  /** The directory to create; defaults to the name without its scope, under the cwd. */
  directory?: string;
  /** The @llmr/core version the plugin depends on (a caret range of it). */
  coreVersion: string;
  /** For `strategy`: the @llmr/router version whose types it uses (default: coreVersion). */
  routerVersion?: string;
}

export interface ScaffoldResult {
  directory: string;
  files: string[];
}

export async function scaffoldPlugin(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const kind = options.kind ?? 'loader';
  if (!PLUGIN_KINDS.includes(kind)) {
    throw new InvalidArgumentError({
      argument: '--kind',
      value: kind,
      message: `Unknown plugin kind "${kind}"; use one of ${PLUGIN_KINDS.join(', ')}.`,
    });
  }
  const template = TEMPLATES[kind];
  const names = pluginNames(options.name);
  const directory = resolve(options.directory ?? names.directoryName);
  const existing = await readdir(directory).catch(() => []);
  if (existing.length > 0) {
    throw new InvalidArgumentError({
      argument: 'directory',
      value: directory,
      message: `${directory} already exists and is not empty; pick a new name or --directory.`,
    });
  }
  const files = {
    ...packageFiles({
      names,
      kind,
      coreVersion: options.coreVersion,
      ...(kind === 'strategy'
        ? { typePeers: { '@llmr/router': options.routerVersion ?? options.coreVersion } }
        : {}),
      readme: template.readme(names),
      testFile: template.testFile,
    }),
    ...template.files(names),
  };
  for (const [path, content] of Object.entries(files)) {
    const target = join(directory, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return { directory, files: Object.keys(files).sort() };
}
