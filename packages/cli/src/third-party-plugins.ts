/**
 * Third-party plugins for `llmr serve --plugin <name-or-path>` and `plugins: [...]` in the
 * router config. A plugin module contributes `loaders`, `engines`, `strategies` and
 * `stages` (named exports, or the same keys on its default export; a default export that
 * is itself one loader or engine counts too). `stages` maps a name to a middleware
 * factory, which a config then uses by that name under `pipeline:`. Names resolve from node_modules above the base directory;
 * paths may point at a package directory or at a module file.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type EngineV1,
  InvalidArgumentError,
  LlmrError,
  type LoaderV1,
  type ModelMiddlewareFactoryV1,
  type Registry,
} from '@llmr/core';
import type { RoutingStrategy } from '@llmr/router';
import { parse } from 'yaml';

export interface LoadedPlugins {
  loaders: LoaderV1[];
  engines: EngineV1[];
  strategies: RoutingStrategy[];
  stages: Record<string, ModelMiddlewareFactoryV1>;
}

/** A config file larger than this is not a router config; refuse before parsing it. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

function pluginError(specifier: string, message: string, cause?: unknown): InvalidArgumentError {
  return new InvalidArgumentError({
    argument: '--plugin',
    value: specifier,
    message,
    ...(cause === undefined ? {} : { cause }),
  });
}

const isPath = (specifier: string) =>
  specifier.startsWith('.') || isAbsolute(specifier) || specifier.startsWith('file:');

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

/** The package's ESM entry: exports["."] (import or default condition), else main, else index.js. */
async function packageEntry(directory: string, specifier: string): Promise<string> {
  let manifest: { exports?: unknown; main?: string };
  try {
    manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8'));
  } catch (error) {
    throw pluginError(
      specifier,
      `Plugin "${specifier}": ${directory} has no readable package.json (${(error as Error).message}). Pass a package directory or a .js module.`,
      error,
    );
  }
  let target: unknown = manifest.exports;
  if (target && typeof target === 'object' && '.' in target)
    target = (target as { '.': unknown })['.'];
  while (target && typeof target === 'object') {
    const conditions = target as Record<string, unknown>;
    target = conditions.import ?? conditions.node ?? conditions.default;
  }
  return join(directory, typeof target === 'string' ? target : (manifest.main ?? 'index.js'));
}

/** Turns a specifier into the absolute path of the module to import. */
export async function resolvePluginModule(
  specifier: string,
  baseDirectory: string,
): Promise<string> {
  if (isPath(specifier)) {
    const path = specifier.startsWith('file:')
      ? new URL(specifier).pathname
      : resolve(baseDirectory, specifier);
    return (await isDirectory(path)) ? packageEntry(path, specifier) : path;
  }
  for (let directory = resolve(baseDirectory); ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', specifier);
    if (await isDirectory(candidate)) return packageEntry(candidate, specifier);
    if (dirname(directory) === directory) break;
  }
  throw pluginError(
    specifier,
    `Plugin "${specifier}" is not installed in node_modules above ${baseDirectory}; run npm install ${specifier}, or pass its path.`,
  );
}

const isLoader = (value: unknown): value is LoaderV1 =>
  typeof (value as LoaderV1 | undefined)?.doLoad === 'function';
const isEngine = (value: unknown): value is EngineV1 =>
  typeof (value as EngineV1 | undefined)?.createSession === 'function';
const isStrategy = (value: unknown): value is RoutingStrategy =>
  typeof (value as RoutingStrategy | undefined)?.rank === 'function';

function listOf<T>(
  specifier: string,
  key: string,
  value: unknown,
  accepts: (item: unknown) => item is T,
): T[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  items.forEach((item, index) => {
    if (!accepts(item))
      throw pluginError(
        specifier,
        `Plugin "${specifier}": ${key}[${index}] is not a ${key.slice(0, -1)} of the @llmr/core v1 spec.`,
      );
  });
  return items as T[];
}

/** `stages`: an object of name -> factory (a function that builds a ModelMiddlewareV1 from options). */
function stagesOf(specifier: string, value: unknown): Record<string, ModelMiddlewareFactoryV1> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw pluginError(
      specifier,
      `Plugin "${specifier}": stages must be an object of name -> stage factory, e.g. { 'redact': createRedactStage }.`,
    );
  for (const [name, factory] of Object.entries(value)) {
    if (typeof factory !== 'function')
      throw pluginError(
        specifier,
        `Plugin "${specifier}": stages["${name}"] is not a stage factory (a function from options to a ModelMiddlewareV1 of @llmr/core).`,
      );
  }
  return value as Record<string, ModelMiddlewareFactoryV1>;
}

/** Imports one plugin and collects what it contributes. */
export async function loadPlugin(specifier: string, baseDirectory: string): Promise<LoadedPlugins> {
  const path = await resolvePluginModule(specifier, baseDirectory);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    if (LlmrError.isInstance(error)) throw error;
    throw pluginError(
      specifier,
      `Plugin "${specifier}" failed to import from ${path}: ${(error as Error).message}. Build it (npm run build) and check its dependencies are installed.`,
      error,
    );
  }
  const fallback = module.default as Record<string, unknown> | undefined;
  const pick = (key: string) => module[key] ?? fallback?.[key];
  const plugins: LoadedPlugins = {
    loaders: listOf(specifier, 'loaders', pick('loaders'), isLoader),
    engines: listOf(specifier, 'engines', pick('engines'), isEngine),
    strategies: listOf(specifier, 'strategies', pick('strategies'), isStrategy),
    stages: stagesOf(specifier, pick('stages')),
  };
  if (isLoader(fallback)) plugins.loaders.push(fallback);
  else if (isEngine(fallback)) plugins.engines.push(fallback);
  if (
    !plugins.loaders.length &&
    !plugins.engines.length &&
    !plugins.strategies.length &&
    !Object.keys(plugins.stages).length
  ) {
    throw pluginError(
      specifier,
      `Plugin "${specifier}" exports no loaders, engines, strategies or stages; export them as named exports (loaders, engines, strategies arrays; a stages object) or on its default export.`,
    );
  }
  return plugins;
}

/** The `plugins` of a router config file, as module paths. */
export async function configPlugins(configPath: string): Promise<string[]> {
  const info = await stat(configPath);
  if (info.size > MAX_CONFIG_BYTES) return [];
  let data: unknown;
  try {
    data = parse(await readFile(configPath, 'utf8'));
  } catch {
    // The router reports syntax errors with line numbers; nothing to add here.
    return [];
  }
  const plugins = (data as { plugins?: unknown } | null)?.plugins;
  if (!Array.isArray(plugins)) return [];
  const names = plugins.filter(
    (entry): entry is string => typeof entry === 'string' && entry.length > 0,
  );
  // Names and relative paths resolve from the config file's directory, not the cwd.
  return Promise.all(names.map((entry) => resolvePluginModule(entry, dirname(configPath))));
}

/** Loads every plugin, registers its loaders and engines, and returns its strategies and stages. */
export async function registerPlugins(
  registry: Registry,
  specifiers: readonly string[],
  baseDirectory: string,
): Promise<Pick<LoadedPlugins, 'strategies' | 'stages'>> {
  const strategies: RoutingStrategy[] = [];
  const stages: Record<string, ModelMiddlewareFactoryV1> = {};
  for (const specifier of specifiers) {
    const plugin = await loadPlugin(specifier, baseDirectory);
    for (const engine of plugin.engines) registry.registerEngine(engine);
    for (const loader of plugin.loaders) registry.registerLoader(loader);
    strategies.push(...plugin.strategies);
    for (const [name, factory] of Object.entries(plugin.stages)) {
      if (name in stages)
        throw pluginError(
          specifier,
          `Plugin "${specifier}" adds a stage "${name}" that an earlier plugin already added; remove one of the two plugins.`,
        );
      stages[name] = factory;
    }
  }
  return { strategies, stages };
}
