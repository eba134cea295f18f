/**
 * `llmr serve`: the OpenAI-compatible server over an LLMRouter. With no model given it
 * serves the built-in default model, so it works offline on a fresh machine.
 */
import { access, constants } from 'node:fs/promises';
import { InvalidArgumentError } from '@llmr/core';
import {
  createRouter,
  createRouterFromFile,
  type LLMRouter,
  type RouterModelConfig,
} from '@llmr/router';
import { createRouterBackend, createServer, type RateLimits } from '@llmr/server';
import type { Command } from 'commander';
import { DEFAULT_MODEL_ID, ensureDefaultModel } from '../default-model';
import { type LogFormat, parseLogFormat, serverLoggerOptions } from '../log-format';
import { parseNumber } from '../output';
import { createDefaultRegistry } from '../plugins';
import { openServeGateway } from './serve-gateway';

export interface ServeOptions {
  config?: string;
  port?: number;
  host?: string;
  grpcPort?: number;
  model?: string[];
  defaultModel?: string;
  apiKey?: string[];
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  quiet?: boolean;
  logFormat?: LogFormat;
  gateway?: string | boolean;
}

/** `--model source` or `--model id=source`. */
export function parseModelFlag(flag: string): RouterModelConfig {
  const match = /^([A-Za-z0-9._-]+)=(.+)$/.exec(flag);
  if (match) return { id: match[1]!, source: match[2]! };
  const id =
    flag
      .replace(/^.*[\\/]/, '')
      .replace(/\?.*$/, '')
      .replace(/\.(gguf|onnx)$/i, '') || flag;
  return { id, source: flag };
}

async function buildRouter(
  options: ServeOptions,
  log: (line: string) => void,
): Promise<{ router: LLMRouter; defaultModel?: string }> {
  const registry = await createDefaultRegistry();
  if (options.config) {
    await access(options.config, constants.R_OK).catch((error: unknown) => {
      throw new InvalidArgumentError({
        argument: '--config',
        value: options.config,
        message: `Cannot read config file ${options.config}: ${(error as Error).message}`,
      });
    });
    const router = await createRouterFromFile(options.config, { registry, watch: true });
    return {
      router,
      defaultModel:
        options.defaultModel ?? router.listModels().find((listing) => listing.kind === 'model')?.id,
    };
  }
  const models = options.model?.length
    ? options.model.map(parseModelFlag)
    : [{ id: DEFAULT_MODEL_ID, source: await ensureDefaultModel(log) }];
  const router = createRouter({
    registry,
    models,
    aliases: models[0]!.id === DEFAULT_MODEL_ID ? { default: DEFAULT_MODEL_ID } : {},
  });
  return { router, defaultModel: options.defaultModel ?? models[0]!.id };
}

export async function serveCommand(options: ServeOptions): Promise<void> {
  if (options.grpcPort !== undefined && (options.grpcPort < 0 || options.grpcPort > 65535))
    throw new InvalidArgumentError({
      argument: '--grpc-port',
      value: options.grpcPort,
      message: `--grpc-port must be within 0-65535; got ${options.grpcPort}.`,
    });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const { router, defaultModel } = await buildRouter(options, log);
  const backend = createRouterBackend(router, { defaultModel });
  const limits: RateLimits = {
    ...(options.requestsPerMinute !== undefined
      ? { requestsPerMinute: options.requestsPerMinute }
      : {}),
    ...(options.tokensPerMinute !== undefined ? { tokensPerMinute: options.tokensPerMinute } : {}),
  };
  const gateway = await openServeGateway(options, log);
  if (gateway && options.grpcPort !== undefined) {
    await gateway.close();
    // The gateway guards the HTTP surfaces only; a gRPC port would be a way around it.
    throw new InvalidArgumentError({
      argument: '--grpc-port',
      value: options.grpcPort,
      message:
        'The gateway does not cover gRPC yet: drop --grpc-port, or turn the gateway off (gateway: { enabled: false }).',
    });
  }
  gateway?.onAlert((alert) => log(`gateway alert: ${alert.message}`));
  const server = await createServer({
    backend,
    ...(gateway ? { gateway } : { apiKeys: options.apiKey }),
    limits,
    logger: serverLoggerOptions({
      format: options.logFormat,
      level: options.quiet ? 'warn' : 'info',
      stdout: process.stdout,
    }),
  });
  await backend.preload();
  // gRPC is loaded only when asked for: its runtime stays out of plain REST serving. It
  // binds first, so that once /ready answers, both APIs are up.
  const grpc =
    options.grpcPort === undefined
      ? undefined
      : (await import('@llmr/server-grpc')).createGrpcServer(server.shared);
  const grpcPort = await grpc?.listen({
    port: options.grpcPort,
    host: options.host ?? '127.0.0.1',
  });
  const url = await server.listen({
    port: options.port ?? 8080,
    host: options.host ?? '127.0.0.1',
  });
  const names = router
    .listModels()
    .filter((listing) => listing.kind === 'model')
    .map((listing) => listing.id);
  log(
    `llmr serving ${names.join(', ')} at ${url} (ready in ${Math.round(performance.now() - started)} ms)\n` +
      `  try: curl ${url}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"auto","messages":[{"role":"user","content":"Hello"}]}'\n` +
      `  docs: ${url}/docs   metrics: ${url}/metrics` +
      (grpcPort === undefined
        ? ''
        : `\n  gRPC (llmr.v1, health, reflection) at ${options.host ?? '127.0.0.1'}:${grpcPort}`),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing in-flight requests, then stopping`);
    await Promise.all([grpc?.shutdown(), server.shutdown()]);
    await gateway?.close();
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
      'router config, JSON or YAML (models, routes, aliases, strategies; reloaded on change)',
    )
    .option('-p, --port <n>', 'port (default 8080)', parseNumber('--port', true))
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option(
      '--grpc-port <n>',
      'also serve the gRPC API (llmr.v1) on this port (0: any free one)',
      parseNumber('--grpc-port', true),
    )
    .option('-m, --model <source...>', 'models to serve: a source, or id=source')
    .option(
      '--default-model <id>',
      'the model /ready waits for and loads at start (default: the first)',
    )
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
    .option(
      '--gateway [database]',
      "tenants, keys, budgets and audit: pglite:<dir> or postgres://... (default: the config's gateway section, else pglite in LLMR_HOME)",
    )
    .option('-q, --quiet', 'log warnings and errors only')
    .option(
      '--log-format <format>',
      'pretty (readable, colored; the default on a terminal) or json (one JSON object a line; the default otherwise)',
      parseLogFormat,
    )
    .action(serveCommand);
}
