/**
 * `llmr serve`: the OpenAI-compatible server. With no model given it serves the
 * built-in default model, so it works offline on a fresh machine.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@llmr/core';
import {
  createServer,
  createStaticBackend,
  type RateLimits,
  type StaticModelConfig,
} from '@llmr/server';
import type { Command } from 'commander';
import { DEFAULT_MODEL_ID, ensureDefaultModel } from '../default-model';
import { parseNumber } from '../output';
import { createDefaultRegistry } from '../plugins';

export interface ServeOptions {
  config?: string;
  port?: number;
  host?: string;
  model?: string[];
  apiKey?: string[];
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  quiet?: boolean;
}

interface ServeConfig {
  port?: number;
  host?: string;
  models?: StaticModelConfig[];
  defaultModel?: string;
  apiKeys?: string[];
  limits?: RateLimits;
}

/** The model `llmr serve` runs when given none: built on first use (see default-model.ts). */
export async function defaultModel(log: (line: string) => void): Promise<StaticModelConfig> {
  return { id: DEFAULT_MODEL_ID, source: await ensureDefaultModel(log), aliases: ['default'] };
}

async function readConfig(path: string): Promise<ServeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError({
      argument: '--config',
      value: path,
      message: `Cannot read config file ${path}: ${(error as Error).message}`,
    });
  }
  try {
    const config = JSON.parse(text) as ServeConfig;
    if (typeof config !== 'object' || config === null)
      throw new Error('the top level must be an object');
    if (
      config.models !== undefined &&
      (!Array.isArray(config.models) ||
        config.models.some(
          (model) => typeof model?.id !== 'string' || typeof model?.source !== 'string',
        ))
    ) {
      throw new Error(
        '"models" must be an array of { "id": string, "source": string, "aliases"?: string[] }',
      );
    }
    return config;
  } catch (error) {
    throw new InvalidArgumentError({
      argument: '--config',
      value: path,
      message: `Config file ${path} is invalid: ${(error as Error).message}`,
    });
  }
}

/** `--model source` or `--model id=source`. */
function parseModelFlag(flag: string): StaticModelConfig {
  const match = /^([A-Za-z0-9._:-]+)=(.+)$/.exec(flag);
  if (match && !flag.startsWith('mock:')) return { id: match[1]!, source: match[2]! };
  const id =
    flag
      .replace(/^.*[\\/]/, '')
      .replace(/\?.*$/, '')
      .replace(/\.(gguf|onnx)$/, '') || flag;
  return { id, source: flag };
}

export async function serveCommand(options: ServeOptions): Promise<void> {
  const config = options.config ? await readConfig(options.config) : {};
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const models = options.model?.length
    ? options.model.map(parseModelFlag)
    : (config.models ?? [await defaultModel(log)]);
  const registry = await createDefaultRegistry();
  const backend = createStaticBackend({ registry, models, defaultModel: config.defaultModel });
  const limits: RateLimits = {
    ...config.limits,
    ...(options.requestsPerMinute !== undefined
      ? { requestsPerMinute: options.requestsPerMinute }
      : {}),
    ...(options.tokensPerMinute !== undefined ? { tokensPerMinute: options.tokensPerMinute } : {}),
  };
  const server = await createServer({
    backend,
    apiKeys: options.apiKey ?? config.apiKeys,
    limits,
    logger: options.quiet ? { level: 'warn' } : { level: 'info' },
  });
  const started = performance.now();
  await backend.preload();
  const url = await server.listen({
    port: options.port ?? config.port ?? 8080,
    host: options.host ?? config.host ?? '127.0.0.1',
  });
  process.stderr.write(
    `llmr serving ${models.map((model) => model.id).join(', ')} at ${url} (ready in ${Math.round(performance.now() - started)} ms)\n` +
      `  try: curl ${url}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"auto","messages":[{"role":"user","content":"Hello"}]}'\n` +
      `  docs: ${url}/docs   metrics: ${url}/metrics\n`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: finishing in-flight requests, then stopping\n`);
    await server.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the OpenAI-compatible API (with no model given: the built-in default model).',
    )
    .option(
      '-c, --config <file>',
      'JSON config: { port, host, models: [{ id, source, aliases }], defaultModel, apiKeys, limits }',
    )
    .option('-p, --port <n>', 'port (default 8080)', parseNumber('--port', true))
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('-m, --model <source...>', 'models to serve: a source, or id=source')
    .option('--api-key <key...>', 'require these API keys (or sha256:<hex>); also LLMR_API_KEYS')
    .option(
      '--requests-per-minute <n>',
      'per-key request limit',
      parseNumber('--requests-per-minute', true),
    )
    .option(
      '--tokens-per-minute <n>',
      'per-key token limit',
      parseNumber('--tokens-per-minute', true),
    )
    .option('-q, --quiet', 'log warnings and errors only')
    .action(serveCommand);
}
