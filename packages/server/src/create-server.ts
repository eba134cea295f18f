/**
 * The llmr server: a Fastify app with the OpenAI-compatible API (REST + SSE), a native
 * model API, health, readiness, Prometheus metrics, OpenAPI docs, API keys, per-key rate
 * limits, and graceful shutdown. Every failure answers OpenAI's error shape; one request
 * failing never touches another.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  collectStream,
  LlmrError,
  type ModelV1CallOptions,
  type ModelV1StreamPart,
  validateCallOptions,
} from '@llmr/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createApiKeyStore, presentedKey } from './auth';
import type { RoutingInfo, ServerBackend } from './backend';
import { createMetrics } from './metrics';
import { observeStream } from './observe-stream';
import {
  chatCallOptions,
  chatCompletionResponse,
  completionCallOptions,
  completionResponse,
  openAIChatLogprobs,
  openAICompletionLogprobs,
  openAIFinishReason,
  openAIUsage,
} from './openai/convert';
import { openAIError, toOpenAIError } from './openai/errors';
import {
  type ChatCompletionBody,
  type CompletionBody,
  chatCompletionRequestSchema,
  completionRequestSchema,
  type EmbeddingBody,
  embeddingRequestSchema,
} from './openai/schemas';
import { createRateLimiter, type RateLimits } from './rate-limiter';
import { writeEvent } from './sse';

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
}

export interface InFlightRequest {
  id: string;
  route: string;
  model: string;
  startedAt: number;
  stream: boolean;
  /** True until the first token: queued for a model, a sequence, or a prompt's prefill. */
  waiting: boolean;
}

export interface LlmrServer {
  app: FastifyInstance;
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** Stop accepting, let in-flight streams finish up to the deadline, dispose models. */
  shutdown(): Promise<void>;
  inFlight(): InFlightRequest[];
}

const LOCALHOST_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

function setRoutingHeaders(reply: FastifyReply, routing: RoutingInfo) {
  reply.header('x-llmr-model', routing.modelId);
  if (routing.strategy) reply.header('x-llmr-strategy', routing.strategy);
  reply.header('x-llmr-attempts', String((routing.attempts?.length ?? 0) + 1));
  if (routing.cached) reply.header('x-llmr-cache', 'hit');
}

export async function createServer(options: ServerOptions): Promise<LlmrServer> {
  const backend = options.backend;
  const keys = createApiKeyStore(options.apiKeys ?? (process.env.LLMR_API_KEYS ?? '').split(','));
  const limiter = createRateLimiter(options.limits ?? {});
  const inFlight = new Map<string, InFlightRequest & { controller: AbortController }>();
  const metrics = createMetrics(
    () => backend.stats?.(),
    () => [...inFlight.values()].filter((entry) => entry.waiting).length,
  );
  let draining = false;

  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    logger:
      options.logger === false
        ? false
        : {
            level: 'info',
            redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
            ...(typeof options.logger === 'object' ? options.logger : {}),
          },
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    forceCloseConnections: 'idle',
  });

  await app.register(helmet, { contentSecurityPolicy: false, crossOriginResourcePolicy: false });
  if (options.corsOrigins !== false) {
    await app.register(cors, {
      origin: options.corsOrigins ?? [LOCALHOST_ORIGIN],
      exposedHeaders: ['x-llmr-model', 'x-llmr-strategy', 'x-llmr-attempts', 'x-request-id'],
    });
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'llmr API',
        version: '0.1.0',
        description: 'OpenAI-compatible API served by llmr.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

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
    if (mapped.headers) reply.headers(mapped.headers);
    return reply.status(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .status(404)
      .send(
        openAIError(
          404,
          `Unknown route ${request.method} ${request.url}. See /docs for the API.`,
          'invalid_request_error',
          'unknown_route',
        ).body,
      );
  });

  /** Auth and rate limits for /v1 and /api. Returns the client key (key id or IP). */
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (draining) {
      const refused = openAIError(
        503,
        'The server is shutting down; retry on another instance.',
        'server_error',
        'shutting_down',
      );
      return reply.status(503).header('retry-after', '5').send(refused.body);
    }
    let client = request.ip;
    if (keys.enabled) {
      const keyId = keys.verify(presentedKey(request.headers));
      if (!keyId) {
        const refused = openAIError(
          401,
          'Incorrect or missing API key. Send it as "Authorization: Bearer <key>".',
          'invalid_request_error',
          'invalid_api_key',
        );
        return reply.status(401).send(refused.body);
      }
      client = `key:${keyId}`;
    }
    (request as FastifyRequest & { client?: string }).client = client;
    if (limiter.enabled && request.method === 'POST') {
      const decision = limiter.take(client);
      if (!decision.allowed) {
        const refused = openAIError(
          429,
          `${decision.reason} Retry after ${decision.retryAfterSeconds} s.`,
          'requests',
          'rate_limit_exceeded',
        );
        return reply
          .status(429)
          .header('retry-after', String(decision.retryAfterSeconds))
          .send(refused.body);
      }
    }
  };
  const clientOf = (request: FastifyRequest) =>
    (request as FastifyRequest & { client?: string }).client ?? request.ip;

  const track = (request: FastifyRequest, route: string, model: string, stream: boolean) => {
    const controller = new AbortController();
    inFlight.set(request.id, {
      id: request.id,
      route,
      model,
      startedAt: Date.now(),
      waiting: true,
      stream,
      controller,
    });
    metrics.inFlight.inc();
    return controller;
  };
  const untrack = (request: FastifyRequest) => {
    if (inFlight.delete(request.id)) metrics.inFlight.dec();
  };

  const record = (
    route: string,
    model: string,
    status: number,
    startedAt: number,
    observation?: { firstTextAt?: number; usage?: { inputTokens: number; outputTokens: number } },
  ) => {
    const labels = { route, model, status: String(status) };
    metrics.requests.inc(labels);
    const now = performance.now();
    metrics.latency.observe(labels, (now - startedAt) / 1000);
    if (observation?.firstTextAt !== undefined) {
      metrics.timeToFirstToken.observe({ model }, (observation.firstTextAt - startedAt) / 1000);
      const decodeSeconds = (now - observation.firstTextAt) / 1000;
      if (observation.usage && observation.usage.outputTokens > 1 && decodeSeconds > 0) {
        metrics.tokensPerSecond.observe(
          { model },
          (observation.usage.outputTokens - 1) / decodeSeconds,
        );
      }
    }
    if (observation?.usage) {
      metrics.tokens.inc({ model, kind: 'input' }, observation.usage.inputTokens);
      metrics.tokens.inc({ model, kind: 'output' }, observation.usage.outputTokens);
    }
  };

  /** Shared by chat and completions: route, generate, answer JSON or SSE. */
  const generate = async (
    request: FastifyRequest,
    reply: FastifyReply,
    route: 'chat' | 'completion',
    body: ChatCompletionBody | CompletionBody,
    toOptions: (signal: AbortSignal) => ModelV1CallOptions,
  ) => {
    const startedAt = performance.now();
    const controller = track(request, route, body.model, body.stream === true);
    // A client that goes away aborts its own generation, and only that.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished)
        controller.abort(
          new LlmrError({
            code: 'client-disconnected',
            message: 'The client closed the connection.',
          }),
        );
    });
    let modelForMetrics = body.model;
    let status = 200;
    let observationRef: ReturnType<typeof observeStream>['observation'] | undefined;
    try {
      const callOptions = toOptions(controller.signal);
      validateCallOptions(callOptions);
      const { stream: raw, routing } = await backend.stream(body.model, callOptions);
      modelForMetrics = routing.modelId;
      const entry = inFlight.get(request.id);
      if (entry) entry.model = routing.modelId;
      const { stream, observation } = observeStream(raw, () => {
        if (entry) entry.waiting = false;
      });
      observationRef = observation;
      setRoutingHeaders(reply, routing);
      const id = `${route === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '').slice(0, 24)}`;
      const created = Math.floor(Date.now() / 1000);
      const prefix =
        route === 'completion' && (body as CompletionBody).echo
          ? ((callOptions.prompt as string) ?? '')
          : '';

      if (!body.stream) {
        const result = await collectStream(stream, { modelId: routing.modelId });
        limiter.charge(clientOf(request), result.usage.inputTokens + result.usage.outputTokens);
        return route === 'chat'
          ? chatCompletionResponse(id, created, routing.modelId, result)
          : completionResponse(id, created, routing.modelId, result, prefix);
      }
      await sendStream(reply, stream, {
        id,
        created,
        route,
        model: routing.modelId,
        includeUsage: body.stream_options?.include_usage === true,
        prefix,
      });
      limiter.charge(
        clientOf(request),
        (observation.usage?.inputTokens ?? 0) + (observation.usage?.outputTokens ?? 0),
      );
      return reply;
    } catch (error) {
      status = toOpenAIError(error).status;
      throw error;
    } finally {
      untrack(request);
      record(route, modelForMetrics, status, startedAt, observationRef);
    }
  };

  /**
   * SSE. Parts are read until the first one that carries content, before any header is
   * sent: a failure that early (all fallbacks spent) still answers a proper status code.
   */
  const sendStream = async (
    reply: FastifyReply,
    stream: ReadableStream<ModelV1StreamPart>,
    meta: {
      id: string;
      created: number;
      route: 'chat' | 'completion';
      model: string;
      includeUsage: boolean;
      prefix: string;
    },
  ) => {
    const reader = stream.getReader();
    const early: ModelV1StreamPart[] = [];
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.type === 'error') throw value.error;
      early.push(value);
      if (value.type !== 'stream-start') break;
    }
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const base = { id: meta.id, created: meta.created, model: meta.model };
    const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      meta.route === 'chat'
        ? {
            ...base,
            object: 'chat.completion.chunk',
            choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }],
            ...extra,
          }
        : {
            ...base,
            object: 'text_completion',
            choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }],
            ...extra,
          };
    let usage: { inputTokens: number; outputTokens: number } | undefined;
    let toolIndex = 0;
    if (meta.route === 'chat')
      await writeEvent(response, chunk({ delta: { role: 'assistant', content: '' } }));
    else if (meta.prefix) await writeEvent(response, chunk({ text: meta.prefix }));

    const handle = async (part: ModelV1StreamPart): Promise<boolean> => {
      switch (part.type) {
        case 'text-delta':
          if (!part.delta && !part.logprobs) return true;
          await writeEvent(
            response,
            meta.route === 'chat'
              ? chunk({
                  delta: { content: part.delta },
                  logprobs: openAIChatLogprobs(part.logprobs),
                })
              : chunk({ text: part.delta, logprobs: openAICompletionLogprobs(part.logprobs) }),
          );
          return true;
        case 'tool-call':
          if (meta.route === 'chat') {
            await writeEvent(
              response,
              chunk({
                delta: {
                  tool_calls: [
                    {
                      index: toolIndex++,
                      id: part.toolCall.id,
                      type: 'function',
                      function: {
                        name: part.toolCall.toolName,
                        arguments: part.toolCall.arguments,
                      },
                    },
                  ],
                },
              }),
            );
          }
          return true;
        case 'usage':
          usage = part.usage;
          return true;
        case 'finish':
          await writeEvent(
            response,
            meta.route === 'chat'
              ? chunk({ delta: {}, finish_reason: openAIFinishReason(part.finishReason) })
              : chunk({ text: '', finish_reason: openAIFinishReason(part.finishReason) }),
          );
          if (meta.includeUsage && usage)
            await writeEvent(response, {
              ...base,
              object: meta.route === 'chat' ? 'chat.completion.chunk' : 'text_completion',
              choices: [],
              usage: openAIUsage(usage),
            });
          return true;
        case 'error': {
          // Headers are gone: the error travels in the stream, as OpenAI does it.
          await writeEvent(response, toOpenAIError(part.error).body);
          return false;
        }
        default:
          return true;
      }
    };
    try {
      let open = true;
      for (const part of early) if (open) open = await handle(part);
      while (open && !response.destroyed) {
        const { done, value } = await reader.read();
        if (done) break;
        open = await handle(value);
      }
      if (!response.destroyed) {
        await writeEvent(response, '[DONE]');
        response.end();
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
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
    handler: (request, reply) =>
      generate(request, reply, 'chat', request.body, (signal) =>
        chatCallOptions(request.body, signal),
      ),
  });

  app.post<{ Body: CompletionBody }>('/v1/completions', {
    ...v1,
    schema: {
      tags: ['openai'],
      summary: 'Raw text completion (stream: true for SSE)',
      body: completionRequestSchema,
      response: errorResponses,
    },
    handler: (request, reply) =>
      generate(request, reply, 'completion', request.body, (signal) =>
        completionCallOptions(request.body, signal),
      ),
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
      const startedAt = performance.now();
      const controller = track(request, 'embeddings', body.model, false);
      let status = 200;
      let model = body.model;
      try {
        const values = typeof body.input === 'string' ? [body.input] : body.input;
        const { result, routing } = await backend.embed(body.model, {
          values,
          abortSignal: controller.signal,
        });
        model = routing.modelId;
        setRoutingHeaders(reply, routing);
        limiter.charge(clientOf(request), result.usage.inputTokens);
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
        untrack(request);
        record('embeddings', model, status, startedAt);
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
    async () => ({
      requests: [...inFlight.values()].map(({ controller: _controller, ...entry }) => entry),
    }),
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

  return {
    app,
    async listen({ port = 8080, host = '127.0.0.1' } = {}) {
      return app.listen({ port, host });
    },
    inFlight: () => [...inFlight.values()].map(({ controller: _controller, ...entry }) => entry),
    async shutdown() {
      if (draining) return;
      draining = true;
      const deadline = Date.now() + (options.shutdownDeadlineMs ?? 10_000);
      while (inFlight.size > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 25));
      for (const entry of inFlight.values())
        entry.controller.abort(
          new LlmrError({ code: 'shutting-down', message: 'The server is shutting down.' }),
        );
      await app.close();
      await backend.dispose();
    },
  };
}
