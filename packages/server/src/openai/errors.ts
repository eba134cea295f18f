/**
 * Every failure becomes OpenAI's error shape with the right status, and a message that
 * says what to fix. Only a bug in llmr itself answers 500.
 */
import {
  APICallError,
  BusyError,
  ContentPolicyError,
  InvalidArgumentError,
  LlmrError,
  TimeoutError,
} from '@llmr/core';

export interface OpenAIError {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
  headers?: Record<string, string>;
}

export function openAIError(
  status: number,
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIError {
  return { status, body: { error: { message, type, param, code } } };
}

/** Fastify/ajv validation errors -> what the client should change. */
function validationMessage(error: {
  validation?: {
    instancePath?: string;
    message?: string;
    keyword?: string;
    params?: Record<string, unknown>;
  }[];
}): { message: string; param: string | null } {
  const first = error.validation?.[0];
  if (!first) return { message: 'The request body is invalid.', param: null };
  const path = (first.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  if (first.keyword === 'additionalProperties') {
    const extra = String(first.params?.additionalProperty);
    const where = path ? `${path}.${extra}` : extra;
    return { message: `Unrecognized request argument supplied: ${where}`, param: where };
  }
  if (first.keyword === 'required') {
    const missing = String(first.params?.missingProperty);
    const where = path ? `${path}.${missing}` : missing;
    return { message: `Missing required parameter: '${where}'.`, param: where };
  }
  return {
    message: `Invalid value for '${path || 'body'}': ${first.message ?? 'invalid'}.`,
    param: path || null,
  };
}

export function toOpenAIError(error: unknown): OpenAIError {
  const candidate = error as {
    statusCode?: number;
    code?: string;
    validation?: unknown[];
    message?: string;
  };
  if (candidate?.validation) {
    const { message, param } = validationMessage(
      candidate as Parameters<typeof validationMessage>[0],
    );
    return openAIError(400, message, 'invalid_request_error', 'invalid_value', param);
  }
  if (LlmrError.isInstance(error)) {
    if (InvalidArgumentError.isInstance(error)) {
      const contextLength = /context/.test(error.message);
      return openAIError(
        400,
        error.message,
        'invalid_request_error',
        contextLength ? 'context_length_exceeded' : 'invalid_value',
        error.argument,
      );
    }
    // A pipeline guardrail refused it: the client must change the request; `param` names the rule.
    if (ContentPolicyError.isInstance(error))
      return openAIError(
        400,
        error.message,
        'invalid_request_error',
        'content_policy_violation',
        error.ruleId,
      );
    switch (error.code) {
      case 'model-not-found':
        return openAIError(404, error.message, 'invalid_request_error', 'model_not_found', 'model');
      case 'unsupported-functionality':
        return openAIError(400, error.message, 'invalid_request_error', 'unsupported_parameter');
      case 'aborted':
        // Aborted by the server for a reason (a deadline, shutdown): answer the reason.
        if (LlmrError.isInstance(error.cause) && error.cause.code !== 'client-disconnected')
          return toOpenAIError(error.cause);
        return openAIError(499, error.message, 'request_aborted', 'aborted');
      case 'client-disconnected':
        return openAIError(499, error.message, 'request_aborted', 'aborted');
      case 'shutting-down':
        return {
          ...openAIError(503, error.message, 'server_error', 'shutting_down'),
          headers: { 'retry-after': '5' },
        };
      case 'budget-exceeded': {
        const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
        return {
          ...openAIError(429, error.message, 'insufficient_quota', 'budget_exceeded'),
          ...(retryAfterMs !== undefined
            ? { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } }
            : {}),
        };
      }
      case 'no-candidates':
        // Capabilities or context exclude every model (the client must change the
        // request), or open circuits do (retry later).
        return error.isRetryable
          ? {
              ...openAIError(503, error.message, 'server_error', 'no_available_model'),
              headers: { 'retry-after': '5' },
            }
          : openAIError(
              400,
              error.message,
              'invalid_request_error',
              /context/i.test(error.message) ? 'context_length_exceeded' : 'unsupported_request',
            );
      case 'all-candidates-failed': {
        // A model refused the request itself (bad option, prompt over its context):
        // that is the client's to fix, so answer it as such.
        const cause = LlmrError.isInstance(error.cause) ? toOpenAIError(error.cause) : undefined;
        if (cause && cause.status >= 400 && cause.status < 500) return cause;
        return openAIError(
          error.isRetryable ? 503 : 502,
          error.message,
          'server_error',
          'all_models_failed',
        );
      }
      case 'timeout':
        return openAIError(504, error.message, 'server_error', 'timeout');
      case 'no-such-loader':
      case 'load-failed':
        return openAIError(503, error.message, 'server_error', error.code);
      default:
        break;
    }
    if (BusyError.isInstance(error)) {
      return {
        ...openAIError(503, error.message, 'server_error', 'busy'),
        headers: { 'retry-after': '1' },
      };
    }
    if (TimeoutError.isInstance(error))
      return openAIError(504, error.message, 'server_error', 'timeout');
    if (APICallError.isInstance(error))
      return openAIError(
        502,
        `Upstream failed: ${error.message}`,
        'server_error',
        'upstream_error',
      );
    return openAIError(error.isRetryable ? 503 : 500, error.message, 'server_error', error.code);
  }
  // Fastify's own client errors (bad JSON, body too large, wrong content type).
  if (candidate?.statusCode && candidate.statusCode >= 400 && candidate.statusCode < 500) {
    const message =
      candidate.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      candidate.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      /JSON/.test(candidate.message ?? '')
        ? `We could not parse the JSON body of your request: ${candidate.message}. Send valid JSON with Content-Type: application/json.`
        : candidate.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'The request body is too large.'
          : (candidate.message ?? 'Bad request.');
    return openAIError(
      candidate.statusCode,
      message,
      'invalid_request_error',
      candidate.code ?? null,
    );
  }
  return openAIError(
    500,
    'The server had an error while processing your request.',
    'server_error',
    'internal_error',
  );
}
