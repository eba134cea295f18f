/**
 * The llmr server: a Fastify app with the OpenAI-compatible API (REST + SSE), WebSocket
 * streaming (/v1/ws), GraphQL (/graphql, subscriptions over graphql-ws), a native model
 * API, health, readiness, Prometheus metrics, OpenAPI docs, API keys, per-key rate limits,
 * and graceful shutdown. Every transport goes through one generation core; every failure
 * answers OpenAI's error shape; one request failing never touches another.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import websocket from '@fastify/websocket';
import { LlmrError } from '@llmr/core';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type Access, createAccess } from './access';
import type { ServerBackend } from './backend';
import { createGenerationCore, type GenerationCore, type InFlightRequest } from './generation';
import { registerGraphQL } from './graphql/graphql-plugin';
import { setErrorHandlers } from './http/error-handlers';
import { createGuard } from './http/guard';
import { loggerOptions } from './http/logger-options';
import { addSecurityHeaders } from './http/security-headers';
import { createMetrics } from './metrics';
import type { RateLimits } from './rate-limiter';
import { type ConsoleOptions, registerConsoleRoutes } from './routes/console-routes';
import { registerNativeRoutes } from './routes/native-routes';
import { registerOpenAIRoutes } from './routes/openai-routes';
import { registerApiDocs, registerOpsRoutes } from './routes/ops-routes';
import { registerTokenizerRoutes } from './routes/tokenizer-routes';
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
  /** Requests one WebSocket may run at once (default 16). */
  maxConcurrentPerSocket?: number;
  /** Serve the web console (`@llmr/web`'s build) at `/`. Default: off. */
  console?: ConsoleOptions | false;
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
  const access = createAccess({
    apiKeys: options.apiKeys ?? (process.env.LLMR_API_KEYS ?? '').split(','),
    limits: options.limits ?? {},
    isDraining,
    origins: corsOrigins === false ? [] : corsOrigins,
  });
  // Queue depth is read from the core at scrape time, so the late binding is safe.
  const metrics = createMetrics(
    () => backend.stats?.(),
    () => generations.waiting(),
  );
  const generations = createGenerationCore({
    backend,
    metrics,
    charge: (client, tokens) => access.charge(client, tokens),
  });
  const bodyLimit = options.bodyLimit ?? 4 * 1024 * 1024;

  const app = Fastify({
    bodyLimit,
    logger: loggerOptions(options.logger),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    forceCloseConnections: 'idle',
  });

  addSecurityHeaders(app);
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

  const guard = createGuard(access);
  registerOpenAIRoutes(app, { guard, access, backend, generations });
  registerNativeRoutes(app, { guard, backend, generations });
  registerTokenizerRoutes(app, { guard, backend });
  registerOpsRoutes(app, { backend, metrics, isDraining });
  registerWebSocketRoute(app, {
    access,
    core: generations,
    maxConcurrentPerSocket: options.maxConcurrentPerSocket,
  });
  await registerGraphQL(app, { access, core: generations, backend });
  if (options.console) await registerConsoleRoutes(app, options.console);

  return {
    app,
    metricsRegistry: metrics.registry,
    shared: { backend, core: generations, access },
    async listen({ port = 8080, host = '127.0.0.1' } = {}) {
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
      await app.close();
      await backend.dispose();
    },
  };
}
