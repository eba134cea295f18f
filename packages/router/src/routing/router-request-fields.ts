/**
 * The request fields that steer the router and never reach a model. One list, read by
 * both the options forwarded to a model and the cache key, so the two cannot drift apart:
 * a field the model sees is always part of the key, and a routing-only field never is.
 */
import type { ModelV1CallOptions } from '@llmr/core';
import type { RouterRequest } from '../types';

/** The `providerOptions` entry in which the router names the request of a model call. */
export const ROUTER_CALL_KEY = 'llmr.router';

export const routerRequestFields: ReadonlySet<string> = new Set([
  'model',
  'strategy',
  'cache',
  'timeouts',
  'requestId',
  'expectedOutputTokens',
  'abortSignal',
]);

/** The model-facing part of a request: router-only fields dropped. */
export function modelFacingFields(request: RouterRequest): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request))
    if (!routerRequestFields.has(key)) fields[key] = value;
  return fields;
}

/**
 * What one attempt passes to `doStream`: the model-facing fields (undefined dropped) and the
 * attempt's signal. With `requestId` (the router does so while anyone listens to its
 * events), the call names its request in `providerOptions['llmr.router'].requestId`, so a
 * wrapper such as a tracing one can tie the call to the request's routing events (a
 * provider named `llmr.router` is unlikely: providers merge only their own entry).
 */
export function callOptionsOf(
  request: RouterRequest,
  signal: AbortSignal,
  requestId?: string,
): ModelV1CallOptions {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request))
    if (!routerRequestFields.has(key) && value !== undefined) options[key] = value;
  options.abortSignal = signal;
  if (requestId !== undefined) {
    options.providerOptions = { ...request.providerOptions, [ROUTER_CALL_KEY]: { requestId } };
  }
  return options as unknown as ModelV1CallOptions;
}
