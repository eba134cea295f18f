/**
 * The llmr server: a Fastify app with the OpenAI-compatible API (REST + SSE), WebSocket
 * streaming (/v1/ws), GraphQL (/graphql, subscriptions over graphql-ws), a native model
 * API, health, readiness, Prometheus metrics, OpenAPI docs, API keys, per-key rate limits,
 * and graceful shutdown. Every transport goes through one generation core; every failure
 * answers OpenAI's error shape; one request failing never touches another.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import { collectStream, LlmrError } from '@llmr/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { clientOf, createAccess, sendRefusal, setClient } from './access';
import { redactApiKey } from './auth';
import type { ServerBackend } from './backend';
import { createGenerationCore, type InFlightRequest } from './generation';
import { registerGraphQL } from './graphql/graphql-plugin';
import { createMetrics } from './metrics';
import { createChunkFormatter, type OpenAIRoute } from './openai/chunks';
import { openAIError, toOpenAIError } from './openai/errors';
import {
  type OpenAIGenerationBody,
  openAICallOptions,
  openAIChunkMeta,
  openAIResponse,
} from './openai/openai-request';
import {
  type ChatCompletionBody,
  type CompletionBody,
  chatCompletionRequestSchema,
  completionRequestSchema,
  type EmbeddingBody,
  embeddingRequestSchema,
} from './openai/schemas';
import type { RateLimits } from './rate-limiter';
import { routingHeaders } from './routing';
import { sendSse } from './sse';
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
}

export interface LlmrServer {
  app: FastifyInstance;
  /** The Prometheus registry behind /metrics: add series here to publish them beside the server's. */
  metricsRegistry: Registry;
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** Stop accepting, let in-flight streams finish up to the deadline, dispose models. */
  shutdown(): Promise<void>;
  inFlight(): InFlightRequest[];
}

const SECURITY_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
} as const;

const LOCALHOST_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

export async function createServer(options: ServerOptions): Promise<LlmrServer> {
  const backend = options.backend;
  let draining = false;
  const corsOrigins = options.corsOrigins ?? [LOCALHOST_ORIGIN];
  const access = createAccess({
    apiKeys: options.apiKeys ?? (process.env.LLMR_API_KEYS ?? '').split(','),
    limits: options.limits ?? {},
    isDraining: () => draining,
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
    logger:
      options.logger === false
        ? false
        : {
            level: 'info',
            redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
            serializers: {
              // Fastify's own request fields, with an `?api_key=` (WebSocket auth) hidden.
              req: (request: FastifyRequest) => ({
                method: request.method,
                url: redactApiKey(request.url),
                host: request.host,
                remoteAddress: request.ip,
                remotePort: request.socket?.remotePort,
              }),
            },
            ...(typeof options.logger === 'object' ? options.logger : {}),
          },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    forceCloseConnections: 'idle',
  });

  // helmet's defaults (less CSP and CORP, which would break the docs page and
  // cross-origin API use), set from one precomputed object: helmet's middleware chain
  // rebuilt per request cost more than the rest of the hook pipeline.
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  if (corsOrigins !== false) {
    await app.register(cors, {
      origin: corsOrigins,
      exposedHeaders: ['x-llmr-model', 'x-llmr-strategy', 'x-llmr-attempts', 'x-request-id'],
    });
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'llmr API',
        version: '0.1.0',
        description:
          'OpenAI-compatible API served by llmr. Also: WebSocket streaming at /v1/ws and GraphQL at /graphql (see the README).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // Registered once, before mercurius, so that /v1/ws and GraphQL subscriptions share one
  // WebSocket server (mercurius reuses an existing one).
  await app.register(websocket, { options: { maxPayload: bodyLimit } });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setErrorHandler((error, request, reply) => {
    const mapped = toOpenAIError(error);
    if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    else
      request.log.info(
        { code: mapped.body.error.code, message: mapped.body.error.message },
        'request refused',
      );
    return sendRefusal(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(
        openAIError(
          404,
          `Unknown route ${request.method} ${redactApiKey(request.url)}. See /docs for the API.`,
          'invalid_request_error',
          'unknown_route',
        ).body,
      );
  });

  /** Auth and rate limits for /v1 and /api; POSTs count against the request limit. */
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    const closed = access.open();
    if (closed) return sendRefusal(reply, closed);
    const identity = access.identify(request);
    if (identity.refused) return sendRefusal(reply, identity.refused);
    setClient(request, identity.client);
    if (request.method === 'POST') {
      const refused = access.admit(identity.client);
      if (refused) return sendRefusal(reply, refused);
    }
  };

  /** Chat and completions over REST: JSON, or SSE with `stream: true`. */
  const generate = (
    request: FastifyRequest,
    reply: FastifyReply,
    route: OpenAIRoute,
    body: OpenAIGenerationBody,
  ) => {
    // A client that goes away aborts its own generation, and only that.
    const controller = new AbortController();
    let settled = false;
    reply.raw.on('close', () => {
      // 'close' also follows every normal response: only a generation still running is
      // aborted (and only then is the error built).
      if (settled || reply.raw.writableFinished || controller.signal.aborted) return;
      controller.abort(
        new LlmrError({
          code: 'client-disconnected',
          message: 'The client closed the connection.',
        }),
      );
    });
    const settle = () => {
      settled = true;
    };
    return generations
      .run(
        {
          id: request.id,
          route,
          transport: 'http',
          model: body.model,
          stream: body.stream === true,
          client: clientOf(request),
          controller,
          callOptions: (signal) => openAICallOptions(route, body, signal),
        },
        async (generation) => {
          reply.headers(routingHeaders(generation.routing));
          const meta = openAIChunkMeta(
            route,
            body,
            generation.routing.modelId,
            generation.callOptions,
          );
          if (!body.stream) {
            const result = await collectStream(generation.stream, {
              modelId: generation.routing.modelId,
            });
            return openAIResponse(meta, result);
          }
          await sendSse(reply, generation.stream, createChunkFormatter(meta));
          return reply;
        },
      )
      .finally(settle);
  };

  const v1 = { preHandler: guard };
  const errorResponses = {
    400: { $ref: 'openai-error#' },
    401: { $ref: 'openai-error#' },
    404: { $ref: 'openai-error#' },
    429: { $ref: 'openai-error#' },
  };
  app.addSchema({
    $id: 'openai-error',
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: {
          message: { type: 'string' },
          type: { type: 'string' },
          param: { type: ['string', 'null'] },
          code: { type: ['string', 'null'] },
        },
      },
    },
  });

  app.post<{ Body: ChatCompletionBody }>('/v1/chat/completions', {
    ...v1,
    schema: {
      tags: ['openai'],
      summary: 'Chat completion (stream: true for SSE)',
      body: chatCompletionRequestSchema,
      response: errorResponses,
    },
    handler: (request, reply) => generate(request, reply, 'chat', request.body),
  });

  app.post<{ Body: CompletionBody }>('/v1/completions', {
    ...v1,
    schema: {
      tags: ['openai'],
      summary: 'Raw text completion (stream: true for SSE)',
      body: completionRequestSchema,
      response: errorResponses,
    },
    handler: (request, reply) => generate(request, reply, 'completion', request.body),
  });

  app.post<{ Body: EmbeddingBody }>('/v1/embeddings', {
    ...v1,
    schema: {
      tags: ['openai'],
      summary: 'Embeddings',
      body: embeddingRequestSchema,
      response: errorResponses,
    },
    handler: async (request, reply) => {
      const body = request.body;
      const tracked = generations.track({
        id: request.id,
        route: 'embeddings',
        transport: 'http',
        model: body.model,
        stream: false,
        client: clientOf(request),
      });
      let status = 200;
      try {
        const values = typeof body.input === 'string' ? [body.input] : body.input;
        const { result, routing } = await backend.embed(body.model, {
          values,
          abortSignal: tracked.signal,
        });
        tracked.model = routing.modelId;
        reply.headers(routingHeaders(routing));
        access.charge(clientOf(request), result.usage.inputTokens);
        const data = result.embeddings.map((vector, index) => {
          let embedding = vector;
          if (body.dimensions !== undefined) {
            if (body.dimensions > vector.length) {
              throw new LlmrError({
                code: 'unsupported-functionality',
                message: `dimensions must be at most ${vector.length} for model \`${routing.modelId}\`; got ${body.dimensions}.`,
              });
            }
            const cut = vector.slice(0, body.dimensions);
            const norm = Math.hypot(...cut) || 1;
            embedding = cut.map((component) => component / norm);
          }
          return {
            object: 'embedding',
            index,
            embedding:
              body.encoding_format === 'base64'
                ? Buffer.from(Float32Array.from(embedding).buffer).toString('base64')
                : embedding,
          };
        });
        return {
          object: 'list',
          data,
          model: routing.modelId,
          usage: {
            prompt_tokens: result.usage.inputTokens,
            total_tokens: result.usage.inputTokens,
          },
        };
      } catch (error) {
        status = toOpenAIError(error).status;
        throw error;
      } finally {
        tracked.end(status);
      }
    },
  });

  const openAIModel = (model: { id: string; ownedBy?: string }) => ({
    id: model.id,
    object: 'model',
    created: 0,
    owned_by: model.ownedBy ?? 'llmr',
  });

  app.get(
    '/v1/models',
    { ...v1, schema: { tags: ['openai'], summary: 'List models' } },
    async () => {
      const models = await backend.listModels();
      return { object: 'list', data: models.map(openAIModel) };
    },
  );

  app.get<{ Params: { model: string } }>(
    '/v1/models/:model',
    { ...v1, schema: { tags: ['openai'], summary: 'One model' } },
    async (request) => {
      const model = await backend.getModel(request.params.model);
      if (!model)
        throw new LlmrError({
          code: 'model-not-found',
          message: `The model \`${request.params.model}\` does not exist.`,
        });
      return openAIModel(model);
    },
  );

  // Native API: list, inspect, load, unload, see what is in flight.
  app.get(
    '/api/models',
    { ...v1, schema: { tags: ['llmr'], summary: 'Models with their state and info' } },
    async () => ({ models: await backend.listModels() }),
  );
  app.get<{ Params: { model: string } }>(
    '/api/models/:model',
    { ...v1, schema: { tags: ['llmr'], summary: 'One model' } },
    async (request) => {
      const model = await backend.getModel(request.params.model);
      if (!model)
        throw new LlmrError({
          code: 'model-not-found',
          message: `The model \`${request.params.model}\` does not exist.`,
        });
      return model;
    },
  );
  app.post<{ Params: { model: string } }>(
    '/api/models/:model/load',
    { ...v1, schema: { tags: ['llmr'], summary: 'Load a model now' } },
    async (request) => backend.load(request.params.model),
  );
  app.post<{ Params: { model: string } }>(
    '/api/models/:model/unload',
    { ...v1, schema: { tags: ['llmr'], summary: 'Unload a model' } },
    async (request) => {
      await backend.unload(request.params.model);
      return { unloaded: request.params.model };
    },
  );
  app.get(
    '/api/inflight',
    { ...v1, schema: { tags: ['llmr'], summary: 'Requests in progress' } },
    async () => ({ requests: generations.list() }),
  );

  app.get('/health', { schema: { tags: ['ops'], summary: 'The process is up' } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/ready',
    { schema: { tags: ['ops'], summary: 'The default model is loaded' } },
    async (_request, reply) => {
      const ready = backend.isReady() && !draining;
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : draining ? 'draining' : 'loading' });
    },
  );
  app.get(
    '/metrics',
    { schema: { tags: ['ops'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerWebSocketRoute(app, {
    access,
    core: generations,
    maxConcurrentPerSocket: options.maxConcurrentPerSocket,
  });
  await registerGraphQL(app, { access, core: generations, backend });

  return {
    app,
    metricsRegistry: metrics.registry,
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
