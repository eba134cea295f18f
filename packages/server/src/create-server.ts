/**
 * The llmr server: a Fastify app with the OpenAI-compatible API (REST + SSE), Anthropic's
 * Messages API (/v1/messages), WebSocket
 * streaming (/v1/ws), GraphQL (/graphql, subscriptions over graphql-ws), a native model
 * API, health, readiness, Prometheus metrics, OpenAPI docs, API keys, per-key rate limits,
 * and graceful shutdown. Every transport goes through one generation core; every failure
 * answers OpenAI's error shape; one request failing never touches another.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import websocket from '@fastify/websocket';
import { LlmrError } from '@llmr/core';
import type { Gateway } from '@llmr/gateway';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type Access, createAccess } from './access';
import type { ServerBackend } from './backend';
import { createGenerationCore, type GenerationCore, type InFlightRequest } from './generation';
import { registerGraphQL } from './graphql/graphql-plugin';
import { addBrowserGuard } from './http/browser-guard';
import { setErrorHandlers } from './http/error-handlers';
import { exposureWarnings, isLoopbackHost } from './http/exposure-warnings';
import { createGuard } from './http/guard';
import { loggerOptions } from './http/logger-options';
import { plainApiKeys, registerGateway } from './http/register-gateway';
import { addSecurityHeaders } from './http/security-headers';
import { createMetrics } from './metrics';
import type { RateLimits } from './rate-limiter';
import { registerAnthropicRoutes } from './routes/anthropic-routes';
import { type ConsoleOptions, registerConsoleRoutes } from './routes/console-routes';
import { registerNativeRoutes } from './routes/native-routes';
import { registerOpenAIRoutes } from './routes/openai-routes';
import { registerApiDocs, registerOpsRoutes } from './routes/ops-routes';
import { registerTokenizerRoutes } from './routes/tokenizer-routes';
import { syncCircuits } from './shared-state/circuit-sync';
import {
  createSharedState,
  type RedisOptions,
  registerSharedStateMetrics,
} from './shared-state/create-shared-state';
import { registerWebSocketRoute } from './websocket/websocket-route';

export type { InFlightRequest } from './generation';

export interface ServerOptions {
  backend: ServerBackend;
  /** API keys (raw or `sha256:<hex>`). Empty: no auth. Default: LLMR_API_KEYS (comma-separated). */
  apiKeys?: string[];
  limits?: RateLimits;
  /** Maximum request body in bytes (default 4 MiB). */
  bodyLimit?: number;
  /** Allowed CORS origins; default: localhost and 127.0.0.1 on any port only. `false`: no CORS. */
  corsOrigins?: (string | RegExp)[] | false;
  /** pino logger options, or false for none (default: info level JSON logs). */
  logger?: boolean | Record<string, unknown>;
  /** How long shutdown waits for in-flight streams before aborting them (default 10 s). */
  shutdownDeadlineMs?: number;
  /**
   * Host names to answer for when listening on loopback, besides localhost and loopback
   * addresses (other names are refused: DNS rebinding). Default none.
   */
  allowedHosts?: string[];
  /** Requests one WebSocket may run at once (default 16). */
  maxConcurrentPerSocket?: number;
  /** Serve the web console (`@llmr/web`'s build) at `/`. Default: off. */
  console?: ConsoleOptions | false;
  /**
   * Tenants, virtual keys, scopes, limits, budgets, usage and audit (`@llmr/gateway`). It
   * replaces `apiKeys`: every route but health, readiness and the docs needs a gateway key.
   */
  gateway?: Gateway;
  /**
   * Share rate limits and circuit breakers with other replicas through Redis (a URL, or
   * options). Default: LLMR_REDIS_URL; without either, state stays in this process.
   */
  redis?: string | RedisOptions;
  timeouts?: ServerTimeouts;
}

/** Every wait a client or a model can impose on the server is bounded. */
export interface ServerTimeouts {
  /** Receiving one whole request (headers and body). Default 30 s. */
  requestMs?: number;
  /** Receiving the request headers. Default 15 s. */
  headersMs?: number;
  /** An idle socket (no bytes either way). Default 120 s. */
  connectionMs?: number;
  /** An idle keep-alive connection between requests. Default 5 s. */
  keepAliveMs?: number;
  /** Open connections at once; more are refused. Default 4096. */
  maxConnections?: number;
  /** One generation, start to end (queueing included). Default 600 s. */
  generationMs?: number;
  /** An SSE write waiting on a client that stopped reading. Default 30 s. */
  writeStallMs?: number;
  /** WebSocket ping interval; a peer that misses one pong is disconnected. Default 30 s. */
  websocketPingMs?: number;
}

export interface LlmrServer {
  app: FastifyInstance;
  /** The Prometheus registry behind /metrics: add series here to publish them beside the server's. */
  metricsRegistry: Registry;
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** Stop accepting, let in-flight streams finish up to the deadline, dispose models. */
  shutdown(): Promise<void>;
  inFlight(): InFlightRequest[];
  /**
   * What other transports beside this app (the gRPC server) share with it: the backend,
   * the one generation core (in-flight list, metrics, usage) and the access rules (API
   * keys, rate limits, draining).
   */
  readonly shared: { backend: ServerBackend; core: GenerationCore; access: Access };
}

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

  const app = Fastify({
    bodyLimit,
    logger: loggerOptions(options.logger),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    forceCloseConnections: 'idle',
    requestTimeout: timeouts.requestMs ?? 30_000,
    connectionTimeout: timeouts.connectionMs ?? 120_000,
    keepAliveTimeout: timeouts.keepAliveMs ?? 5_000,
  });
  app.server.headersTimeout = timeouts.headersMs ?? 15_000;
  app.server.maxConnections = timeouts.maxConnections ?? 4096;
  log = app.log;
  const stopCircuitSync =
    sharedState.name === 'redis' && backend.circuits
      ? syncCircuits({ control: backend.circuits, state: sharedState })
      : () => {};

  addSecurityHeaders(app);
  let loopbackOnly = false;
  addBrowserGuard(app, {
    loopbackOnly: () => loopbackOnly,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
  });
  if (corsOrigins !== false) {
    await app.register(cors, {
      origin: corsOrigins,
      exposedHeaders: ['x-llmr-model', 'x-llmr-strategy', 'x-llmr-attempts', 'x-request-id'],
    });
  }
  await registerApiDocs(app);
  // Registered once, before mercurius, so that /v1/ws and GraphQL subscriptions share one
  // WebSocket server (mercurius reuses an existing one).
  await app.register(websocket, { options: { maxPayload: bodyLimit } });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  setErrorHandlers(app);
  await registerGateway(app, options.gateway);

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
  registerOpsRoutes(app, {
    backend,
    metrics,
    isDraining,
    sharedState: () => sharedState.status(),
  });
  registerWebSocketRoute(app, {
    access,
    core: generations,
    maxConcurrentPerSocket: options.maxConcurrentPerSocket,
    pingIntervalMs: timeouts.websocketPingMs,
  });
  await registerGraphQL(app, { access, core: generations, backend });
  if (options.console) await registerConsoleRoutes(app, options.console);

  return {
    app,
    metricsRegistry: metrics.registry,
    shared: { backend, core: generations, access },
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
      await app.close();
      await backend.dispose();
      await sharedState.close();
    },
  };
}
