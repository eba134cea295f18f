/**
 * The request fields that steer the router and never reach a model. One list, read by
 * both the options forwarded to a model and the cache key, so the two cannot drift apart:
 * a field the model sees is always part of the key, and a routing-only field never is.
 */
import type { ModelV1CallOptions } from '@llmr/core';
import type { RouterRequest } from '../types';

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

/** What one attempt passes to `doStream`: the model-facing fields (undefined dropped) and the attempt's signal. */
export function callOptionsOf(request: RouterRequest, signal: AbortSignal): ModelV1CallOptions {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request))
    if (!routerRequestFields.has(key) && value !== undefined) options[key] = value;
  options.abortSignal = signal;
  return options as unknown as ModelV1CallOptions;
}
