/**
 * The OpenAI-compatible REST surface under /v1: chat and text completions (JSON, or SSE
 * with `stream: true`), embeddings, and the model list.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { admissionOf, clientOf } from '../access';
import type { ServerBackend } from '../backend';
import type { Generation, GenerationCore, GenerationSpec } from '../generation';
import { abortOnClientClose } from '../http/client-abort';
import type { Guard } from '../http/guard';
import { shareUsageWithGateway } from '../http/register-gateway';
import { createChunkFormatter, type OpenAIRoute } from '../openai/chunks';
import { openAIEmbeddings } from '../openai/embeddings';
import { toOpenAIError } from '../openai/errors';
import {
  type OpenAIGenerationBody,
  openAICallOptions,
  openAIChunkMeta,
  openAIResponse,
} from '../openai/openai-request';
import {
  type ChatCompletionBody,
  type CompletionBody,
  chatCompletionRequestSchema,
  completionRequestSchema,
  type EmbeddingBody,
  embeddingRequestSchema,
  openAIErrorSchema,
} from '../openai/schemas';
import { routingHeaders } from '../routing';
import { openAIFraming, sendSse } from '../sse';
import { requireModel } from './require-model';

export interface OpenAIRoutesOptions {
  guard: Guard;
  backend: ServerBackend;
  generations: GenerationCore;
  /** Close an SSE stream whose client stopped reading for this long. */
  writeStallMs?: number;
}

const errorResponses = {
  400: { $ref: 'openai-error#' },
  401: { $ref: 'openai-error#' },
  404: { $ref: 'openai-error#' },
  429: { $ref: 'openai-error#' },
};

const openAIModel = (model: { id: string; ownedBy?: string }) => ({
  id: model.id,
  object: 'model',
  created: 0,
  owned_by: model.ownedBy ?? 'llmr',
});

export function registerOpenAIRoutes(app: FastifyInstance, options: OpenAIRoutesOptions): void {
  const { backend, generations } = options;
  const v1 = { preHandler: options.guard };

  /** Chat and completions over REST: JSON, or SSE with `stream: true`. */
  const generate = (
    request: FastifyRequest,
    reply: FastifyReply,
    route: OpenAIRoute,
    body: OpenAIGenerationBody,
  ) => {
    const { controller, settle } = abortOnClientClose(reply);
    const spec: GenerationSpec = {
      id: request.id,
      route,
      transport: 'http',
      model: body.model,
      stream: body.stream === true,
      client: clientOf(request),
      admission: admissionOf(request),
      controller,
      callOptions: (signal) => openAICallOptions(route, body, signal),
    };
    /** What both answers start with: routing headers, the gateway's usage, the response id. */
    const begin = (served: Pick<Generation, 'routing' | 'observation' | 'callOptions'>) => {
      reply.headers(routingHeaders(served.routing));
      shareUsageWithGateway(request, served, backend);
      return openAIChunkMeta(route, body, served.routing.modelId, served.callOptions);
    };
    if (!body.stream)
      // The whole answer at once: no stream between the backend and the response.
      return generations
        .complete(spec)
        .then((completion) => openAIResponse(begin(completion), completion.result))
        .finally(settle);
    return generations
      .run(spec, async (generation) => {
        await sendSse(
          reply,
          generation.reader(),
          createChunkFormatter(begin(generation)),
          openAIFraming,
          {
            writeStallMs: options.writeStallMs,
          },
        );
        return reply;
      })
      .finally(settle);
  };

  app.addSchema({ $id: 'openai-error', ...openAIErrorSchema });

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
      // A client that hangs up stops the embedding too, as it stops a generation.
      const { controller, settle } = abortOnClientClose(reply);
      const tracked = generations.track({
        id: request.id,
        route: 'embeddings',
        transport: 'http',
        model: body.model,
        stream: false,
        client: clientOf(request),
        controller,
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
        admissionOf(request)?.settle(result.usage.inputTokens);
        return openAIEmbeddings(body, result, routing.modelId);
      } catch (error) {
        status = toOpenAIError(error).status;
        throw error;
      } finally {
        settle();
        tracked.end(status);
      }
    },
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
    async (request) => openAIModel(await requireModel(backend, request.params.model)),
  );
}
