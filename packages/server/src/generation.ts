/**
 * The one generation core every transport (REST, WebSocket, GraphQL) goes through: track
 * the request as in flight, validate its call options, ask the backend for a stream,
 * observe time to first token and usage, and when it ends, charge the client's token
 * limit and record the metrics. Transports only turn the parts into their own messages.
 */
import {
  collectStream,
  type ModelV1CallOptions,
  type ModelV1GenerateResult,
  type ModelV1StreamPart,
  TimeoutError,
  validateCallOptions,
} from '@llmr/core';
import type { RoutingInfo, ServerBackend } from './backend';
import type { GenerationMeter } from './gateway-meter';
import type { Metrics } from './metrics';
import { observeReader, readerStream, type StreamObservation } from './observe-stream';
import { toOpenAIError } from './openai/errors';
import type { Admission } from './rate-limiter';

export type Transport = 'http' | 'websocket' | 'graphql' | 'grpc';

export interface InFlightRequest {
  id: string;
  /** The metrics route: `chat`, `completion`, `embeddings`, `ws.chat`, `graphql.generate`, ... */
  route: string;
  model: string;
  startedAt: number;
  stream: boolean;
  transport: Transport;
  /** True until the first token: queued for a model, a sequence, or a prompt's prefill. */
  waiting: boolean;
}

export interface GenerationSpec {
  /** Shown in the in-flight list (the request id for REST). */
  id: string;
  route: string;
  transport: Transport;
  /** The requested model: an id, an alias or `auto`. */
  model: string;
  stream: boolean;
  /** Rate-limit identity (shown in logs). */
  client: string;
  /** The rate-limit admission holding this request's tokens; settled to its usage at the end. */
  admission?: Admission;
  /** The gateway's charge for this generation, settled to its usage at the end. */
  meter?: GenerationMeter;
  /** The transport's own controller, when it must abort early (client gone, cancel). */
  controller?: AbortController;
  callOptions(signal: AbortSignal): ModelV1CallOptions;
}

export interface Generation {
  readonly id: string;
  readonly routing: RoutingInfo;
  readonly callOptions: ModelV1CallOptions;
  /**
   * The model's parts, observed as they are read (first token, usage): through `reader()`
   * (no stream between the model's and the transport) or through `stream`, once.
   */
  readonly stream: ReadableStream<ModelV1StreamPart>;
  reader(): ReadableStreamDefaultReader<ModelV1StreamPart>;
  readonly observation: StreamObservation;
  readonly signal: AbortSignal;
  /** Status recorded in the metrics; a transport sets it when a failure travels in-stream. */
  status: number;
  abort(reason: unknown): void;
  /** Untrack, charge the tokens, record the metrics. Idempotent. */
  end(error?: unknown): void;
}

/** A non-streaming generation, run to its end: the whole answer and how it was served. */
export interface Completion {
  readonly routing: RoutingInfo;
  readonly callOptions: ModelV1CallOptions;
  readonly result: ModelV1GenerateResult;
  readonly observation: StreamObservation;
}

/** A request tracked without a generation stream (embeddings). */
export interface TrackedRequest {
  readonly signal: AbortSignal;
  model: string;
  end(status: number): void;
}

export interface GenerationCore {
  /**
   * Starts a generation. If it cannot start (invalid options, unknown model, all models
   * failed), it is recorded and the error thrown; otherwise the caller reads the stream
   * and calls `end` once.
   */
  start(spec: GenerationSpec): Promise<Generation>;
  /** `start`, then `consume`, then `end`, whatever happens. */
  run<T>(spec: GenerationSpec, consume: (generation: Generation) => Promise<T>): Promise<T>;
  /**
   * A non-streaming generation to its end, tracked and recorded like `run`. Through the
   * backend's `generate` when it has one: no stream is built between backend and server.
   */
  complete(spec: GenerationSpec): Promise<Completion>;
  track(spec: Omit<GenerationSpec, 'callOptions'>): TrackedRequest;
  list(): InFlightRequest[];
  readonly size: number;
  waiting(): number;
  abortAll(reason: unknown): void;
}

export function createGenerationCore(options: {
  backend: ServerBackend;
  metrics: Metrics;
  /** Total time one generation may take, queueing included; then it is aborted (504). */
  generationTimeoutMs?: number;
}): GenerationCore {
  const { backend, metrics } = options;
  // Keyed by a counter, not by id: a client may send the same x-request-id twice.
  const inFlight = new Map<number, InFlightRequest & { controller: AbortController }>();
  let nextKey = 0;

  const record = (
    route: string,
    model: string,
    status: number,
    startedAt: number,
    observation?: StreamObservation,
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

  /**
   * Metrics label a model only by an id the backend resolved: a failed request's raw
   * `model` string is the client's to choose, and as a label it would grow the metrics
   * without bound (one series per distinct string).
   */
  const UNRESOLVED_MODEL = 'unresolved';

  const track = (spec: Omit<GenerationSpec, 'callOptions'>) => {
    const controller = spec.controller ?? new AbortController();
    const entry = {
      id: spec.id,
      route: spec.route,
      model: spec.model,
      startedAt: Date.now(),
      stream: spec.stream,
      transport: spec.transport,
      waiting: true,
      controller,
    };
    const key = nextKey++;
    inFlight.set(key, entry);
    metrics.inFlight.inc();
    const startedAt = performance.now();
    let ended = false;
    let resolvedModel: string | undefined;
    let started: { routing: RoutingInfo; callOptions: ModelV1CallOptions } | undefined;
    // A model that hangs (or a prompt that never ends) must not hold a sequence forever.
    const deadline =
      options.generationTimeoutMs !== undefined
        ? setTimeout(() => {
            const timeoutMs = options.generationTimeoutMs!;
            controller.abort(
              new TimeoutError({
                timeoutMs,
                message: `The generation ran past the server's ${timeoutMs} ms deadline and was stopped. Ask for fewer tokens (max_tokens), or raise the deadline.`,
              }),
            );
          }, options.generationTimeoutMs)
        : undefined;
    return {
      entry,
      controller,
      resolve(modelId: string) {
        entry.model = modelId;
        resolvedModel = modelId;
      },
      /** The generation reached a model: what the gateway's charge is computed from. */
      began(routing: RoutingInfo, callOptions: ModelV1CallOptions) {
        started = { routing, callOptions };
      },
      finish(status: number, observation?: StreamObservation) {
        if (ended) return;
        ended = true;
        clearTimeout(deadline);
        if (inFlight.delete(key)) metrics.inFlight.dec();
        const usage = observation?.usage;
        // A stream cut short reports no usage: it is charged the text it generated.
        spec.admission?.settle(
          usage ? usage.inputTokens + usage.outputTokens : (observation?.textDeltas ?? 0),
        );
        spec.meter?.settle({ status, ...started, ...(observation ? { observation } : {}) });
        record(spec.route, resolvedModel ?? UNRESOLVED_MODEL, status, startedAt, observation);
      },
    };
  };

  const start = async (spec: GenerationSpec): Promise<Generation> => {
    const tracked = track(spec);
    const { entry, controller } = tracked;
    let generation: Generation;
    try {
      const callOptions = spec.callOptions(controller.signal);
      validateCallOptions(callOptions);
      const { stream: raw, routing } = await backend.stream(spec.model, callOptions, {
        requestId: spec.id,
      });
      tracked.resolve(routing.modelId);
      tracked.began(routing, callOptions);
      const { reader, observation } = observeReader(raw, () => {
        entry.waiting = false;
      });
      let stream: ReadableStream<ModelV1StreamPart> | undefined;
      generation = {
        id: spec.id,
        routing,
        callOptions,
        get stream() {
          stream ??= readerStream(reader);
          return stream;
        },
        reader: () => reader,
        observation,
        signal: controller.signal,
        status: 200,
        abort: (reason) => controller.abort(reason),
        end(error) {
          if (error !== undefined) generation.status = toOpenAIError(error).status;
          tracked.finish(generation.status, observation);
        },
      };
    } catch (error) {
      tracked.finish(toOpenAIError(error).status);
      throw error;
    }
    return generation;
  };

  /** A model stopped by the deadline reports an abort; the deadline is the answer. */
  const deadlineOr = (signal: AbortSignal, error: unknown) =>
    TimeoutError.isInstance(signal.reason) ? signal.reason : error;

  const run = async <T>(
    spec: GenerationSpec,
    consume: (generation: Generation) => Promise<T>,
  ): Promise<T> => {
    const generation = await start(spec);
    try {
      const result = await consume(generation);
      generation.end();
      return result;
    } catch (error) {
      const failure = deadlineOr(generation.signal, error);
      generation.end(failure);
      throw failure;
    }
  };

  const complete = async (spec: GenerationSpec): Promise<Completion> => {
    const generate = backend.generate;
    if (!generate)
      return run(spec, async ({ routing, callOptions, observation, stream }) => ({
        routing,
        callOptions,
        observation,
        result: await collectStream(stream, { modelId: routing.modelId }),
      }));
    const tracked = track(spec);
    const { signal } = tracked.controller;
    let status = 200;
    let observation: StreamObservation | undefined;
    try {
      const callOptions = spec.callOptions(signal);
      validateCallOptions(callOptions);
      const startedAt = performance.now();
      const { result, routing, firstTokenMs } = await generate.call(
        backend,
        spec.model,
        callOptions,
        { requestId: spec.id },
      );
      tracked.resolve(routing.modelId);
      tracked.began(routing, callOptions);
      observation = {
        failed: false,
        usage: result.usage,
        textDeltas: result.usage.outputTokens,
        ...(firstTokenMs !== undefined ? { firstTextAt: startedAt + firstTokenMs } : {}),
      };
      return { routing, callOptions, result, observation };
    } catch (error) {
      const failure = deadlineOr(signal, error);
      status = toOpenAIError(failure).status;
      throw failure;
    } finally {
      tracked.finish(status, observation);
    }
  };

  return {
    start,
    run,
    complete,
    track(spec) {
      const tracked = track(spec);
      return {
        signal: tracked.controller.signal,
        get model() {
          return tracked.entry.model;
        },
        set model(model: string) {
          tracked.resolve(model);
        },
        end: (status) => tracked.finish(status),
      };
    },
    list: () => [...inFlight.values()].map(({ controller: _controller, ...entry }) => entry),
    get size() {
      return inFlight.size;
    },
    waiting: () => [...inFlight.values()].filter((entry) => entry.waiting).length,
    abortAll(reason) {
      for (const entry of inFlight.values()) entry.controller.abort(reason);
    },
  };
}
