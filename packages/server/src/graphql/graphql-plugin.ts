/**
 * GraphQL (mercurius) at `/graphql`: a `models` query, a `generate` mutation and a
 * `generateStream` subscription (graphql-ws over WebSocket). Generation goes through the
 * same core as REST and WebSocket; failures become GraphQL errors whose extensions carry
 * the HTTP status REST would have answered and the field to fix.
 */
import { randomUUID } from 'node:crypto';
import {
  AbortError,
  collectStream,
  type ModelV1CallOptions,
  type ModelV1Message,
  type ModelV1Usage,
} from '@llmr/core';
import type { Principal } from '@llmr/gateway';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import { type Access, forbiddenOriginError, knownClient, sendRefusal, setClient } from '../access';
import { presentedKey } from '../auth';
import type { BackendModel, RoutingInfo, ServerBackend } from '../backend';
import type { GatewayMeter, GenerationMeter } from '../gateway-meter';
import type { Generation, GenerationCore, GenerationSpec } from '../generation';
import { abortOnClientClose } from '../http/client-abort';
import { openAIFinishReason } from '../openai/convert';
import { type OpenAIError, openAIError, toOpenAIError } from '../openai/errors';
import { MAX_MODEL_NAME_LENGTH, MAX_STOP_SEQUENCE_LENGTH } from '../openai/schemas';
import type { Admission } from '../rate-limiter';
import { estimateReservation } from '../reservation-estimate';
import { routingSummary } from '../routing';
import { enforceConnectionInitTimeout } from './connection-init-timeout';
import { generationLimitRule } from './generation-limit-rule';
import { type GenerateInput, graphqlSchema } from './graphql-schema';

export interface GraphQLPluginOptions {
  path?: string;
  access: Access;
  /** With a gateway: admits and charges each generation under the request's key. */
  meter?: GatewayMeter | undefined;
  core: GenerationCore;
  backend: ServerBackend;
  /** A subscription socket that sends no `connection_init` this long is closed (4408). Default 10 s. */
  connectionInitTimeoutMs?: number;
}

interface GraphQLContext {
  /** Set when the HTTP request or the WebSocket upgrade carried a valid key (or none is needed). */
  client?: string;
  request?: FastifyRequest;
  /** The gateway key's holder (from the POST or the upgrade) and the caller's address. */
  caller?: { principal?: Principal | undefined; ip: string };
  /** Set for queries and mutations over HTTP (mercurius passes it), not for subscriptions. */
  reply?: FastifyReply;
  _connectionInit?: unknown;
}

const callerOf = (request: FastifyRequest) => ({
  principal: request.gateway?.principal,
  ip: request.ip,
});

const GRAPHQL_CODES: Record<number, string> = {
  400: 'BAD_USER_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  429: 'RATE_LIMITED',
  499: 'CANCELLED',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};

function isOpenAIError(error: unknown): error is OpenAIError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as OpenAIError).status === 'number' &&
    typeof (error as OpenAIError).body?.error === 'object'
  );
}

/** Any failure -> a GraphQL error with the REST status and the input field to fix. */
export function toGraphQLError(error: unknown): Error {
  const mapped = isOpenAIError(error) ? error : toOpenAIError(error);
  const { message, type, code, param } = mapped.body.error;
  const retryAfter = Number(mapped.headers?.['retry-after']);
  return new mercurius.ErrorWithProps(message, {
    code:
      GRAPHQL_CODES[mapped.status] ??
      (mapped.status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST'),
    status: mapped.status,
    type,
    ...(code ? { openaiCode: code } : {}),
    ...(param ? { argument: `input.${param}` } : {}),
    ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
  });
}

function withoutNulls<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry != null)) as T;
}

export function graphqlCallOptions(input: GenerateInput, signal: AbortSignal): ModelV1CallOptions {
  return withoutNulls({
    messages: input.messages?.map(
      (message): ModelV1Message =>
        message.role === 'tool'
          ? { role: 'tool', content: message.content, toolCallId: message.toolCallId as string }
          : { role: message.role, content: message.content },
    ),
    prompt: input.prompt,
    maxTokens: input.maxTokens,
    temperature: input.temperature,
    topP: input.topP,
    topK: input.topK,
    minP: input.minP,
    repetitionPenalty: input.repetitionPenalty,
    frequencyPenalty: input.frequencyPenalty,
    presencePenalty: input.presencePenalty,
    seed: input.seed,
    stopSequences: input.stopSequences,
    abortSignal: signal,
  }) as ModelV1CallOptions;
}

function graphqlUsage(usage: ModelV1Usage) {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens ?? null,
  };
}

function graphqlRouting(routing: RoutingInfo) {
  const summary = routingSummary(routing);
  return {
    model: summary.model,
    strategy: summary.strategy ?? null,
    attempts: summary.attempts,
    failures: (routing.attempts ?? []).map((attempt) => ({
      model: attempt.modelId,
      code: attempt.error?.code ?? null,
      message: attempt.error?.message ?? null,
    })),
    cached: summary.cached === true,
  };
}

function graphqlModel(model: BackendModel) {
  return {
    id: model.id,
    loaded: model.loaded,
    ownedBy: model.ownedBy ?? null,
    source: model.source ?? null,
    contextLength: model.info?.contextLength ?? null,
    capabilities: model.info?.capabilities ?? null,
  };
}

/**
 * The subscription's events, read straight from the generation (pull, so a slow client
 * slows the model instead of queueing). `return()` (the client stopped, or the socket
 * closed) aborts generation at once; it is not a generator because a generator's return()
 * would wait for the pending read.
 */
function generationEvents(generation: Generation): AsyncIterableIterator<unknown> {
  const reader = generation.reader();
  let usage: ModelV1Usage | undefined;
  let finished = false;
  const close = async (error?: unknown) => {
    if (finished) return;
    finished = true;
    await reader.cancel().catch(() => {});
    generation.end(error);
  };
  const done = { done: true, value: undefined } as const;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      try {
        while (!finished) {
          const { done: ended, value: part } = await reader.read();
          if (ended) break;
          switch (part.type) {
            case 'text-delta':
              if (part.delta) return { done: false, value: { delta: part.delta } };
              break;
            case 'usage':
              usage = part.usage;
              break;
            case 'finish': {
              const last = {
                delta: '',
                finishReason: openAIFinishReason(part.finishReason),
                usage: usage ? graphqlUsage(usage) : null,
                routing: graphqlRouting(generation.routing),
              };
              await close();
              return { done: false, value: last };
            }
            case 'error':
              throw part.error;
            default:
              break;
          }
        }
        await close();
        return done;
      } catch (error) {
        const reason = generation.signal.aborted ? generation.signal.reason : error;
        await close(reason);
        throw toGraphQLError(reason);
      }
    },
    async return() {
      if (!finished) {
        const reason = new AbortError({ message: 'The client stopped the subscription.' });
        generation.abort(reason);
        await close(reason);
      }
      return done;
    },
  };
}

export async function registerGraphQL(app: FastifyInstance, options: GraphQLPluginOptions) {
  const { access, core, backend } = options;
  const path = options.path ?? '/graphql';

  /** The caller, from the request, or for subscriptions from connection_init's `authorization`. */
  const identify = (context: GraphQLContext): string => {
    if (context.client) return context.client;
    const identity = access.identify(context.request ?? { ip: '', headers: {} }, {
      queryKey: true,
    });
    if (identity.refused) throw toGraphQLError(identity.refused);
    context.client = identity.client;
    return identity.client;
  };
  const admit = async (context: GraphQLContext, input: GenerateInput, route: string) => {
    const client = identify(context);
    const tooLong =
      input.model.length > MAX_MODEL_NAME_LENGTH
        ? `input.model is longer than ${MAX_MODEL_NAME_LENGTH} characters`
        : input.stopSequences?.some((stop) => stop.length > MAX_STOP_SEQUENCE_LENGTH)
          ? `a stop sequence is longer than ${MAX_STOP_SEQUENCE_LENGTH} characters`
          : undefined;
    if (tooLong)
      throw toGraphQLError(
        openAIError(
          400,
          `${tooLong}; shorten it.`,
          'invalid_request_error',
          'string_above_max_length',
        ),
      );
    // Under the HTTP request's id (`<request id>/<generation>`): one query may run several
    // generations, and each one's logs and spans still name the request it came with.
    const httpRequestId = context.reply?.request.id;
    const requestId = httpRequestId ? `${httpRequestId}/${randomUUID()}` : randomUUID();
    let meter: GenerationMeter | undefined;
    const principal = context.caller?.principal;
    if (options.meter && principal) {
      const metered = await options.meter.admit(principal, {
        model: input.model,
        route,
        clientIp: context.caller?.ip ?? '',
        requestId,
      });
      if (metered.refused) throw toGraphQLError(metered.refused);
      meter = metered.meter;
    }
    const { refused, admission } = await access.admit(
      client,
      estimateReservation({
        prompt: input.prompt,
        messages: input.messages,
        maxTokens: input.maxTokens,
      }),
    );
    if (refused) {
      meter?.settle({ status: refused.status });
      throw toGraphQLError(refused);
    }
    return { client, admission, requestId, meter };
  };
  const spec = (
    input: GenerateInput,
    admitted: {
      client: string;
      admission: Admission;
      requestId: string;
      meter: GenerationMeter | undefined;
    },
    route: string,
    stream: boolean,
  ): GenerationSpec => ({
    id: admitted.requestId,
    route,
    transport: 'graphql',
    model: input.model,
    stream,
    client: admitted.client,
    admission: admitted.admission,
    ...(admitted.meter ? { meter: admitted.meter } : {}),
    callOptions: (signal) => graphqlCallOptions(input, signal),
  });

  const resolvers = {
    Query: {
      models: async (_root: unknown, _args: unknown, context: GraphQLContext) => {
        identify(context);
        return (await backend.listModels()).map(graphqlModel);
      },
      model: async (_root: unknown, args: { id: string }, context: GraphQLContext) => {
        identify(context);
        const model = await backend.getModel(args.id);
        return model ? graphqlModel(model) : null;
      },
    },
    Mutation: {
      generate: async (_root: unknown, args: { input: GenerateInput }, context: GraphQLContext) => {
        const admitted = await admit(context, args.input, 'graphql.generate');
        // A client that hangs up stops its generation, as a REST client's does.
        const clientClose = context.reply ? abortOnClientClose(context.reply) : undefined;
        try {
          return await core.run(
            {
              ...spec(args.input, admitted, 'graphql.generate', false),
              ...(clientClose ? { controller: clientClose.controller } : {}),
            },
            async (generation) => {
              const result = await collectStream(generation.stream, {
                modelId: generation.routing.modelId,
              });
              return {
                text: result.text,
                finishReason: openAIFinishReason(result.finishReason),
                usage: graphqlUsage(result.usage),
                routing: graphqlRouting(generation.routing),
              };
            },
          );
        } catch (error) {
          throw toGraphQLError(error);
        } finally {
          clientClose?.settle();
          admitted.admission.settle(0);
        }
      },
    },
    Subscription: {
      generateStream: {
        subscribe: async (
          _root: unknown,
          args: { input: GenerateInput },
          context: GraphQLContext,
        ) => {
          const admitted = await admit(context, args.input, 'graphql.generateStream');
          try {
            return generationEvents(
              await core.start(spec(args.input, admitted, 'graphql.generateStream', true)),
            );
          } catch (error) {
            admitted.admission.settle(0);
            throw toGraphQLError(error);
          }
        },
        resolve: (event: unknown) => event,
      },
    },
  };

  // Describe the routes in the OpenAPI document rather than leave them bare.
  app.addHook('onRoute', (route) => {
    if (route.url !== path) return;
    route.schema = {
      ...route.schema,
      tags: ['graphql'],
      summary:
        route.method === 'GET'
          ? 'GraphQL query over GET, or the graphql-ws subscription socket (Upgrade: websocket)'
          : 'GraphQL query or mutation (models, generate)',
    };
  });

  await app.register(mercurius, {
    schema: graphqlSchema,
    // mercurius' resolver types are looser than these; the SDL is the contract.
    resolvers: resolvers as never,
    path,
    graphiql: false,
    queryDepth: 8,
    validationRules: [generationLimitRule],
    context: (request: FastifyRequest) => ({
      client: knownClient(request),
      caller: callerOf(request),
    }),
    subscription: {
      // Pings keep proxies from dropping quiet sockets and find dead peers.
      keepAlive: 30_000,
      context: (_socket: unknown, request: FastifyRequest) => ({
        client: knownClient(request),
        caller: callerOf(request),
      }),
    },
    additionalRouteOptions: {
      preHandler: async (request, reply) => {
        const closed = access.open();
        if (closed) return sendRefusal(reply, closed);
        if (request.ws) {
          if (!access.originAllowed(request))
            return sendRefusal(reply, forbiddenOriginError(request.headers.origin));
          const identity = access.identify(request, { queryKey: true });
          if (!identity.refused) setClient(request, identity.client);
          // A wrong key is refused now; a missing one may still come in connection_init.
          else if (presentedKey(request.headers, request.query) !== undefined)
            return sendRefusal(reply, identity.refused);
          return;
        }
        const identity = access.identify(request);
        if (identity.refused) return sendRefusal(reply, identity.refused);
        setClient(request, identity.client);
      },
    },
  });
  enforceConnectionInitTimeout(app.websocketServer, {
    path,
    timeoutMs: options.connectionInitTimeoutMs ?? 10_000,
  });
}
