/**
 * @llmr/server — an OpenAI-compatible API over an llmr backend (usually a router), over
 * REST with SSE, WebSocket and GraphQL.
 */
export type { Access, Caller, Identity } from './access';
export type {
  BackendCall,
  BackendModel,
  BackendStats,
  HealthChange,
  HealthControl,
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
export type {
  AuthenticateResult,
  GatewayMeter,
  GenerationEnd,
  GenerationMeter,
  MeterResult,
} from './gateway-meter';
export type {
  Generation,
  GenerationCore,
  GenerationSpec,
  TrackedRequest,
  Transport,
} from './generation';
export { compileBodyValidators } from './openai/body-validators';
export type { OpenAIChunk, OpenAIRoute } from './openai/chunks';
export { openAIEmbeddings } from './openai/embeddings';
export { type OpenAIError, toOpenAIError } from './openai/errors';
export { type OpenAIGenerationBody, openAICallOptions } from './openai/openai-request';
export type { Admission, RateLimits } from './rate-limiter';
export { createRouterBackend, type RouterBackendOptions } from './router-backend';
export type { ConsoleOptions } from './routes/console-routes';
export { requireModel } from './routes/require-model';
export { type RoutingSummary, routingSummary } from './routing';
export type { RedisOptions } from './shared-state/create-shared-state';
export { createMemorySharedState } from './shared-state/memory-shared-state';
export type { ModelHealthMark } from './shared-state/model-health-sync';
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
export {
  createStickyAssignments,
  MAX_STICKY_SUBJECT_LENGTH,
  type StickyAssignments,
  type StickyAssignmentsOptions,
} from './shared-state/sticky-assignments';
export {
  setWebSocketObserver,
  WEBSOCKET_OBSERVER,
  type WebSocketMessageInfo,
  type WebSocketMessageOutcome,
  type WebSocketObserver,
  webSocketObserverOf,
} from './websocket/websocket-observer';
export type {
  WebSocketClientMessage,
  WebSocketServerMessage,
} from './websocket/websocket-protocol';
