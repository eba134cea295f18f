/**
 * @llmr/router — LLMRouter: one ModelV1-like entry point over many local and remote
 * models, with routing strategies, stream-safe fallback, retries, circuit breaking,
 * budgets, caching and ensembles. Every result explains how it was routed.
 */
export {
  type CachedResponse,
  CacheManager,
  type CacheStats,
  hashKey,
  normalizeRequest,
  replayAsStream,
} from './cache/cache-manager';
export type { CacheStore } from './cache/cache-store';
export { createDiskCacheStore, type DiskCacheStoreOptions } from './cache/disk-cache-store';
export { createMemoryCacheStore, type MemoryCacheStoreOptions } from './cache/memory-cache-store';
export { createRedisCacheStore, type RedisCacheStoreOptions } from './cache/redis-cache-store';
export {
  type CacheTier,
  type CacheTierStats,
  createTieredCacheStore,
  type TieredCacheStore,
} from './cache/tiered-cache-store';
export { type Clock, createManualClock, type ManualClock, systemClock } from './clock';
export {
  loadRouterConfig,
  type WatchRouterConfigOptions,
  watchRouterConfig,
} from './config/load-router-config';
export {
  type ParseRouterConfigOptions,
  parseRouterConfig,
  type ValidateRouterConfigOptions,
  validateRouterConfig,
} from './config/parse-router-config';
export {
  builtinStrategyNames,
  type ModelFactory,
  type ResolvedModelConfig,
  type ResolvedRouteConfig,
  type ResolvedRouterConfig,
  type RouterBudgetConfig,
  type RouterConfig,
  type RouterModelConfig,
  type RouterRetryConfig,
  type RouterRouteConfig,
  type RouterTimeoutsConfig,
} from './config/router-config-schema';
export { BudgetTracker } from './cost/budget-tracker';
export { CostOptimizer, type ModelPricing } from './cost/cost-optimizer';
export { QualityScorer } from './cost/quality-scorer';
export {
  type EnsembleMember,
  type EnsembleMode,
  type EnsembleResult,
  ModelEnsemble,
  type ModelEnsembleOptions,
} from './ensemble/model-ensemble';
export { formatIssue, RouterConfigError, type RouterConfigIssue, RouterError } from './errors';
export type { RouterEvent, RouterEventListener, RouterEventType } from './events';
export { estimateModelMemory, parseMemorySize } from './lifecycle/memory-size';
export type {
  MemorySource,
  ProviderFactory,
  ProviderFactoryContext,
} from './lifecycle/model-pool';
export {
  CircuitBreaker,
  type CircuitBreakerSettings,
  type CircuitSnapshot,
  type CircuitState,
} from './resilience/circuit-breaker';
export {
  backoffDelay,
  isRetryableError,
  type RetrySettings,
  retryAfterMsOf,
} from './resilience/retry-policy';
export {
  createRouter,
  createRouterFromFile,
  type HealthReport,
  LLMRouter,
  type RouterModelListing,
  type RouterModelStats,
  type RouterOptions,
  type RouterStats,
} from './router';
export type { ModelStatsSnapshot } from './stats/model-stats';
export {
  type BalancedWeights,
  balancedStrategy,
  createBalancedStrategy,
} from './strategies/balanced-strategy';
export { builtinStrategies } from './strategies/builtin-strategies';
export { costOptimizedStrategy } from './strategies/cost-optimized-strategy';
export { fallbackChainStrategy } from './strategies/fallback-chain-strategy';
export { leastLoadedStrategy } from './strategies/least-loaded-strategy';
export { qualityFirstStrategy } from './strategies/quality-first-strategy';
export { roundRobinStrategy } from './strategies/round-robin-strategy';
export { speedPriorityStrategy } from './strategies/speed-priority-strategy';
export { weightedRandomStrategy } from './strategies/weighted-random-strategy';
export type {
  AttemptError,
  AttemptInfo,
  CandidateView,
  ExcludedCandidate,
  RankedCandidate,
  RouterEmbedRequest,
  RouterEmbedResult,
  RouterGenerateResult,
  RouterRequest,
  RouterRequestOptions,
  RouterStreamResult,
  RouterTimeouts,
  RoutingInfo,
  RoutingStrategy,
  StrategyContext,
  StrategySelection,
} from './types';
