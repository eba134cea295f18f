/**
 * @llmr/server — an OpenAI-compatible API over an llmr backend (usually a router), over
 * REST with SSE, WebSocket and GraphQL.
 */
export type {
  BackendModel,
  BackendStats,
  RoutingAttempt,
  RoutingInfo,
  ServerBackend,
} from './backend';
export {
  createServer,
  type InFlightRequest,
  type LlmrServer,
  type ServerOptions,
  type ServerTimeouts,
} from './create-server';
export type { Transport } from './generation';
export type { OpenAIChunk } from './openai/chunks';
export { toOpenAIError } from './openai/errors';
export type { RateLimits } from './rate-limiter';
export { createRouterBackend, type RouterBackendOptions } from './router-backend';
export type { RoutingSummary } from './routing';
export type { RedisOptions } from './shared-state/create-shared-state';
export { createMemorySharedState } from './shared-state/memory-shared-state';
export {
  createRedisSharedState,
  type RedisSharedStateOptions,
} from './shared-state/redis-shared-state';
export type { FailMode } from './shared-state/resilient-shared-state';
export type {
  RateLimitDecision,
  SharedState,
  SharedStateStatus,
} from './shared-state/shared-state';
export type {
  WebSocketClientMessage,
  WebSocketServerMessage,
} from './websocket/websocket-protocol';
