/**
 * Streaming over a WebSocket (`GET /v1/ws`): the client sends REST bodies wrapped in
 * `{ type, id, body }`, the server answers with the very chunks SSE would send, tagged with
 * the id. Requests on one socket run concurrently and independently: a bad message answers
 * an error for its own id and never closes the socket; a cancel or a closed socket aborts
 * generation. Auth is checked once, at the upgrade; rate limits per request, and with a
 * gateway, each request's model, limits and budgets, and its charge.
 */
import { randomUUID } from 'node:crypto';
import { AbortError, LlmrError } from '@llmr/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { type Access, clientOf, forbiddenOriginError, sendRefusal, setClient } from '../access';
import type { GatewayMeter, GenerationMeter } from '../gateway-meter';
import type { GenerationCore } from '../generation';
import { compileBodyValidators } from '../openai/body-validators';
import { createChunkFormatter, type OpenAIRoute, pumpChunks } from '../openai/chunks';
import { openAIUsage } from '../openai/convert';
import { type OpenAIError, openAIError, toOpenAIError } from '../openai/errors';
import {
  type OpenAIGenerationBody,
  openAICallOptions,
  openAIChunkMeta,
} from '../openai/openai-request';
import { chatCompletionRequestSchema, completionRequestSchema } from '../openai/schemas';
import type { Admission } from '../rate-limiter';
import { estimateReservation } from '../reservation-estimate';
import { routingSummary } from '../routing';
import { DEFAULT_WRITE_STALL_MS, waitOrStall } from '../write-stall';
import { type WebSocketMessageOutcome, webSocketObserverOf } from './websocket-observer';
import { WEBSOCKET_REQUEST_TYPES, type WebSocketServerMessage } from './websocket-protocol';

export interface WebSocketRouteOptions {
  path?: string;
  access: Access;
  /** With a gateway: admits and charges each request under the key the upgrade presented. */
  meter?: GatewayMeter | undefined;
  core: GenerationCore;
  /** Requests one socket may run at once (default 16). */
  maxConcurrentPerSocket?: number;
  /**
   * Ping every this many ms; a peer that has not answered the previous ping is cut off
   * (and its generations aborted). Default 30 s.
   */
  pingIntervalMs?: number;
  /**
   * How long a frame may wait for a client that stopped reading; past it the socket is
   * cut off and its generations aborted. Default 30 s, as for SSE.
   */
  writeStallMs?: number;
}

/** Past this many bytes queued on a socket, a stream waits for the client to read. */
const HIGH_WATER_BYTES = 1 << 20;
const MAX_ID_LENGTH = 256;

function invalid(message: string, code: string, param: string | null = null): OpenAIError {
  return openAIError(400, message, 'invalid_request_error', code, param);
}

export function registerWebSocketRoute(app: FastifyInstance, options: WebSocketRouteOptions) {
  const { access, core } = options;
  const maxConcurrent = options.maxConcurrentPerSocket ?? 16;
  const writeStallMs = options.writeStallMs ?? DEFAULT_WRITE_STALL_MS;
  const validators = compileBodyValidators();

  const serve = (socket: WebSocket, client: string, upgrade: FastifyRequest) => {
    // With a gateway, each message is admitted for the key that opened the socket.
    const caller = { principal: upgrade.gateway?.principal, ip: upgrade.ip };
    const active = new Map<string, AbortController>();
    // A peer that vanished without a close frame (a dropped network) would otherwise hold
    // its generations until TCP gives up, which can take hours.
    let answered = true;
    socket.on('pong', () => {
      answered = true;
    });
    const pinger = setInterval(() => {
      if (!answered) {
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
    }, options.pingIntervalMs ?? 30_000);
    pinger.unref();
    socket.once('close', () => clearInterval(pinger));

    const send = async (message: WebSocketServerMessage) => {
      if (socket.readyState !== socket.OPEN) return;
      const text = JSON.stringify(message);
      if (socket.bufferedAmount < HIGH_WATER_BYTES) {
        socket.send(text);
        return;
      }
      // Backpressure: wait until this frame is written (or the socket fails), but not for
      // a client that stopped reading: it must not hold its model sequences.
      await waitOrStall(
        new Promise<void>((resolve) => socket.send(text, () => resolve())),
        writeStallMs,
        () => {
          const reason = new LlmrError({
            code: 'client-write-stalled',
            message: `The client read nothing for ${writeStallMs} ms while replies were queued; the WebSocket was closed and its generations stopped. Read replies as they arrive.`,
          });
          for (const controller of active.values()) controller.abort(reason);
          socket.terminate();
        },
      );
    };
    const sendError = (id: string | null, error: OpenAIError) => {
      const retryAfter = Number(error.headers?.['retry-after']);
      return send({
        id,
        type: 'error',
        error: error.body.error,
        status: error.status,
        ...(Number.isFinite(retryAfter) ? { retry_after: retryAfter } : {}),
      });
    };

    const generate = async (
      id: string,
      route: OpenAIRoute,
      body: OpenAIGenerationBody,
      controller: AbortController,
      admission: Admission,
      requestId: string,
      meter: GenerationMeter | undefined,
    ): Promise<WebSocketMessageOutcome> => {
      return core.run(
        {
          id: requestId,
          route: `ws.${route}`,
          transport: 'websocket',
          model: body.model,
          stream: true,
          client,
          admission,
          ...(meter ? { meter } : {}),
          controller,
          callOptions: (signal) => openAICallOptions(route, body, signal),
        },
        async (generation) => {
          const formatter = createChunkFormatter(
            openAIChunkMeta(route, body, generation.routing.modelId, generation.callOptions),
          );
          const { error } = await pumpChunks({
            reader: generation.reader(),
            formatter,
            send: (chunk) => send({ id, type: 'chunk', chunk }),
            isOpen: () => !controller.signal.aborted && socket.readyState === socket.OPEN,
          });
          // A cancel wins over the abort error the model reports for it.
          const failure = controller.signal.aborted
            ? toOpenAIError(controller.signal.reason)
            : error;
          const routing = routingSummary(generation.routing);
          const usage = formatter.usage ? { usage: formatter.usage } : {};
          if (failure) {
            generation.status = failure.status;
            await sendError(id, failure);
            return { status: failure.status, routing, ...usage, error: failure };
          }
          await send({
            id,
            type: 'done',
            ...(formatter.usage ? { usage: openAIUsage(formatter.usage) } : {}),
            routing,
          });
          return { status: 200, routing, ...usage };
        },
      );
    };

    const handle = async (data: RawData) => {
      let message: unknown;
      try {
        message = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
      } catch (error) {
        return sendError(
          null,
          invalid(
            `The message is not valid JSON (${(error as Error).message}). Send {"type": "chat.completions", "id": "...", "body": {...}}.`,
            'invalid_json',
          ),
        );
      }
      if (message === null || typeof message !== 'object' || Array.isArray(message)) {
        return sendError(
          null,
          invalid(
            'Each message must be a JSON object: {"type": "chat.completions" | "completions" | "cancel", "id": "...", "body": {...}}.',
            'invalid_message',
          ),
        );
      }
      const { type, id, body } = message as { type?: unknown; id?: unknown; body?: unknown };
      if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
        return sendError(
          null,
          invalid(
            `\`id\` must be a non-empty string of at most ${MAX_ID_LENGTH} characters; replies carry it.`,
            'invalid_id',
            'id',
          ),
        );
      }
      if (type === 'cancel') {
        // Cancelling a finished or unknown request is a no-op: the two can cross.
        active
          .get(id)
          ?.abort(
            new AbortError({ message: `The client cancelled request ${JSON.stringify(id)}.` }),
          );
        return;
      }
      const route =
        typeof type === 'string' && Object.hasOwn(WEBSOCKET_REQUEST_TYPES, type)
          ? WEBSOCKET_REQUEST_TYPES[type as keyof typeof WEBSOCKET_REQUEST_TYPES]
          : undefined;
      if (!route) {
        return sendError(
          id,
          invalid(
            `Unknown message type ${JSON.stringify(type)}. Use "chat.completions", "completions" or "cancel".`,
            'unknown_message_type',
            'type',
          ),
        );
      }
      if (active.has(id)) {
        // Not under `id`: that would read as the end of the request still running.
        return sendError(
          null,
          invalid(
            `A request with id ${JSON.stringify(id)} is still running on this socket; give each request its own id.`,
            'duplicate_id',
            'id',
          ),
        );
      }
      const validate = validators[route];
      if (!validate(body)) return sendError(id, toOpenAIError({ validation: validate.errors }));
      if (active.size >= maxConcurrent) {
        return sendError(
          id,
          openAIError(
            429,
            `At most ${maxConcurrent} requests may run at once on one WebSocket; wait for one to finish or open another socket.`,
            'requests',
            'too_many_concurrent_requests',
          ),
        );
      }
      const requestId = randomUUID();
      let meter: GenerationMeter | undefined;
      if (options.meter && caller.principal) {
        // Per message, as REST per request: the socket's key may not use every model.
        const metered = await options.meter.admit(caller.principal, {
          model: (body as OpenAIGenerationBody).model,
          route: `ws.${route}`,
          clientIp: caller.ip,
          requestId,
        });
        if (metered.refused) return sendError(id, metered.refused);
        meter = metered.meter;
      }
      const { refused, admission } = await access.admit(
        client,
        estimateReservation({
          prompt: (body as { prompt?: unknown }).prompt,
          messages: (body as { messages?: unknown }).messages,
          maxTokens: (body as { max_tokens?: number | null }).max_tokens,
        }),
      );
      if (refused) {
        meter?.settle({ status: refused.status });
        return sendError(id, refused);
      }

      const controller = new AbortController();
      active.set(id, controller);
      const run = async (): Promise<WebSocketMessageOutcome> => {
        try {
          return await generate(
            id,
            route,
            body as OpenAIGenerationBody,
            controller,
            admission,
            requestId,
            meter,
          );
        } catch (error) {
          const failure = toOpenAIError(error);
          await sendError(id, failure);
          return { status: failure.status, error };
        }
      };
      const observer = webSocketObserverOf(app);
      try {
        if (observer) {
          await observer.message(
            {
              connection: upgrade,
              id,
              requestId,
              type: type as 'chat.completions' | 'completions',
              model: (body as OpenAIGenerationBody).model,
              body: body as object,
            },
            run,
          );
        } else await run();
      } finally {
        active.delete(id);
        // A generation that never started still releases its reservation.
        admission.settle(0);
      }
    };

    socket.on('message', (data) => {
      handle(data).catch((error: unknown) =>
        app.log.error({ err: error }, 'websocket message failed'),
      );
    });
    socket.on('close', () => {
      const reason = new LlmrError({
        code: 'client-disconnected',
        message: 'The client closed the WebSocket.',
      });
      for (const controller of active.values()) controller.abort(reason);
    });
  };

  app.route({
    method: 'GET',
    url: options.path ?? '/v1/ws',
    websocket: true,
    preHandler: async (request, reply) => {
      const closed = access.open();
      if (closed) return sendRefusal(reply, closed);
      if (!access.originAllowed(request))
        return sendRefusal(reply, forbiddenOriginError(request.headers.origin));
      const identity = access.identify(request, { queryKey: true });
      if (identity.refused) return sendRefusal(reply, identity.refused);
      if (!request.ws) {
        return sendRefusal(
          reply,
          openAIError(
            426,
            `${request.url.split('?')[0]} is a WebSocket endpoint; connect with Upgrade: websocket.`,
            'invalid_request_error',
            'upgrade_required',
          ),
        );
      }
      setClient(request, identity.client);
    },
    handler: (socket, request) => serve(socket, clientOf(request), request),
  });
}
