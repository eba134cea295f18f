import type { LoaderV1, ModelV1, ModelV1CallOptions, Registry } from '@llmr/core';
import type { CacheStore } from './cache/cache-store';
import type { Clock } from './clock';
import type { RouterConfig } from './config/router-config-schema';
import type { RouterEventListener } from './events';
import type { ProviderFactory } from './lifecycle/model-pool';
import type { RoutingStrategy } from './types';

export interface RouterOptions extends RouterConfig {
  /** The core registry that loads `source` models. */
  registry?: Registry;
  /** Shorthand: a registry with these loaders (used when `registry` is not given). */
  loaders?: LoaderV1[];
  /** Remote model factories by name, for models with `provider`, e.g. `{ openai: createOpenAICompatible({...}) }`. */
  providers?: Record<string, ProviderFactory>;
  /** Custom strategies, usable by name in config and requests. */
  strategies?: RoutingStrategy[];
  /** Where the response cache lives (default: memory, when `cache.enabled`). */
  cacheStore?: CacheStore;
  clock?: Clock;
  /** Seeds jitter and weighted-random picks, for replayable tests. */
  seed?: number;
  onEvent?: RouterEventListener;
  /** Prompt tokens for models without a loaded tokenizer (default: ~4 characters a token). */
  estimateTokens?: (options: ModelV1CallOptions) => number;
  /** What a health check runs (default: a 1-token generate). Throw to report unhealthy. */
  healthProbe?: (model: ModelV1, signal: AbortSignal) => Promise<void>;
}
