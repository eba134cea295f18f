/**
 * `llmr serve`: the OpenAI-compatible server over an LLMRouter. With no model given it
 * serves the built-in default model, so it works offline on a fresh machine; a config
 * file may add remote upstreams (`provider: openai-compatible` or `anthropic`).
 */
import { existsSync } from 'node:fs';
import { access, constants, readFile } from 'node:fs/promises';
import { createRegistry, InvalidArgumentError } from '@llmr/core';
import type { ExperimentDefinition, GenAiMetrics } from '@llmr/observability';
import {
  createRouter,
  createRouterFromFile,
  type LLMRouter,
  loadRouterConfig,
  type RouterModelConfig,
} from '@llmr/router';
import { createRouterBackend, createServer, type RateLimits } from '@llmr/server';
import type { Command } from 'commander';
import { resolveConsole } from '../console-assets';
import { DEFAULT_MODEL_ID, ensureDefaultModel } from '../default-model';
import { type LogFormat, parseLogFormat, serverLoggerOptions } from '../log-format';
import { parseNumber } from '../output';
import { createDefaultRegistry } from '../plugins';
import { configPlugins, registerPlugins } from '../third-party-plugins';
import { checkUpstreamModels, createUpstreamProviders } from '../upstream-providers';
import { readConfigSection } from './gateway-database';
import { logConfigChanges } from './serve-config-log';
import { openServeGateway } from './serve-gateway';
import { resolveServeRedis } from './serve-redis';

export interface ServeOptions {
  config?: string;
  port?: number;
  host?: string;
  grpcPort?: number;
  model?: string[];
  /** Third-party plugin packages (names or paths), besides the config's `plugins`. */
  plugin?: string[];
  defaultModel?: string;
  apiKey?: string[];
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  redis?: string;
  redisFailMode?: 'open' | 'closed';
  quiet?: boolean;
  otelEndpoint?: string;
  otelDetail?: 'full' | 'requests';
  otelProtocol?: 'http/protobuf' | 'http/json';
  otelContextManager?: 'none' | 'async-local-storage';
  sloTarget?: number;
  alertWebhook?: string[];
  experiments?: string;
  adminKey?: string;
  logFormat?: LogFormat;
  gateway?: string | boolean;
  /** Serve the web console at `/`; undefined: on when bound to loopback. */
  console?: boolean;
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
  metrics: GenAiMetrics,
): Promise<{ router: LLMRouter; defaultModel?: string }> {
  // Every model the router loads reports GenAI spans and metrics.
  const { traceLoader } = await import('@llmr/observability');
  const plugins = await createDefaultRegistry();
  // A missing config file is reported below, by the router's own check.
  const fromConfig =
    options.config && existsSync(options.config) ? await configPlugins(options.config) : [];
  const { strategies, stages } = await registerPlugins(
    plugins,
    [...(options.plugin ?? []), ...fromConfig],
    process.cwd(),
  );
  const registry = createRegistry({
    loaders: plugins.loaders.map((loader) => traceLoader(loader, { metrics })),
    engines: [...plugins.engines],
  });
  if (options.config) {
    await access(options.config, constants.R_OK).catch((error: unknown) => {
      throw new InvalidArgumentError({
        argument: '--config',
        value: options.config,
        message: `Cannot read config file ${options.config}: ${(error as Error).message}`,
      });
    });
    // Remote models are checked before anything starts: an unset ${VAR} fails here, named.
    // Plugin strategies and stages count as known names: the config may use what its plugins add.
    const config = await loadRouterConfig(options.config, {
      strategies: strategies.map((strategy) => strategy.name),
      stages: Object.keys(stages),
    });
    checkUpstreamModels(config.models as RouterModelConfig[]);
    const router = await createRouterFromFile(options.config, {
      registry,
      providers: createUpstreamProviders(),
      strategies,
      stages,
      watch: true,
    });
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
    strategies,
    stages,
    models,
    aliases: models[0]!.id === DEFAULT_MODEL_ID ? { default: DEFAULT_MODEL_ID } : {},
  });
  return { router, defaultModel: options.defaultModel ?? models[0]!.id };
}

async function readExperiments(path: string | undefined): Promise<ExperimentDefinition[]> {
  if (!path) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InvalidArgumentError({
      argument: '--experiments',
      value: path,
      message: `Cannot read experiments file ${path}: ${(error as Error).message}. It must be a JSON array of experiments.`,
    });
  }
  if (!Array.isArray(parsed)) {
    throw new InvalidArgumentError({
      argument: '--experiments',
      value: path,
      message: `The experiments file ${path} must hold a JSON array of experiments ({ "id", "variants": [...] }).`,
    });
  }
  return parsed as ExperimentDefinition[];
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
  const experiments = await readExperiments(options.experiments);
  // Loaded here, not at the top: the other commands never pay for it.
  const { createGenAiMetrics, observeServer, setupTracing } = await import('@llmr/observability');
  // Off unless --otel-endpoint or the standard OTEL_* variables ask for it.
  const tracing = await setupTracing({
    serviceName: 'llmr',
    ...(options.otelEndpoint ? { endpoint: options.otelEndpoint } : {}),
    ...(options.otelDetail ? { detail: options.otelDetail } : {}),
    ...(options.otelProtocol ? { protocol: options.otelProtocol } : {}),
    ...(options.otelContextManager ? { contextManager: options.otelContextManager } : {}),
  });
  const genAiMetrics = createGenAiMetrics();
  const { router, defaultModel } = await buildRouter(options, log, genAiMetrics);
  if (options.config) logConfigChanges(router, options.config, log);
  const redis = resolveServeRedis({
    flag: options.redis,
    failModeFlag: options.redisFailMode,
    env: process.env.LLMR_REDIS_URL,
    ...(options.config
      ? {
          section: (await readConfigSection(options.config, 'redis')).section,
          file: options.config,
        }
      : {}),
  });
  const backend = createRouterBackend(router, { defaultModel });
  const limits: RateLimits = {
    ...(options.requestsPerMinute !== undefined
      ? { requestsPerMinute: options.requestsPerMinute }
      : {}),
    ...(options.tokensPerMinute !== undefined ? { tokensPerMinute: options.tokensPerMinute } : {}),
  };
  const gateway = await openServeGateway(options, log);
  gateway?.onAlert((alert) => log(`gateway alert: ${alert.message}`));
  const webConsole = resolveConsole(
    { console: options.console, host: options.host ?? '127.0.0.1' },
    log,
  );
  const server = await createServer({
    backend,
    console: webConsole,
    ...(gateway ? { gateway } : { apiKeys: options.apiKey }),
    limits,
    ...(redis ? { redis } : {}),
    logger: serverLoggerOptions({
      format: options.logFormat,
      level: options.quiet ? 'warn' : 'info',
      stdout: process.stdout,
    }),
  });
  const adminKey = options.adminKey ?? process.env.LLMR_ADMIN_KEY;
  await observeServer({
    server,
    router,
    genAiMetrics,
    ...(options.sloTarget !== undefined
      ? {
          slos: [
            {
              name: 'availability',
              objective: { kind: 'availability', target: options.sloTarget },
              groupBy: ['route', 'model'],
            },
          ],
        }
      : {}),
    ...(options.alertWebhook ? { alertWebhooks: options.alertWebhook } : {}),
    // The replicas that share rate limits share SLO budgets, experiments and feedback too.
    ...(options.redis || process.env.LLMR_REDIS_URL
      ? { redis: { url: (options.redis ?? process.env.LLMR_REDIS_URL)! } }
      : {}),
    experiments,
    ...(adminKey ? { isAdmin: (request) => request.headers['x-admin-key'] === adminKey } : {}),
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
      (webConsole ? `  console: ${url}/\n` : '') +
      `  docs: ${url}/docs   metrics: ${url}/metrics   SLOs: ${url}/api/slo` +
      (tracing.enabled ? '\n  tracing: exporting spans over OTLP/HTTP' : '') +
      (grpcPort === undefined
        ? ''
        : `\n  gRPC (llmr.v1, health, reflection) at ${options.host ?? '127.0.0.1'}:${grpcPort}`),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      // A second signal means "now": an operator should never have to reach for kill -9.
      log(`${signal} again: exiting without waiting for in-flight requests`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: finishing in-flight requests, then stopping`);
    await Promise.all([grpc?.shutdown(), server.shutdown()]);
    await gateway?.close();
    await tracing.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function parseFailMode(value: string): 'open' | 'closed' {
  if (value === 'open' || value === 'closed') return value;
  throw new InvalidArgumentError({
    argument: '--redis-fail-mode',
    value,
    message: `--redis-fail-mode must be open or closed, not "${value}".`,
  });
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
      '--plugin <name-or-path...>',
      'load third-party plugins: an installed package name, a package directory or a module file (also `plugins:` in the config)',
    )
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
      '--redis <url>',
      "share rate limits, circuit breakers, health, SLO budgets, experiments and feedback with other replicas through Redis (else LLMR_REDIS_URL, else the config's redis:)",
    )
    .option(
      '--redis-fail-mode <mode>',
      'while Redis is down: open (default: per-process limits) or closed (refuse rate-limited requests)',
      parseFailMode,
    )
    .option(
      '--gateway [database]',
      "tenants, keys, budgets and audit: pglite:<dir> or postgres://... (default: the config's gateway section, else pglite in LLMR_HOME)",
    )
    .option(
      '--otel-endpoint <url>',
      'export traces over OTLP/HTTP, e.g. http://127.0.0.1:4318/v1/traces (also OTEL_EXPORTER_OTLP_ENDPOINT)',
    )
    .option(
      '--otel-protocol <protocol>',
      'http/protobuf (default: half the CPU of JSON per span) or http/json (also OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL)',
      parseOtlpProtocol,
    )
    .option(
      '--otel-detail <detail>',
      'full: a span per routing decision, attempt and model call; requests: one span per request, cheaper (also LLMR_TRACING_DETAIL)',
      parseTracingDetail,
    )
    .option(
      '--otel-context-manager <manager>',
      "none (default): llmr passes each request's trace context itself; async-local-storage: also OpenTelemetry's context manager, for third-party auto-instrumentation, which slows every promise (also LLMR_TRACING_CONTEXT_MANAGER)",
      parseContextManager,
    )
    .option(
      '--slo-target <fraction>',
      'availability objective per route and model (default 0.999)',
      parseNumber('--slo-target', false),
    )
    .option('--alert-webhook <url...>', 'POST SLO burn-rate alerts to these URLs')
    .option(
      '--experiments <file>',
      'A/B experiments to run: a JSON array (see @llmr/observability)',
    )
    .option(
      '--admin-key <key>',
      'the x-admin-key that may promote or stop experiments; also LLMR_ADMIN_KEY',
    )
    .option(
      '--console',
      'serve the web console at / (the default when bound to loopback; also LLMR_CONSOLE=1)',
    )
    .option('--no-console', 'do not serve the web console (also LLMR_CONSOLE=0)')
    .option('-q, --quiet', 'log warnings and errors only')
    .option(
      '--log-format <format>',
      'pretty (readable, colored; the default on a terminal) or json (one JSON object a line; the default otherwise)',
      parseLogFormat,
    )
    .action(serveCommand);
}

/** A parser for a flag that takes one of a few words: anything else names the choices. */
function oneOf<const Choice extends string>(flag: string, choices: readonly Choice[]) {
  return (raw: string): Choice => {
    if ((choices as readonly string[]).includes(raw)) return raw as Choice;
    throw new InvalidArgumentError({
      argument: flag,
      value: raw,
      message: `${flag} must be ${choices.map((choice) => `"${choice}"`).join(' or ')}; got "${raw}".`,
    });
  };
}

const parseContextManager = oneOf('--otel-context-manager', ['none', 'async-local-storage']);
const parseOtlpProtocol = oneOf('--otel-protocol', ['http/protobuf', 'http/json']);
const parseTracingDetail = oneOf('--otel-detail', ['full', 'requests']);
