/**
 * What the server needs from whatever holds the models: a router, or a fixed set of
 * models. The server speaks HTTP; the backend decides which model serves a request.
 */
import type {
  ModelV1CallOptions,
  ModelV1EmbedOptions,
  ModelV1EmbedResult,
  ModelV1GenerateResult,
  ModelV1Info,
  ModelV1StreamPart,
} from '@llmr/core';

export interface RoutingAttempt {
  modelId: string;
  error?: { code: string; message: string };
}

/** Which model served a request and why; reported in response headers. */
export interface RoutingInfo {
  modelId: string;
  strategy?: string;
  scores?: Record<string, number>;
  attempts?: RoutingAttempt[];
  cached?: boolean;
}

export interface BackendModel {
  id: string;
  aliases?: string[];
  loaded: boolean;
  /** Known once loaded (or from config). */
  info?: ModelV1Info;
  ownedBy?: string;
  source?: string;
  /**
   * Resident memory in bytes and where the figure comes from: `runtime` (what the runtime
   * reports it holds, e.g. llama.cpp's buffers), `configured`, or `estimate`.
   */
  memory?: { bytes: number; source: 'runtime' | 'configured' | 'estimate' };
  /** The compute backend the loaded model runs on (`cpu`, `cuda`, `vulkan`, `metal`, ...). */
  backend?: string;
}

export interface BackendStats {
  cacheHits?: number;
  cacheMisses?: number;
  /** Circuit-breaker state by model: 0 closed, 1 half-open, 2 open. */
  circuits?: Record<string, number>;
}

/** A circuit breaker changed state; `retryAt` (epoch ms) is when an open one lets a probe through. */
export interface CircuitChange {
  modelId: string;
  state: 'closed' | 'open' | 'half-open';
  retryAt?: number;
}

/** Lets replicas share circuit breakers: watch local changes, open one another replica opened. */
export interface CircuitControl {
  modelIds(): string[];
  subscribe(listener: (change: CircuitChange) => void): () => void;
  open(modelId: string, retryAt: number): void;
}

/** A model turned unhealthy (failures in a row) or recovered. */
export interface HealthChange {
  modelId: string;
  state: 'unhealthy' | 'healthy';
  reason?: string;
}

/** Lets replicas share model health: watch local changes. */
export interface HealthControl {
  modelIds(): string[];
  subscribe(listener: (change: HealthChange) => void): () => void;
}

/** What the server knows of a call beyond the model's options. */
export interface BackendCall {
  /**
   * The server's id of the request (the HTTP request id, or the WebSocket/gRPC generation
   * id): a router names its events and model calls by it, so logs and traces line up.
   */
  requestId?: string;
}

export interface ServerBackend {
  listModels(): Promise<BackendModel[]>;
  /** Undefined when no model or alias has this name. */
  getModel(name: string): Promise<BackendModel | undefined>;
  /** `model` is an id, an alias, or `auto`. Throws an LlmrError (`model-not-found`, ...). */
  stream(
    model: string,
    options: ModelV1CallOptions,
    call?: BackendCall,
  ): Promise<{ stream: ReadableStream<ModelV1StreamPart>; routing: RoutingInfo }>;
  /**
   * Runs a request to completion: the same routing, fallbacks and limits as `stream`, for
   * a caller that needs only the whole answer. Optional: without it the server collects
   * `stream`. With it, a non-streaming request builds no stream between backend and
   * server, and a failure anywhere before the answer is complete may still fall back.
   */
  generate?(
    model: string,
    options: ModelV1CallOptions,
    call?: BackendCall,
  ): Promise<{
    result: ModelV1GenerateResult;
    routing: RoutingInfo;
    /** Milliseconds from the start of the call to the first token, when known. */
    firstTokenMs?: number;
  }>;
  embed(
    model: string,
    options: ModelV1EmbedOptions,
  ): Promise<{ result: ModelV1EmbedResult; routing: RoutingInfo }>;
  /**
   * `text` as token ids under `model`'s tokenizer (an id, an alias, or a route with one
   * model). Optional: without it the tokenizer endpoints answer 501.
   */
  tokenize?(
    model: string,
    text: string,
    options?: { addSpecialTokens?: boolean },
  ): Promise<{ modelId: string; tokens: number[] }>;
  detokenize?(
    model: string,
    tokens: readonly number[],
    options?: { skipSpecialTokens?: boolean },
  ): Promise<{ modelId: string; text: string }>;
  /**
   * Prompt tokens of a request for the model it would go to, without running it: exact
   * with that model's tokenizer, else an estimate. Absent: the server estimates.
   */
  countTokens?(
    model: string,
    options: ModelV1CallOptions,
  ): Promise<{ modelId?: string; inputTokens: number; exact: boolean }>;
  load(name: string): Promise<BackendModel>;
  unload(name: string): Promise<void>;
  /** True when the default model is loaded and can serve. */
  isReady(): boolean;
  stats?(): BackendStats;
  circuits?: CircuitControl;
  health?: HealthControl;
  dispose(): Promise<void>;
}
