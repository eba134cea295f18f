/**
 * @llmr/server — an OpenAI-compatible API over an llmr backend (usually a router).
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
} from './create-server';
export { toOpenAIError } from './openai/errors';
export type { RateLimits } from './rate-limiter';
export { createRouterBackend, type RouterBackendOptions } from './router-backend';
