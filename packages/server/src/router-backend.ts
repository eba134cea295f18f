/**
 * The server's backend over an LLMRouter: `model` resolves through the router (a model
 * id, a route, an alias or `auto`), and the routing decision comes back for the headers.
 */
import { type ModelV1, type TokenizerV1, UnsupportedFunctionalityError } from '@llmr/core';
import type { LLMRouter, RouterModelListing } from '@llmr/router';
import type { BackendModel, BackendStats, RoutingInfo, ServerBackend } from './backend';

export interface RouterBackendOptions {
  /** The model `/ready` waits for (and `preload()` loads). */
  defaultModel?: string;
}

type RouterRouting = Awaited<ReturnType<LLMRouter['stream']>>['routing'];

const ROUTER_ROUTING = Symbol('llmr.server.routerRouting');

/**
 * `scores` as an own, enumerable accessor, computed when read: the router ranks all its
 * candidates only when someone reads them, and a request that nobody asks the score of
 * should not pay for the full ranking. The accessor is shared (an object literal with its
 * own getter is slow to build); the router's routing sits under a symbol.
 */
const scoresDescriptor: PropertyDescriptor = {
  get(this: { [ROUTER_ROUTING]: RouterRouting }) {
    const routing = this[ROUTER_ROUTING];
    const best = routing.candidates.find((candidate) => candidate.modelId === routing.modelId);
    return best ? { [best.modelId]: best.score } : undefined;
  },
  enumerable: true,
  configurable: true,
};

function toRoutingInfo(routing: RouterRouting): RoutingInfo {
  const info: RoutingInfo = {
    modelId: routing.modelId ?? routing.requested,
    strategy: routing.strategy,
    attempts: routing.attempts
      .filter((attempt) => attempt.outcome !== 'success')
      .map((attempt) => ({
        modelId: attempt.modelId,
        ...(attempt.error
          ? {
              error: {
                code: attempt.error.code ?? attempt.error.name,
                message: attempt.error.message,
              },
            }
          : {}),
      })),
    cached: routing.cached,
  };
  Object.defineProperty(info, ROUTER_ROUTING, { value: routing });
  Object.defineProperty(info, 'scores', scoresDescriptor);
  return info;
}

function toBackendModel(listing: RouterModelListing): BackendModel {
  return {
    id: listing.id,
    loaded: listing.kind === 'model' ? listing.loaded === true : false,
    ownedBy: listing.kind === 'model' ? 'llmr' : `llmr-${listing.kind}`,
    ...(listing.kind === 'alias' && listing.target
      ? { aliases: [], source: `alias of ${listing.target}` }
      : {}),
    ...(listing.kind === 'route'
      ? { source: `route over ${(listing.models ?? []).join(', ')}` }
      : {}),
    ...(listing.capabilities && listing.contextLength !== undefined
      ? {
          info: {
            id: listing.id,
            format: 'routed',
            contextLength: listing.contextLength,
            capabilities: listing.capabilities,
            ...(listing.backend ? { backend: listing.backend } : {}),
          },
        }
      : {}),
    ...(listing.memoryBytes !== undefined
      ? { memory: { bytes: listing.memoryBytes, source: listing.memorySource ?? 'estimate' } }
      : {}),
    ...(listing.backend ? { backend: listing.backend } : {}),
  };
}

function tokenizerOf(model: ModelV1, modelId: string): TokenizerV1 {
  if (!model.tokenizer)
    throw new UnsupportedFunctionalityError({
      functionality: 'tokenizer',
      message: `The model \`${modelId}\` does not expose a tokenizer (remote models usually do not).`,
    });
  return model.tokenizer;
}

const CIRCUIT_STATE: Record<string, number> = { closed: 0, 'half-open': 1, open: 2 };

export function createRouterBackend(
  router: LLMRouter,
  options: RouterBackendOptions = {},
): ServerBackend & { preload(): Promise<void> } {
  const modelIds = () =>
    router
      .listModels()
      .filter((listing) => listing.kind === 'model')
      .map((listing) => listing.id);
  return {
    async listModels() {
      return router.listModels().map(toBackendModel);
    },
    async getModel(name) {
      const listing = router.listModels().find((candidate) => candidate.id === name);
      return listing ? toBackendModel(listing) : undefined;
    },
    async stream(model, callOptions, call) {
      const { stream, routing } = await router.stream({
        ...callOptions,
        model,
        ...(call?.requestId !== undefined ? { requestId: call.requestId } : {}),
      });
      return { stream, routing: toRoutingInfo(routing) };
    },
    async generate(model, callOptions, call) {
      const { routing, ...result } = await router.generate({
        ...callOptions,
        model,
        ...(call?.requestId !== undefined ? { requestId: call.requestId } : {}),
      });
      const timings = routing.timings;
      return {
        result,
        routing: toRoutingInfo(routing),
        ...(timings?.firstTokenMs !== undefined ? { firstTokenMs: timings.firstTokenMs } : {}),
      };
    },
    async embed(model, { values, abortSignal }) {
      const { embeddings, usage, routing } = await router.embed({ model, values, abortSignal });
      return { result: { embeddings, usage }, routing: toRoutingInfo(routing) };
    },
    tokenize(model, text, tokenizeOptions) {
      return router.withModel(model, (loaded, modelId) => ({
        modelId,
        tokens: tokenizerOf(loaded, modelId).encode(text, tokenizeOptions),
      }));
    },
    detokenize(model, tokens, decodeOptions) {
      return router.withModel(model, (loaded, modelId) => ({
        modelId,
        text: tokenizerOf(loaded, modelId).decode(tokens, decodeOptions),
      }));
    },
    async countTokens(model, callOptions) {
      return router.countTokens({ ...callOptions, model });
    },
    async load(name) {
      await router.load(name);
      return toBackendModel(router.listModels().find((listing) => listing.id === name)!);
    },
    async unload(name) {
      await router.unload(name);
    },
    isReady() {
      if (!options.defaultModel) return true;
      return router
        .listModels()
        .some((listing) => listing.id === options.defaultModel && listing.loaded === true);
    },
    stats(): BackendStats {
      const stats = router.stats();
      return {
        cacheHits: stats.cache?.hits,
        cacheMisses: stats.cache?.misses,
        circuits: Object.fromEntries(
          Object.entries(stats.models).map(([id, model]) => [
            id,
            CIRCUIT_STATE[model.circuit.state] ?? 0,
          ]),
        ),
      };
    },
    circuits: {
      modelIds,
      subscribe: (listener) =>
        router.subscribe((event) => {
          if (event.type !== 'circuit-state') return;
          const retryAt = router.stats().models[event.modelId]?.circuit.retryAt;
          listener({
            modelId: event.modelId,
            state: event.to,
            ...(retryAt !== undefined ? { retryAt } : {}),
          });
        }),
      open: (modelId, retryAt) => router.tripCircuit(modelId, retryAt),
    },
    health: {
      modelIds,
      subscribe: (listener) =>
        router.subscribe((event) => {
          if (event.type === 'model-unhealthy')
            listener({
              modelId: event.modelId,
              state: 'unhealthy',
              ...(event.error ? { reason: event.error.message } : {}),
            });
          else if (event.type === 'model-recovered')
            listener({ modelId: event.modelId, state: 'healthy' });
        }),
    },
    async preload() {
      if (options.defaultModel) await router.load(options.defaultModel);
    },
    async dispose() {
      await router.dispose();
    },
  };
}
