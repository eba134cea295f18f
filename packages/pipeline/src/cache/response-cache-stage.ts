/**
 * The response cache as a stage: an exact-match cache in front of a model, on any
 * key-value store with `get`/`set` (the router's memory, Redis, disk and tiered stores
 * fit). A hit is replayed as the same parts a model would send; a miss streams through
 * untouched while a copy is folded, and a complete answer is stored. The stored entry
 * keeps the full canonical request and a read compares it, so a hash collision is a
 * miss. A store failure is a miss too: the cache never fails a request.
 */
import {
  type ModelMiddlewareV1,
  type ModelV1CallOptions,
  type ModelV1GenerateResult,
  streamFromResult,
} from '@llmr/core';
import { canonicalRequest, sha256Hex } from './canonical-request';
import { onCompleteAnswer } from './on-complete-answer';

/** The part of a cache store this stage uses. */
export interface ResponseCacheStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

export interface ResponseCacheOptions {
  store: ResponseCacheStore;
  /** Default 5 minutes. */
  ttlMs?: number;
  /** Prefix of every key, to keep several caches apart in one store. Default `llmr:stage-cache:`. */
  namespace?: string;
  /**
   * Also cache sampled answers (temperature above 0 without a seed). Off by default:
   * replaying one would turn a random answer into a fixed one.
   */
  cacheSampled?: boolean;
}

export interface ResponseCacheStats {
  hits: number;
  misses: number;
  writes: number;
  errors: number;
}

interface Entry {
  request: string;
  result: ModelV1GenerateResult;
}

export function createResponseCache(options: ResponseCacheOptions): ModelMiddlewareV1 & {
  stats(): ResponseCacheStats;
} {
  const { store } = options;
  const ttlMs = options.ttlMs ?? 300_000;
  const namespace = options.namespace ?? 'llmr:stage-cache:';
  const counts: ResponseCacheStats = { hits: 0, misses: 0, writes: 0, errors: 0 };

  const cacheable = (call: ModelV1CallOptions) =>
    options.cacheSampled || (call.temperature ?? 1) === 0 || call.seed !== undefined;

  const lookup = async (modelId: string, call: ModelV1CallOptions) => {
    const request = canonicalRequest(modelId, call);
    const key = namespace + (await sha256Hex(request));
    try {
      const raw = await store.get(key);
      if (raw !== undefined) {
        const entry = JSON.parse(raw) as Entry;
        if (entry.request === request) {
          counts.hits++;
          return { key, request, hit: entry.result };
        }
      }
    } catch {
      counts.errors++;
    }
    counts.misses++;
    return { key, request, hit: undefined };
  };

  const save = async (key: string, request: string, result: ModelV1GenerateResult) => {
    if (result.finishReason === 'error' || result.finishReason === 'abort') return;
    const { metadata: _metadata, ...rest } = result;
    try {
      await store.set(key, JSON.stringify({ request, result: rest } satisfies Entry), ttlMs);
      counts.writes++;
    } catch {
      counts.errors++;
    }
  };

  return {
    specificationVersion: 'v1',
    name: 'cache',
    stats: () => ({ ...counts }),
    async wrapGenerate({ doGenerate, options: call, model }) {
      if (!cacheable(call)) return doGenerate();
      const { key, request, hit } = await lookup(model.info.id, call);
      if (hit) return { ...hit, metadata: { cached: true } };
      const result = await doGenerate();
      await save(key, request, result);
      return result;
    },
    async wrapStream({ doStream, options: call, model }) {
      if (!cacheable(call)) return doStream();
      const { key, request, hit } = await lookup(model.info.id, call);
      if (hit) return { stream: streamFromResult(hit, { finish: { cached: true } }) };
      const { stream } = await doStream();
      // Parts go on to the caller as they come; the copy is stored once the answer is whole.
      return {
        stream: onCompleteAnswer(stream, model.info.id, (result) => save(key, request, result)),
      };
    },
  };
}
