/**
 * Anthropic's Messages API under /v1: `POST /v1/messages` (JSON, or Anthropic's SSE
 * events with `stream: true`) and `POST /v1/messages/count_tokens`, for every model the
 * backend routes to, through the same generation core as the OpenAI surface. Every
 * failure answers Anthropic's error shape.
 */
import { LlmrError } from '@llmr/core';
import type { FastifyInstance } from 'fastify';
import { clientOf } from '../access';
import {
  anthropicCallOptions,
  anthropicMessageId,
  anthropicMessages,
  anthropicResponse,
} from '../anthropic/convert';
import { rewriteErrorPayload, toAnthropicError } from '../anthropic/errors';
import { createMessageEventFormatter } from '../anthropic/message-events';
import {
  type AnthropicPromptBody,
  countTokensRequestSchema,
  type MessagesBody,
  messagesRequestSchema,
} from '../anthropic/schemas';
import type { ServerBackend } from '../backend';
import type { Generation, GenerationCore, GenerationSpec } from '../generation';
import { abortOnClientClose } from '../http/client-abort';
import type { Guard } from '../http/guard';
import { shareUsageWithGateway } from '../http/register-gateway';
import { routingHeaders } from '../routing';
import { type SseFraming, sendSse } from '../sse';

export interface AnthropicRoutesOptions {
  guard: Guard;
  backend: ServerBackend;
  generations: GenerationCore;
}

const anthropicFraming: SseFraming = {
  event: (chunk) => String(chunk.type),
  error: (error) => ({ event: 'error', data: toAnthropicError(error) }),
};

export async function registerAnthropicRoutes(
  app: FastifyInstance,
  options: AnthropicRoutesOptions,
): Promise<void> {
  const { backend, generations } = options;
  await app.register(async (scope) => {
    // Failures are mapped once, server-wide; in this scope they leave in Anthropic's shape.
    scope.addHook('onSend', async (_request, reply, payload) =>
      reply.statusCode >= 400 && typeof payload === 'string'
        ? rewriteErrorPayload(reply.statusCode, payload)
        : payload,
    );

    scope.post<{ Body: MessagesBody }>('/v1/messages', {
      preHandler: options.guard,
      schema: {
        tags: ['anthropic'],
        summary: 'Create a message (Anthropic Messages API; stream: true for SSE events)',
        body: messagesRequestSchema,
      },
      handler: (request, reply) => {
        const body = request.body;
        const { controller, settle } = abortOnClientClose(reply);
        const spec: GenerationSpec = {
          id: request.id,
          route: 'messages',
          transport: 'http',
          model: body.model,
          stream: body.stream === true,
          client: clientOf(request),
          controller,
          callOptions: (signal) => anthropicCallOptions(body, signal),
        };
        const begin = (served: Pick<Generation, 'routing' | 'observation' | 'callOptions'>) => {
          reply.headers(routingHeaders(served.routing));
          shareUsageWithGateway(request, served, backend);
          return { id: anthropicMessageId(), model: served.routing.modelId };
        };
        if (!body.stream)
          // The whole answer at once: no stream between the backend and the response.
          return generations
            .complete(spec)
            .then((completion) => {
              const meta = begin(completion);
              return anthropicResponse(meta.id, meta.model, completion.result);
            })
            .finally(settle);
        return generations
          .run(spec, async (generation) => {
            await sendSse(
              reply,
              generation.reader(),
              createMessageEventFormatter(begin(generation)),
              anthropicFraming,
            );
            return reply;
          })
          .finally(settle);
      },
    });

    scope.post<{ Body: AnthropicPromptBody }>('/v1/messages/count_tokens', {
      preHandler: options.guard,
      schema: {
        tags: ['anthropic'],
        summary: 'Count the input tokens of a message request',
        body: countTokensRequestSchema,
      },
      handler: async (request, reply) => {
        const body = request.body;
        if (!(await backend.getModel(body.model)) && body.model !== 'auto')
          throw new LlmrError({
            code: 'model-not-found',
            message: `The model \`${body.model}\` does not exist. GET /v1/models lists what this server routes to.`,
          });
        const callOptions = { messages: anthropicMessages(body) };
        const counted = backend.countTokens
          ? await backend.countTokens(body.model, callOptions)
          : {
              inputTokens: Math.ceil(JSON.stringify(callOptions.messages).length / 4),
              exact: false,
            };
        if (counted.modelId) reply.header('x-llmr-model', counted.modelId);
        reply.header('x-llmr-token-count', counted.exact ? 'exact' : 'estimate');
        return { input_tokens: counted.inputTokens };
      },
    });
  });
}
