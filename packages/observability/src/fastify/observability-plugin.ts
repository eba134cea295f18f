/**
 * One Fastify plugin that wires the observability pieces into a server: a SERVER span per
 * request (continuing an incoming W3C `traceparent`, active while the handler runs, so
 * router and model spans nest under it), SLO events, sticky experiment assignment applied
 * to the OpenAI body (variant in the `x-llmr-experiment` header), experiment outcomes,
 * responses remembered for feedback, and the routes of `observability-routes.ts`.
 * Registered without encapsulation, so its hooks see every route of the app.
 */
import { hashString } from '@llmr/core';
import { type Attributes, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setBounded } from '../bounded-map';
import type { ExperimentManager } from '../experiments/experiment-manager';
import type { FeedbackRecorder } from '../feedback/feedback-recorder';
import type { JudgeRequest, LlmJudge } from '../feedback/llm-judge';
import type { SloMonitor } from '../slo/slo-monitor';
import { GenAiAttribute, LlmrAttribute } from '../tracing/gen-ai-attributes';
import {
  bindRequestContext,
  isFollowableRequestId,
  releaseRequestContext,
} from '../tracing/request-contexts';
import type { RouterEventSource } from '../tracing/router-tracer';
import { extractTraceContext, recordSpanError } from '../tracing/spans';
import {
  hasContextManager,
  isStepTracingEnabled,
  isTracingEnabled,
  llmrTracer,
  tracingDetail,
} from '../tracing/tracing-state';
import { applyVariantToBody } from './apply-variant-to-body';
import {
  type ObservabilityRoutesOptions,
  registerObservabilityRoutes,
} from './observability-routes';
import { markFirstToken, type ObservedRequest, REQUEST_STATE, stateOf } from './request-state';
import { createWebSocketObserver, setWebSocketObserver } from './websocket-spans';

export interface ObservabilityPluginOptions extends ObservabilityRoutesOptions {
  slo?: SloMonitor;
  experiments?: ExperimentManager;
  feedback?: FeedbackRecorder;
  /** Routes neither traced nor counted; default `/health`, `/ready`, `/metrics`. */
  ignoreRoutes?: string[];
  /** The tenant of a request (after auth), for SLO series and feedback records. */
  tenantOf?: (request: FastifyRequest) => string | undefined;
  /**
   * The router behind the server: its first-token events give each request's time to first
   * token (measured from the HTTP request's start) for TTFT SLOs and experiment metrics.
   */
  router?: RouterEventSource;
  /** Scores a sample of JSON chat and completion responses in the background. */
  judge?: LlmJudge;
  /** Register the HTTP routes too; default true. */
  routes?: boolean;
  /** Reports a failure of the SLO store (the request itself never fails for it). */
  onError?: (error: unknown) => void;
}

/** Requests whose first token is awaited at once (for TTFT SLOs and experiments). */
const MAX_AWAITING_FIRST_TOKEN = 10_000;

const RESPONSE_ID = /^\{"id":"([^"]{1,200})"/;
const USAGE = /^"usage":\{"prompt_tokens":(\d{1,12}),"completion_tokens":(\d{1,12})/;

/** The conventions' operation of each OpenAI route. */
const OPERATION_OF: Record<string, string> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'text_completion',
  '/v1/embeddings': 'embeddings',
};

/**
 * What the request span learns from the answer: the routing outcome from the server's
 * headers and, when it is the only span of the request, the operation and token usage that
 * the model span would otherwise carry.
 */
function outcomeAttributes(
  request: FastifyRequest,
  reply: FastifyReply,
  state: ObservedRequest,
  modelId: string,
): Record<string, string | number> {
  const attributes: Record<string, string | number> = {
    'http.response.status_code': reply.statusCode,
    [GenAiAttribute.responseModel]: modelId,
  };
  const attempts = Number(reply.getHeader('x-llmr-attempts'));
  if (Number.isFinite(attempts)) attributes['llmr.routing.attempts'] = attempts;
  const strategy = reply.getHeader('x-llmr-strategy');
  if (typeof strategy === 'string') attributes[LlmrAttribute.routingStrategy] = strategy;
  const requested = (request.body as { model?: unknown } | undefined)?.model;
  if (typeof requested === 'string') attributes[GenAiAttribute.requestModel] = requested;
  const operation = OPERATION_OF[state.route];
  if (operation) attributes[GenAiAttribute.operationName] = operation;
  if (state.usage) {
    attributes[GenAiAttribute.usageInputTokens] = state.usage[0];
    attributes[GenAiAttribute.usageOutputTokens] = state.usage[1];
  }
  return attributes;
}

/** The path of a request URL, without its query. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** `<method> <route>` per route template, built once: a request does not build the same string again. */
const spanNames = new Map<string, Map<string, string>>();

function spanNameOf(method: string, route: string, isTemplate: boolean): string {
  // A URL with no route (a 404) can be anything the client sent: never kept.
  if (!isTemplate) return `${method} ${route}`;
  let byRoute = spanNames.get(method);
  if (!byRoute) {
    byRoute = new Map();
    spanNames.set(method, byRoute);
  }
  let name = byRoute.get(route);
  if (name === undefined) {
    name = `${method} ${route}`;
    byRoute.set(route, name);
  }
  return name;
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The sticky keys of a request: OpenAI's `user` field, a session header, the API key (hashed). */
function assignmentKeys(request: FastifyRequest) {
  const body = request.body as { user?: unknown } | undefined;
  const user = typeof body?.user === 'string' ? body.user : headerValue(request, 'x-llmr-user');
  const authorization = headerValue(request, 'authorization') ?? headerValue(request, 'x-api-key');
  return {
    ...(user ? { user } : {}),
    ...(headerValue(request, 'x-session-id')
      ? { session: headerValue(request, 'x-session-id') }
      : {}),
    ...(authorization ? { key: hashString(authorization).toString(16) } : {}),
  };
}

/** Question and answer of a JSON chat or completion response; parsed only when sampled. */
function judgeRequestOf(request: FastifyRequest, payload: string): JudgeRequest | undefined {
  const response = JSON.parse(payload) as {
    id?: string;
    model?: string;
    choices?: { message?: { content?: unknown }; text?: unknown }[];
  };
  const answer = response.choices?.[0]?.message?.content ?? response.choices?.[0]?.text;
  const body = request.body as {
    messages?: { role?: string; content?: unknown }[];
    prompt?: unknown;
  };
  const question = body?.messages
    ? body.messages.findLast((message) => message.role === 'user')?.content
    : body?.prompt;
  if (typeof answer !== 'string' || typeof question !== 'string' || !response.id) return undefined;
  const taskTag = headerValue(request, 'x-llmr-task');
  return {
    responseId: response.id,
    model: response.model ?? '',
    prompt: question,
    response: answer,
    ...(taskTag ? { taskTag } : {}),
  };
}

async function observabilityPlugin(app: FastifyInstance, options: ObservabilityPluginOptions) {
  const ignored = new Set(options.ignoreRoutes ?? ['/health', '/ready', '/metrics']);
  const reportError =
    options.onError ??
    ((error: unknown) => app.log.warn({ err: error }, 'observability hook failed'));
  app.decorateRequest(REQUEST_STATE, null);
  // Whether anything reads a request's outcome; without, a request that is not traced
  // gets no state at all.
  const counts = Boolean(options.slo || options.experiments || options.feedback || options.judge);
  // With tracing off when the plugin is registered and nothing counting, it adds no hook at
  // all: tracing that is off must cost nothing, and a single onResponse hook makes Fastify set
  // up listeners on every response (without a logger it otherwise skips them). Tracing is
  // set up before the server (`setupTracing`, or an SDK of one's own), so this is decided here.
  const observes = counts || isTracingEnabled();
  // Which request a first-token event belongs to: the server names each request's router
  // call with the Fastify request id. Only a time-to-first-token SLO and running
  // experiments read the time to first token, so only they keep this map.
  const tracksFirstToken = Boolean(
    options.router &&
      (options.slo?.readsTimeToFirstToken || (options.experiments?.list().length ?? 0) > 0),
  );
  const awaitingFirstToken = new Map<string, FastifyRequest>();
  if (options.router && tracksFirstToken) {
    const unsubscribe = options.router.subscribe((event) => {
      if (event.type !== 'first-token' || event.requestId === undefined) return;
      const request = awaitingFirstToken.get(event.requestId);
      if (request) markFirstToken(request);
    });
    app.addHook('onClose', async () => unsubscribe());
  }

  if (observes)
    app.addHook('onRequest', (request, _reply, done) => {
      const tracing = isTracingEnabled();
      if (!tracing && !counts) return done();
      const route = request.routeOptions.url ?? request.url;
      if (ignored.has(route)) return done();
      const state: ObservedRequest = {
        startedAt: performance.now(),
        span: undefined,
        route,
        assignments: [],
        responseId: undefined,
        timeToFirstTokenMs: undefined,
        usage: undefined,
        traceContext: undefined,
      };
      (request as unknown as Record<string, ObservedRequest>)[REQUEST_STATE] = state;
      // A WebSocket upgrade gets no response hook; its messages are observed on their own.
      const upgrade = request.headers.upgrade?.toLowerCase() === 'websocket';
      // Bounded: a request that never gets its response hook (the client went away first)
      // must not stay forever.
      if (tracksFirstToken && !upgrade && isFollowableRequestId(request.id))
        setBounded(awaitingFirstToken, request.id, request, MAX_AWAITING_FIRST_TOKEN);
      if (!tracing) return done();
      const parent = extractTraceContext(request.headers);
      const attributes: Attributes = {
        'http.request.method': request.method,
        'http.route': route,
        'url.path': pathOf(request.url),
      };
      const userAgent = request.headers['user-agent'];
      if (userAgent) attributes['user_agent.original'] = userAgent;
      state.span = llmrTracer().startSpan(
        spanNameOf(request.method, route, request.routeOptions.url !== undefined),
        { kind: SpanKind.SERVER, attributes },
        parent,
      );
      const spanContext = trace.setSpan(parent, state.span);
      // The router's and the models' spans find their parent by the request id.
      if (isStepTracingEnabled()) {
        state.traceContext = spanContext;
        bindRequestContext(request.id, spanContext);
      }
      if (upgrade) endWithConnection(request, state);
      // With a context manager, spans of the user's own (or third-party instrumentations)
      // nest under the request too: everything after this hook runs in the span's context.
      if (hasContextManager()) context.with(spanContext, done);
      else done();
    });

  if (options.experiments) {
    const experiments = options.experiments;
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      const state = stateOf(request);
      const body = request.body;
      if (!state || request.method !== 'POST' || typeof body !== 'object' || body === null) return;
      if (!('model' in body || 'messages' in body || 'prompt' in body)) return;
      state.assignments = experiments.assignAll(assignmentKeys(request), state.route);
      if (state.assignments.length === 0) return;
      for (const { variant } of state.assignments) applyVariantToBody(body as object, variant);
      reply.header(
        'x-llmr-experiment',
        state.assignments
          .map(({ experimentId, variant }) => `${experimentId}=${variant.name}`)
          .join(', '),
      );
      const [first] = state.assignments;
      if (first && state.span) {
        state.span.setAttributes({
          [LlmrAttribute.experimentId]: first.experimentId,
          [LlmrAttribute.experimentVariant]: first.variant.name,
        });
      }
    });
  }

  // One span per request: the usage the model span would carry is read off the JSON answer
  // (decided when the plugin is registered, as `setupTracing` runs before the server).
  if (isTracingEnabled() && tracingDetail() === 'requests') {
    app.addHook('onSend', (request, _reply, payload, done) => {
      const state = stateOf(request);
      if (state?.span && typeof payload === 'string') {
        const at = payload.lastIndexOf('"usage":');
        const usage = at >= 0 ? USAGE.exec(payload.slice(at, at + 120)) : null;
        if (usage) state.usage = [Number(usage[1]), Number(usage[2])];
      }
      done(null, payload);
    });
  }

  if (options.feedback || options.judge) {
    const judge = options.judge;
    app.addHook('onSend', (request, reply, payload, done) => {
      const state = stateOf(request);
      if (state && typeof payload === 'string') {
        state.responseId = RESPONSE_ID.exec(payload)?.[1];
        if (judge && state.responseId && reply.statusCode === 200) {
          judge.maybeJudge(() => judgeRequestOf(request, payload));
        }
      }
      done(null, payload);
    });
  }

  // Hooks with a callback, not async: an async hook costs a promise on every request.
  if (observes) {
    app.addHook('onError', (request, _reply, error, done) => {
      const span = stateOf(request)?.span;
      if (span) recordSpanError(span, error);
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      done();
      const state = stateOf(request);
      if (state) finish(request, reply, state);
    });
  }

  const finish = (request: FastifyRequest, reply: FastifyReply, state: ObservedRequest) => {
    // Only its own entry: a client-chosen request id may be shared by two requests.
    if (awaitingFirstToken.get(request.id) === request) awaitingFirstToken.delete(request.id);
    if (state.traceContext) releaseRequestContext(request.id, state.traceContext);
    const durationMs = performance.now() - state.startedAt;
    const status = reply.statusCode;
    const model = reply.getHeader('x-llmr-model');
    const modelId = typeof model === 'string' ? model : undefined;
    if (state.span) {
      state.span.setAttributes(
        modelId
          ? outcomeAttributes(request, reply, state, modelId)
          : { 'http.response.status_code': status },
      );
      if (status >= 500) state.span.setStatus({ code: SpanStatusCode.ERROR });
      state.span.end();
      state.span = undefined;
    }
    // Only generations count: a request the server answered for a model carries its header.
    if (!modelId) return;
    const tenant = options.tenantOf?.(request);
    const failed = status >= 500;
    if (options.slo) {
      options.slo
        .record({
          route: state.route,
          model: modelId,
          ...(tenant ? { tenant } : {}),
          ok: !failed,
          durationMs,
          ...(state.timeToFirstTokenMs !== undefined
            ? { timeToFirstTokenMs: state.timeToFirstTokenMs }
            : {}),
        })
        .catch(reportError);
    }
    for (const { experimentId, variant } of state.assignments) {
      options.experiments?.recordOutcome(experimentId, variant.name, {
        error: failed,
        latencyMs: durationMs,
        ...(state.timeToFirstTokenMs !== undefined
          ? { timeToFirstTokenMs: state.timeToFirstTokenMs }
          : {}),
      });
    }
    if (options.feedback && status < 400) {
      const [first] = state.assignments;
      const record = {
        model: modelId,
        route: state.route,
        ...(tenant ? { tenant } : {}),
        ...(headerValue(request, 'x-llmr-task')
          ? { taskTag: headerValue(request, 'x-llmr-task') }
          : {}),
        ...(first ? { experiment: { id: first.experimentId, variant: first.variant.name } } : {}),
      };
      options.feedback.registerResponse({ responseId: request.id, ...record });
      if (state.responseId && state.responseId !== request.id) {
        options.feedback.registerResponse({ responseId: state.responseId, ...record });
      }
    }
  };

  setWebSocketObserver(
    app,
    createWebSocketObserver({
      ...(options.slo ? { slo: options.slo } : {}),
      ...(options.tenantOf ? { tenantOf: options.tenantOf as never } : {}),
      onError: reportError,
    }),
  );
  if (options.routes !== false) registerObservabilityRoutes(app, options);
}

/**
 * A WebSocket's upgrade request is answered by handing the socket over, so no response hook
 * ends its span; the span lasts as long as the connection, and its messages' spans (see
 * `websocket-spans.ts`) sit under it.
 */
function endWithConnection(request: FastifyRequest, state: ObservedRequest): void {
  request.raw.socket.once('close', () => {
    if (state.traceContext) releaseRequestContext(request.id, state.traceContext);
    if (!state.span) return;
    state.span.setAttribute('llmr.websocket.duration_ms', performance.now() - state.startedAt);
    state.span.end();
    state.span = undefined;
  });
}

// Fastify's marker for "do not encapsulate": the hooks must reach the app's own routes.
(observabilityPlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

export { observabilityPlugin };
