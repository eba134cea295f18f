/**
 * GenerationService: Chat, ChatStream, Complete, CompleteStream. Each request becomes the
 * REST body it mirrors, is validated by the REST schema, and runs through the shared
 * generation core. A cancelled call or a passed deadline aborts the generation.
 */
import { once } from 'node:events';
import type { ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { collectStream, LlmrError, type ModelV1Usage } from '@llmr/core';
import {
  compileBodyValidators,
  type Generation,
  type OpenAIGenerationBody,
  type OpenAIRoute,
  openAICallOptions,
  routingSummary,
} from '@llmr/server';
import type { GrpcCallObserver } from './grpc-call-observer';
import {
  admit,
  type GrpcContext,
  requestIdOf,
  type ServerSurfaceCall,
  textMetadataOf,
} from './grpc-context';
import { grpcCodeOf } from './grpc-errors';
import type { ChatRequestMessage, CompleteRequestMessage } from './grpc-messages';
import { finishReason, routingMessage, routingMetadata, usageMessage } from './grpc-responses';
import { httpStatusOf, statusOf } from './grpc-status';
import { chatBody, completionBody } from './to-openai-body';
import { unary } from './unary-call';

type StreamCall = ServerWritableStream<unknown, Record<string, unknown>>;

/** One generating call, as the handlers pass it on. */
interface CallSpec {
  call: ServerSurfaceCall;
  route: OpenAIRoute;
  body: Record<string, unknown>;
  stream: boolean;
  requestId: string;
}

type Consume<T> = (generation: Generation, requestId: string) => Promise<T>;

export function createGenerationHandlers(context: GrpcContext) {
  const validators = compileBodyValidators();

  /** Admit, convert, validate, then run `consume` on the generation; observed when an observer is set. */
  const generate = <T>(
    call: ServerSurfaceCall,
    route: OpenAIRoute,
    body: Record<string, unknown>,
    stream: boolean,
    consume: Consume<T>,
  ): Promise<T> => {
    const spec: CallSpec = { call, route, body, stream, requestId: requestIdOf(call) };
    const observer = context.observer?.();
    return observer ? observed(observer, spec, consume) : run(spec, consume);
  };

  /** The call inside the observer's `run`: the outcome it reports, then the value or failure for the client. */
  const observed = async <T>(
    observer: GrpcCallObserver,
    spec: CallSpec,
    consume: Consume<T>,
  ): Promise<T> => {
    let generation: Generation | undefined;
    let result: { value: T } | { error: unknown } | undefined;
    await observer.call(
      {
        method: spec.call.getPath(),
        route: `grpc.${spec.route}`,
        requestId: spec.requestId,
        model: typeof spec.body.model === 'string' ? spec.body.model : 'auto',
        stream: spec.stream,
        body: spec.body,
        metadata: textMetadataOf(spec.call),
      },
      async () => {
        try {
          const value = await run(spec, (started, id) => {
            generation = started;
            return consume(started, id);
          });
          result = { value };
        } catch (error) {
          result = { error };
        }
        const routing = generation ? { routing: routingSummary(generation.routing) } : {};
        const usage = generation?.observation.usage;
        if ('value' in result)
          return { status: 200, code: 0, ...routing, ...(usage ? { usage } : {}) };
        const status = httpStatusOf(result.error);
        return {
          status,
          code: grpcCodeOf(status),
          ...routing,
          ...(usage ? { usage } : {}),
          error: result.error,
        };
      },
    );
    if (!result) throw new Error('The gRPC call observer resolved without running the call.');
    if ('error' in result) throw result.error;
    return result.value;
  };

  const run = async <T>(
    { call, route, body, stream, requestId }: CallSpec,
    consume: Consume<T>,
  ): Promise<T> => {
    const validate = validators[route];
    if (!validate(body))
      throw Object.assign(new Error('invalid request'), { validation: validate.errors });
    const typed = body as unknown as OpenAIGenerationBody;
    const { client, admission, meter } = await admit(context, call, {
      model: typed.model,
      route: `grpc.${route}`,
      requestId,
    });
    const controller = new AbortController();
    // 'cancelled' is emitted for a client's cancel and for a passed deadline alike.
    call.on('cancelled', () =>
      controller.abort(
        new LlmrError({
          code: 'client-disconnected',
          message: 'The client cancelled the call, or its deadline passed.',
        }),
      ),
    );
    return context.core.run(
      {
        id: requestId,
        route: `grpc.${route}`,
        transport: 'grpc',
        model: typed.model,
        stream,
        client,
        ...(admission ? { admission } : {}),
        ...(meter ? { meter } : {}),
        controller,
        callOptions: (signal) => openAICallOptions(route, typed, signal),
      },
      (generation) => consume(generation, requestId),
    );
  };

  const start = (generation: Generation, requestId: string) => ({
    id: requestId,
    model: generation.routing.modelId,
    created: Math.floor(Date.now() / 1000),
    routing: routingMessage(generation.routing),
  });

  const runUnary = async (
    call: ServerUnaryCall<unknown, unknown>,
    route: OpenAIRoute,
    body: Record<string, unknown>,
    respond: (
      generation: Generation,
      requestId: string,
      result: Awaited<ReturnType<typeof collectStream>>,
    ) => unknown,
  ) =>
    generate(call, route, body, false, async (generation, requestId) => {
      call.sendMetadata(routingMetadata(generation.routing, requestId));
      const result = await collectStream(generation.stream, {
        modelId: generation.routing.modelId,
      });
      return respond(generation, requestId, result);
    });

  /** Writes parts as messages until the stream ends, fails, or the call is cancelled. */
  const pump = async (
    call: StreamCall,
    route: OpenAIRoute,
    generation: Generation,
    requestId: string,
    prefix: string,
  ) => {
    call.sendMetadata(routingMetadata(generation.routing, requestId));
    const write = async (message: Record<string, unknown>) => {
      if (call.cancelled) return;
      if (!call.write(message)) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
    };
    await write({ start: start(generation, requestId) });
    if (prefix) await write({ delta: { text: prefix } });
    const reader = generation.stream.getReader();
    let usage: ModelV1Usage | undefined;
    try {
      while (!call.cancelled) {
        const { done, value: part } = await reader.read();
        if (done) break;
        switch (part.type) {
          case 'text-delta':
            if (part.delta)
              await write({
                delta: route === 'chat' ? { content: part.delta } : { text: part.delta },
              });
            break;
          case 'tool-call':
            if (route === 'chat')
              await write({
                delta: {
                  tool_calls: [
                    {
                      id: part.toolCall.id,
                      name: part.toolCall.toolName,
                      arguments: part.toolCall.arguments,
                    },
                  ],
                },
              });
            break;
          case 'usage':
            usage = part.usage;
            break;
          case 'finish':
            await write({
              end: { finish_reason: finishReason(part.finishReason), usage: usageMessage(usage) },
            });
            break;
          case 'error':
            throw part.error;
          default:
            break;
        }
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  };

  const streaming =
    (route: OpenAIRoute, toBody: (request: never) => Record<string, unknown>) =>
    (call: StreamCall) => {
      let body: Record<string, unknown>;
      try {
        body = toBody(call.request as never);
      } catch (error) {
        call.emit('error', statusOf(error));
        return;
      }
      const prefix = route === 'completion' && body.echo === true ? String(body.prompt ?? '') : '';
      generate(call, route, body, true, (generation, requestId) =>
        pump(call, route, generation, requestId, prefix),
      ).then(
        () => call.end(),
        (error: unknown) => {
          if (!call.cancelled) call.emit('error', statusOf(error));
        },
      );
    };

  return {
    Chat: unary<ChatRequestMessage>((call) =>
      runUnary(call, 'chat', chatBody(call.request), (generation, requestId, result) => ({
        id: requestId,
        model: generation.routing.modelId,
        created: Math.floor(Date.now() / 1000),
        message: {
          role: 'assistant',
          content: result.text,
          tool_calls: (result.toolCalls ?? []).map((toolCall) => ({
            id: toolCall.id,
            name: toolCall.toolName,
            arguments: toolCall.arguments,
          })),
        },
        finish_reason: finishReason(result.finishReason),
        usage: usageMessage(result.usage),
        routing: routingMessage(generation.routing),
      })),
    ),
    Complete: unary<CompleteRequestMessage>((call) => {
      const body = completionBody(call.request);
      const prefix = body.echo === true ? call.request.prompt : '';
      return runUnary(call, 'completion', body, (generation, requestId, result) => ({
        id: requestId,
        model: generation.routing.modelId,
        created: Math.floor(Date.now() / 1000),
        text: prefix + result.text,
        finish_reason: finishReason(result.finishReason),
        usage: usageMessage(result.usage),
        routing: routingMessage(generation.routing),
      }));
    }),
    ChatStream: streaming('chat', chatBody),
    CompleteStream: streaming('completion', completionBody),
  };
}
