/**
 * The llmr server: a Fastify app with the OpenAI-compatible API (REST + SSE), Anthropic's
 * Messages API (/v1/messages), WebSocket
 * streaming (/v1/ws), GraphQL (/graphql, subscriptions over graphql-ws), a native model
 * API, health, readiness, Prometheus metrics, OpenAPI docs, API keys, per-key rate limits,
 * and graceful shutdown. Every transport goes through one generation core; every failure
 * answers OpenAI's error shape; one request failing never touches another.
 */
import { hostname } from 'node:os';
import { LlmrError } from '@llmr/core';
import type { FastifyInstance } from 'fastify';
import { createAccess } from './access';
import { createGenerationCore } from './generation';
import { registerGraphQL } from './graphql/graphql-plugin';
import { createApp } from './http/create-app';
import { exposureWarnings, isLoopbackHost } from './http/exposure-warnings';
import { createGuard } from './http/guard';
import { plainApiKeys, registerGateway } from './http/register-gateway';
import { registerHttpHooks } from './http/register-http-hooks';
import { createMetrics } from './metrics';
import { registerAnthropicRoutes } from './routes/anthropic-routes';
import { registerConsoleRoutes } from './routes/console-routes';
import { registerModelHealthRoutes } from './routes/model-health-routes';
import { registerNativeRoutes } from './routes/native-routes';
import { registerOpenAIRoutes } from './routes/openai-routes';
import { registerOpsRoutes } from './routes/ops-routes';
import { registerTokenizerRoutes } from './routes/tokenizer-routes';
import type { LlmrServer, ServerOptions } from './server-options';
import { syncCircuits } from './shared-state/circuit-sync';
import { createSharedState, registerSharedStateMetrics } from './shared-state/create-shared-state';
import { syncModelHealth } from './shared-state/model-health-sync';
import { createStickyAssignments } from './shared-state/sticky-assignments';
import { registerWebSocketRoute } from './websocket/websocket-route';

export type { InFlightRequest } from './generation';
export type { LlmrServer, ServerOptions, ServerTimeouts } from './server-options';

const LOCALHOST_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

export async function createServer(options: ServerOptions): Promise<LlmrServer> {
  const backend = options.backend;
  let draining = false;
  const isDraining = () => draining;
  const corsOrigins = options.corsOrigins ?? [LOCALHOST_ORIGIN];
  const redisUrl = options.redis ?? process.env.LLMR_REDIS_URL;
  // The logger exists only once Fastify does; the state logs later, when Redis changes.
  let log: FastifyInstance['log'] | undefined;
  const sharedState = await createSharedState(
    typeof redisUrl === 'string' ? (redisUrl ? { url: redisUrl } : undefined) : redisUrl,
    { warn: (message) => log?.warn(message), info: (message) => log?.info(message) },
  );
  const access = createAccess({
    state: sharedState,
    onStateError: (error) => log?.warn({ err: error }, 'settling a rate-limit reservation failed'),
    apiKeys: plainApiKeys(options),
    limits: options.limits ?? {},
    isDraining,
    origins: corsOrigins === false ? [] : corsOrigins,
  });
  // Queue depth is read from the core at scrape time, so the late binding is safe.
  const metrics = createMetrics(
    () => backend.stats?.(),
    () => generations.waiting(),
  );
  registerSharedStateMetrics(metrics.registry, sharedState);
  const timeouts = options.timeouts ?? {};
  const generations = createGenerationCore({
    backend,
    metrics,
    generationTimeoutMs: timeouts.generationMs ?? 600_000,
  });
  const bodyLimit = options.bodyLimit ?? 4 * 1024 * 1024;

  const app = createApp({ bodyLimit, logger: options.logger, timeouts });
  log = app.log;
  const stopCircuitSync =
    sharedState.name === 'redis' && backend.circuits
      ? syncCircuits({ control: backend.circuits, state: sharedState })
      : () => {};
  const replica = options.replicaId ?? `${hostname()}-${process.pid}`;
  const modelHealth = backend.health
    ? syncModelHealth({
        control: backend.health,
        state: sharedState,
        replica,
        onError: (error) => log?.warn({ err: error }, 'sharing model health failed'),
      })
    : undefined;

  let loopbackOnly = false;
  await registerHttpHooks(app, {
    bodyLimit,
    corsOrigins,
    loopbackOnly: () => loopbackOnly,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
  });
  const meter = await registerGateway(app, options.gateway, {
    backend,
    sharedState,
    console: Boolean(options.console),
  });

  const guard = createGuard(access);
  registerOpenAIRoutes(app, {
    guard,
    backend,
    generations,
    writeStallMs: timeouts.writeStallMs,
  });
  await registerAnthropicRoutes(app, { guard, backend, generations });
  registerNativeRoutes(app, { guard, backend, generations });
  registerTokenizerRoutes(app, { guard, backend });
  registerModelHealthRoutes(app, {
    guard,
    replica,
    read: async () => (await modelHealth?.read()) ?? [],
  });
  registerOpsRoutes(app, {
    backend,
    metrics,
    isDraining,
    sharedState: () => sharedState.status(),
  });
  registerWebSocketRoute(app, {
    access,
    meter,
    core: generations,
    maxConcurrentPerSocket: options.maxConcurrentPerSocket,
    pingIntervalMs: timeouts.websocketPingMs,
    writeStallMs: timeouts.writeStallMs,
  });
  await registerGraphQL(app, {
    access,
    meter,
    core: generations,
    backend,
    connectionInitTimeoutMs: timeouts.graphqlConnectionInitMs,
  });
  if (options.console) await registerConsoleRoutes(app, options.console);

  return {
    app,
    metricsRegistry: metrics.registry,
    shared: { backend, core: generations, access, ...(meter ? { gateway: meter } : {}) },
    replicaId: replica,
    stickyAssignments: (stickyOptions) => createStickyAssignments(sharedState, stickyOptions),
    async listen({ port = 8080, host = '127.0.0.1' } = {}) {
      for (const warning of exposureWarnings({
        host,
        keysEnabled: access.keysEnabled || options.gateway !== undefined,
      }))
        app.log.warn(warning);
      loopbackOnly = isLoopbackHost(host);
      return app.listen({ port, host });
    },
    inFlight: () => generations.list(),
    async shutdown() {
      if (draining) return;
      draining = true;
      const deadline = Date.now() + (options.shutdownDeadlineMs ?? 10_000);
      while (generations.size > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 25));
      generations.abortAll(
        new LlmrError({ code: 'shutting-down', message: 'The server is shutting down.' }),
      );
      stopCircuitSync();
      modelHealth?.stop();
      await app.close();
      await backend.dispose();
      await sharedState.close();
    },
  };
}
