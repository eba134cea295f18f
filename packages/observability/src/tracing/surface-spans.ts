/**
 * What the spans of the non-HTTP surfaces (a WebSocket message, a gRPC call) share: the
 * request parameters read from the OpenAI-shaped body, and how an outcome ends the span
 * (serving model, attempts, usage, and a failure only when the server failed).
 */
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanStatusCode,
} from '@opentelemetry/api';
import { GenAiAttribute, LlmrAttribute } from './gen-ai-attributes';
import { bindRequestContext, releaseRequestContext } from './request-contexts';
import { errorTypeOf, recordSpanError } from './spans';
import { hasContextManager, isStepTracingEnabled } from './tracing-state';

/**
 * Runs a surface's work under its span: the request id is bound to the span's context while
 * it runs (so the router's and the models' spans nest under it), and with a context manager
 * the span's context is the active one too.
 */
export async function runInSpanContext<T>(
  spanContext: Context,
  requestId: string | undefined,
  run: () => Promise<T>,
): Promise<T> {
  const binds = requestId !== undefined && isStepTracingEnabled();
  if (binds) bindRequestContext(requestId, spanContext);
  try {
    return await (hasContextManager() ? context.with(spanContext, run) : run());
  } finally {
    if (binds) releaseRequestContext(requestId, spanContext);
  }
}

export interface SurfaceOutcome {
  /** What REST would have answered: 200, or the failure's HTTP status. */
  status: number;
  routing?: { model: string; attempts: number; strategy?: string };
  usage?: { inputTokens: number; outputTokens: number };
  error?: unknown;
}

export const SurfaceAttribute = {
  attempts: 'llmr.routing.attempts',
  status: 'llmr.status_code',
} as const;

/** The GenAI request parameters an OpenAI-shaped body carries. */
export function bodyAttributes(body: object, attributes: Attributes): Attributes {
  const { temperature, top_p, max_tokens } = body as {
    temperature?: unknown;
    top_p?: unknown;
    max_tokens?: unknown;
  };
  if (typeof temperature === 'number') attributes[GenAiAttribute.requestTemperature] = temperature;
  if (typeof top_p === 'number') attributes[GenAiAttribute.requestTopP] = top_p;
  if (typeof max_tokens === 'number') attributes[GenAiAttribute.requestMaxTokens] = max_tokens;
  return attributes;
}

/** Sets the outcome's attributes in one call and ends the span. */
export function endSurfaceSpan(span: Span, outcome: SurfaceOutcome, extra: Attributes = {}): void {
  const attributes: Attributes = { ...extra, [SurfaceAttribute.status]: outcome.status };
  if (outcome.routing) {
    attributes[GenAiAttribute.responseModel] = outcome.routing.model;
    attributes[SurfaceAttribute.attempts] = outcome.routing.attempts;
    if (outcome.routing.strategy)
      attributes[LlmrAttribute.routingStrategy] = outcome.routing.strategy;
  }
  if (outcome.usage) {
    attributes[GenAiAttribute.usageInputTokens] = outcome.usage.inputTokens;
    attributes[GenAiAttribute.usageOutputTokens] = outcome.usage.outputTokens;
  }
  span.setAttributes(attributes);
  // As for REST, only a server-side failure marks the span failed; a refused or cancelled
  // request still says why in `error.type`.
  if (outcome.status >= 500) {
    if (outcome.error !== undefined) recordSpanError(span, outcome.error);
    else span.setStatus({ code: SpanStatusCode.ERROR });
  } else if (outcome.error !== undefined) {
    span.setAttribute(GenAiAttribute.errorType, errorTypeOf(outcome.error));
  }
  span.end();
}
