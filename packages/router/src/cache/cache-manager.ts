/**
 * Exact-match response cache. The key is the target (route or model) plus the request
 * normalised: router-only fields and the AbortSignal dropped, object keys sorted,
 * undefined values removed, so equal requests hit whatever order their fields came in.
 * The stored entry keeps the full normalised request, and a read compares it, so a hash
 * collision is a miss, never a wrong answer. The cache never fails a request: a store
 * error counts as a miss.
 */
import type { ModelV1GenerateResult, ModelV1StreamPart } from '@llmr/core';
import { modelFacingFields } from '../routing/router-request-fields';
import type { RouterRequest } from '../types';
import type { CacheStore } from './cache-store';

export interface CachedResponse {
  modelId: string;
  createdAt: number;
  result: ModelV1GenerateResult;
}

interface StoredEntry extends CachedResponse {
  request: string;
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value as object)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

/** The request as the cache sees it: model-facing fields only, canonical JSON. */
export function normalizeRequest(target: string, request: RouterRequest): string {
  return canonical({ target, request: modelFacingFields(request) });
}

/** cyrb53 twice with different seeds: a fast 106-bit non-cryptographic hash, hex. */
export function hashKey(text: string): string {
  const cyrb53 = (seed: number) => {
    let h1 = 0xdeadbeef ^ seed;
    let h2 = 0x41c6ce57 ^ seed;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
  };
  return cyrb53(1) + cyrb53(2);
}

export interface CacheStats {
  store: string;
  hits: number;
  misses: number;
  writes: number;
  errors: number;
  entries?: number;
  bytes?: number;
}

export class CacheManager {
  private hits = 0;
  private misses = 0;
  private writes = 0;
  private errors = 0;

  constructor(
    readonly store: CacheStore,
    public defaultTtlMs: number,
    private readonly now: () => number,
  ) {}

  key(target: string, request: RouterRequest): { key: string; normalized: string } {
    const normalized = normalizeRequest(target, request);
    return { key: hashKey(normalized), normalized };
  }

  async get(key: string, normalized: string): Promise<CachedResponse | undefined> {
    try {
      const raw = await this.store.get(key);
      if (raw !== undefined) {
        const entry = JSON.parse(raw) as StoredEntry;
        if (entry.request === normalized) {
          this.hits++;
          return { modelId: entry.modelId, createdAt: entry.createdAt, result: entry.result };
        }
      }
    } catch {
      this.errors++;
    }
    this.misses++;
    return undefined;
  }

  async set(
    key: string,
    normalized: string,
    modelId: string,
    result: ModelV1GenerateResult,
    ttlMs = this.defaultTtlMs,
  ): Promise<void> {
    // Only complete answers are worth replaying.
    if (result.finishReason === 'error' || result.finishReason === 'abort') return;
    const { metadata: _metadata, ...rest } = result;
    const entry: StoredEntry = {
      modelId,
      createdAt: this.now(),
      request: normalized,
      result: rest,
    };
    try {
      await this.store.set(key, JSON.stringify(entry), ttlMs);
      this.writes++;
    } catch {
      this.errors++;
    }
  }

  stats(): CacheStats {
    return {
      store: this.store.name,
      hits: this.hits,
      misses: this.misses,
      writes: this.writes,
      errors: this.errors,
      ...(this.store.size?.() ?? {}),
    };
  }
}

/** A cached result as a stream: the same parts a model would send, at once. */
export function replayAsStream(
  result: ModelV1GenerateResult,
  metadata: { start: Record<string, unknown>; finish: Record<string, unknown> },
): ReadableStream<ModelV1StreamPart> {
  const parts: ModelV1StreamPart[] = [{ type: 'stream-start', metadata: metadata.start }];
  if (result.text.length > 0) {
    parts.push({
      type: 'text-delta',
      delta: result.text,
      ...(result.tokens ? { tokens: result.tokens } : {}),
      ...(result.logprobs ? { logprobs: result.logprobs } : {}),
    });
  }
  for (const toolCall of result.toolCalls ?? []) parts.push({ type: 'tool-call', toolCall });
  parts.push({ type: 'usage', usage: result.usage });
  parts.push({ type: 'finish', finishReason: result.finishReason, metadata: metadata.finish });
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}
