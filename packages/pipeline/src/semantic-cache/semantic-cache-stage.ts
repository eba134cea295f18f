/**
 * The semantic cache stage: a request whose question means (nearly) the same as one
 * answered before gets that answer. The last user message (or the raw prompt) is
 * embedded with any ModelV1 that has `doEmbed`; the nearest cached question by cosine
 * similarity is a hit when it reaches `threshold`. Only the question is fuzzy: the
 * scope is the tenant, the model, and an exact hash of everything else in the request
 * (system prompt, earlier turns, sampling, response format), so an answer never crosses
 * tenants, models or conversations. Entries can be shared between replicas (Redis
 * streams, see `createRedisSemanticShare`). Embedding or sharing failures are misses.
 */
import {
  InvalidArgumentError,
  type ModelMiddlewareV1,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1GenerateResult,
  streamFromResult,
} from '@llmr/core';
import { canonicalJson, sha256Hex } from '../cache/canonical-request';
import { onCompleteAnswer } from '../cache/on-complete-answer';
import { VectorIndex } from './vector-index';

/** Where replicas publish and read entries; one append-only log per scope. */
export interface SemanticCacheShare {
  append(scope: string, entry: string): Promise<void>;
  /** Entries after `cursor` (all when undefined), and the cursor to pass next time. */
  readSince(
    scope: string,
    cursor: string | undefined,
  ): Promise<{ entries: string[]; cursor: string | undefined }>;
}

export interface SemanticCacheOptions {
  /** Any model with `doEmbed`; one model per cache (vectors of different models do not compare). */
  embedder: ModelV1;
  /** Cosine similarity in (0, 1] at which a cached question counts as the same. */
  threshold: number;
  /** Default 1 hour. */
  ttlMs?: number;
  /** Bound on entries per scope (oldest out first). Default 10,000. */
  maxEntriesPerScope?: number;
  /** Share entries with other replicas. */
  share?: SemanticCacheShare;
  /** Keeps caches apart (e.g. a route name). Default `default`. */
  namespace?: string;
  /** The tenant of a request. Default: `providerOptions.pipeline.tenant`, else one shared anonymous tenant. */
  tenantOf?: (options: ModelV1CallOptions) => string | undefined;
  /** Also cache sampled answers (temperature above 0 without a seed). Default false. */
  cacheSampled?: boolean;
  now?: () => number;
}

export interface SemanticCacheStats {
  hits: number;
  misses: number;
  skipped: number;
  errors: number;
  entries: number;
}

interface SharedEntry {
  id: string;
  question: string;
  vector: number[];
  expiresAt: number;
  result: ModelV1GenerateResult;
}

interface CachedAnswer {
  question: string;
  result: ModelV1GenerateResult;
}

/** The fuzzy part of a request, and everything else (matched exactly). */
function splitRequest(
  options: ModelV1CallOptions,
): { question: string; rest: unknown } | undefined {
  const { abortSignal: _signal, providerOptions, ...fields } = options;
  const { pipeline, ...otherProviders } = providerOptions ?? {};
  const { tenant: _tenant, ...pipelineRest } = pipeline ?? {};
  const provider = {
    ...otherProviders,
    ...(Object.keys(pipelineRest).length ? { pipeline: pipelineRest } : {}),
  };
  if (options.messages === undefined)
    return { question: options.prompt, rest: { ...fields, prompt: undefined, provider } };
  let last = options.messages.length - 1;
  while (last >= 0 && options.messages[last]!.role !== 'user') last--;
  if (last < 0) return undefined;
  const earlier = options.messages.map((message, index) =>
    index === last ? { role: 'user', content: '' } : message,
  );
  return {
    question: options.messages[last]!.content,
    rest: { ...fields, messages: earlier, provider },
  };
}

export function createSemanticCache(options: SemanticCacheOptions): ModelMiddlewareV1 & {
  stats(): SemanticCacheStats;
} {
  const { embedder, threshold, share } = options;
  if (typeof embedder?.doEmbed !== 'function')
    throw new InvalidArgumentError({
      argument: 'embedder',
      value: embedder?.info?.id,
      message: `The semantic cache needs a model with doEmbed; "${embedder?.info?.id ?? 'embedder'}" has none. Load an embeddings-capable model.`,
    });
  if (!(threshold > 0 && threshold <= 1))
    throw new InvalidArgumentError({
      argument: 'threshold',
      value: threshold,
      message: '`threshold` must be a cosine similarity in (0, 1], e.g. 0.95.',
    });
  const ttlMs = options.ttlMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const namespace = options.namespace ?? 'default';
  const tenantOf =
    options.tenantOf ??
    ((call: ModelV1CallOptions) => {
      const tenant = call.providerOptions?.pipeline?.tenant;
      return typeof tenant === 'string' ? tenant : undefined;
    });
  const index = new VectorIndex<CachedAnswer>(options.maxEntriesPerScope ?? 10_000);
  const cursors = new Map<string, string | undefined>();
  const counts = { hits: 0, misses: 0, skipped: 0, errors: 0 };

  const addEntry = (scope: string, entry: SharedEntry) =>
    index.add(
      scope,
      entry.id,
      entry.vector,
      { question: entry.question, result: entry.result },
      entry.expiresAt,
    );

  const pull = async (scope: string) => {
    if (!share) return;
    try {
      for (;;) {
        const { entries, cursor } = await share.readSince(scope, cursors.get(scope));
        cursors.set(scope, cursor);
        for (const raw of entries) addEntry(scope, JSON.parse(raw) as SharedEntry);
        if (entries.length === 0) return;
      }
    } catch {
      counts.errors++;
    }
  };

  /** What a call needs to look up and to store; undefined when this request is not cached. */
  const prepare = async (call: ModelV1CallOptions, model: ModelV1) => {
    const split = splitRequest(call);
    if (
      !split ||
      (!options.cacheSampled && (call.temperature ?? 1) !== 0 && call.seed === undefined)
    ) {
      counts.skipped++;
      return undefined;
    }
    const tenant = tenantOf(call) ?? '-';
    const scope = await sha256Hex(
      canonicalJson({ namespace, tenant, model: model.info.id, rest: split.rest }),
    );
    let vector: number[];
    try {
      const { embeddings } = await embedder.doEmbed!({
        values: [split.question],
        ...(call.abortSignal ? { abortSignal: call.abortSignal } : {}),
      });
      vector = embeddings[0]!;
    } catch {
      counts.errors++;
      return undefined;
    }
    await pull(scope);
    const match = index.nearest(scope, vector, now());
    if (match && match.similarity >= threshold) {
      counts.hits++;
      return { hit: match, scope, question: split.question, vector };
    }
    counts.misses++;
    return { hit: undefined, scope, question: split.question, vector };
  };

  const store = async (
    prepared: { scope: string; question: string; vector: number[] },
    result: ModelV1GenerateResult,
  ) => {
    if (result.finishReason === 'error' || result.finishReason === 'abort') return;
    const { metadata: _metadata, ...rest } = result;
    const entry: SharedEntry = {
      id: globalThis.crypto.randomUUID(),
      question: prepared.question,
      vector: prepared.vector,
      expiresAt: now() + ttlMs,
      result: rest,
    };
    addEntry(prepared.scope, entry);
    try {
      await share?.append(prepared.scope, JSON.stringify(entry));
    } catch {
      counts.errors++;
    }
  };

  const hitMetadata = (match: { similarity: number; value: CachedAnswer }) => ({
    semanticCache: { similarity: match.similarity, matchedQuestion: match.value.question },
  });

  return {
    specificationVersion: 'v1',
    name: 'semantic-cache',
    stats: () => ({ ...counts, entries: index.size() }),
    async wrapGenerate({ doGenerate, options: call, model }) {
      const prepared = await prepare(call, model);
      if (prepared?.hit)
        return { ...prepared.hit.value.result, metadata: hitMetadata(prepared.hit) };
      const result = await doGenerate();
      if (prepared) await store(prepared, result);
      return result;
    },
    async wrapStream({ doStream, options: call, model }) {
      const prepared = await prepare(call, model);
      if (prepared?.hit)
        return {
          stream: streamFromResult(prepared.hit.value.result, {
            finish: hitMetadata(prepared.hit),
          }),
        };
      const { stream } = await doStream();
      if (!prepared) return { stream };
      return {
        stream: onCompleteAnswer(stream, model.info.id, (result) => store(prepared, result)),
      };
    },
  };
}
