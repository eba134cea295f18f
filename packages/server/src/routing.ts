/** The routing decision as every transport reports it: headers (REST), fields (WS, GraphQL). */
import type { RoutingInfo } from './backend';

export interface RoutingSummary {
  /** The model that served the request. */
  model: string;
  strategy?: string;
  /** Models tried, this one included. */
  attempts: number;
  cached?: boolean;
}

export function routingSummary(routing: RoutingInfo): RoutingSummary {
  return {
    model: routing.modelId,
    ...(routing.strategy ? { strategy: routing.strategy } : {}),
    attempts: (routing.attempts?.length ?? 0) + 1,
    ...(routing.cached ? { cached: true } : {}),
  };
}

export function routingHeaders(routing: RoutingInfo): Record<string, string> {
  const summary = routingSummary(routing);
  return {
    'x-llmr-model': summary.model,
    ...(summary.strategy ? { 'x-llmr-strategy': summary.strategy } : {}),
    'x-llmr-attempts': String(summary.attempts),
    ...(summary.cached ? { 'x-llmr-cache': 'hit' } : {}),
  };
}
