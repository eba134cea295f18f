/**
 * @llmr/server — an OpenAI-compatible API over any llmr backend (a router, or a fixed
 * set of models).
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
export {
  createStaticBackend,
  type StaticBackendOptions,
  type StaticModelConfig,
} from './static-backend';
