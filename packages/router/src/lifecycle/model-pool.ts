/**
 * Which models are loaded. Local models (a source through the core registry, or a
 * factory) load lazily on first use, stay loaded while used, unload after their
 * keep-alive when idle, and give way least-recently-used first when the pool is over
 * its model count or memory budget. Remote models (a provider's, or an instance) are
 * always available and never unloaded. In-flight requests hold a lease, so nothing is
 * unloaded under them, not even by a config reload.
 */
import {
  AbortError,
  LlmrError,
  type ModelV1,
  type ModelV1Capability,
  type ModelV1Info,
  type Registry,
} from '@llmr/core';
import type { Clock } from '../clock';
import type { ResolvedModelConfig } from '../config/router-config-schema';
import { describeError, type RouterEvent } from '../events';
import { estimateModelMemory, parseMemorySize } from './memory-size';

export interface ModelPoolSettings {
  maxLoadedModels?: number;
  maxMemoryBytes?: number;
  keepAliveMs: number | 'forever';
}

export interface ModelLease {
  model: ModelV1;
  release(): void;
}

/** What a provider factory is told about the model it makes, besides the upstream's model id. */
export interface ProviderFactoryContext {
  /** The id the router knows the model by. */
  id: string;
  /** The model's `providerSettings` from the config (`{}` when none). */
  settings: Record<string, unknown>;
  contextLength?: number;
  capabilities?: ModelV1Capability[];
}

/** Makes a provider's model: `modelId` is what the upstream calls it (`providerModelId ?? id`). */
export type ProviderFactory = (modelId: string, context: ProviderFactoryContext) => ModelV1;

interface PoolEntry {
  config: ResolvedModelConfig;
  /** Local entries load and unload; remote ones are created once and kept. */
  local: boolean;
  model?: ModelV1;
  loading?: Promise<ModelV1>;
  /** Stops the load in progress (handed to the loader as its abortSignal). */
  loadAbort?: AbortController;
  /** Callers waiting for the load in progress; it is stopped when all of them gave up. */
  loadWaiters?: number;
  info?: ModelV1Info;
  /** Fixed at load from the config or an estimate; a runtime figure, when there is one, wins. */
  memoryBytes?: number;
  memorySource?: MemorySource;
  lastUsedAt: number;
  leases: number;
  idleTimer?: unknown;
  /** Removed from config by a reload: unloaded as soon as its last lease ends. */
  retired: boolean;
}

export interface PoolEntryView {
  id: string;
  loaded: boolean;
  local: boolean;
  inUse: number;
  info?: ModelV1Info;
  memoryBytes?: number;
  /** Where `memoryBytes` comes from: the runtime's own figure, the config, or an estimate. */
  memorySource?: MemorySource;
  lastUsedAt: number;
}

export type MemorySource = 'runtime' | 'configured' | 'estimate';

export class ModelPool {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly retired = new Set<PoolEntry>();

  constructor(
    private readonly options: {
      clock: Clock;
      registry?: Registry;
      providers: Record<string, ProviderFactory>;
      emit: (event: RouterEvent) => void;
      settings: ModelPoolSettings;
    },
  ) {}

  set settings(settings: ModelPoolSettings) {
    this.options.settings = settings;
  }

  /** Brings the pool in line with a (re)loaded config. Returns ids added and removed. */
  sync(models: readonly ResolvedModelConfig[]): { added: string[]; removed: string[] } {
    const added: string[] = [];
    const removed: string[] = [];
    const next = new Set(models.map((model) => model.id));
    for (const [id, entry] of this.entries) {
      const replacement = models.find((model) => model.id === id);
      if (replacement && sameOrigin(entry.config, replacement)) {
        entry.config = replacement;
        continue;
      }
      this.entries.delete(id);
      this.retire(entry);
      if (!next.has(id)) removed.push(id);
    }
    for (const config of models) {
      if (this.entries.has(config.id)) continue;
      const local = config.source !== undefined || typeof config.model === 'function';
      const entry: PoolEntry = { config, local, lastUsedAt: 0, leases: 0, retired: false };
      if (config.model !== undefined && typeof config.model !== 'function') {
        entry.model = config.model;
        entry.info = config.model.info;
      }
      this.entries.set(config.id, entry);
      added.push(config.id);
    }
    return { added, removed };
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  view(id: string): PoolEntryView | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const memory = memoryOf(entry);
    return {
      id,
      loaded: entry.model !== undefined,
      local: entry.local,
      inUse: entry.leases,
      info: entry.info,
      ...(memory ? { memoryBytes: memory.bytes, memorySource: memory.source } : {}),
      lastUsedAt: entry.lastUsedAt,
    };
  }

  /** What is known of the model without loading it (info from its last load). */
  info(id: string): ModelV1Info | undefined {
    return this.entries.get(id)?.info;
  }

  /** The entry as it is (no copy): routing reads the loaded model's tokenizer and info here, never calls it. */
  peek(id: string): { readonly model?: ModelV1; readonly info?: ModelV1Info } | undefined {
    return this.entries.get(id);
  }

  /** The loaded model, without a lease: for reading its tokenizer or info, never for calls. */
  loadedModel(id: string): ModelV1 | undefined {
    return this.entries.get(id)?.model;
  }

  isLoaded(id: string): boolean {
    return this.entries.get(id)?.model !== undefined;
  }

  get loadedLocalCount(): number {
    let count = 0;
    for (const entry of this.entries.values())
      if (entry.local && (entry.model || entry.loading)) count++;
    for (const entry of this.retired) if (entry.model) count++;
    return count;
  }

  get memoryInUse(): number {
    let total = 0;
    for (const entry of [...this.entries.values(), ...this.retired]) {
      if (entry.local && (entry.model || entry.loading)) total += memoryOf(entry)?.bytes ?? 0;
    }
    return total;
  }

  /**
   * The loaded model, loading it first if needed. Hold the lease while using it. A caller
   * whose `signal` aborts with an AbortError (it went away) stops waiting; when every
   * caller waiting for a load has gone, the load itself is stopped. A timeout does not
   * stop the load: a model slower to load than a request's deadline must still load.
   * `options.signal` is read only when the model must be loaded (a caller may pass a getter
   * that makes its signal on demand).
   */
  async acquire(id: string, options: { signal?: AbortSignal } = {}): Promise<ModelLease> {
    const entry = this.entries.get(id);
    if (!entry)
      throw new LlmrError({
        code: 'model-not-found',
        message: `No model "${id}" is registered in the router.`,
      });
    entry.leases++;
    entry.lastUsedAt = this.options.clock.now();
    this.clearIdleTimer(entry);
    let model: ModelV1;
    try {
      model = entry.model ?? (await this.load(entry, options.signal));
    } catch (error) {
      entry.leases--;
      throw error;
    }
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        entry.lastUsedAt = this.options.clock.now();
        if (entry.leases === 0) this.onIdle(entry);
      },
    };
  }

  /** Unloads a local model now (when idle). Returns whether it did. */
  async unload(
    id: string,
    reason: 'manual' | 'idle' | 'lru' | 'memory' = 'manual',
  ): Promise<boolean> {
    const entry = this.entries.get(id);
    if (!entry?.local || !entry.model || entry.leases > 0) return false;
    await this.dispose(entry, reason);
    return true;
  }

  async disposeAll(): Promise<void> {
    const all = [...this.entries.values(), ...this.retired];
    this.entries.clear();
    this.retired.clear();
    await Promise.all(
      all.map(async (entry) => {
        this.clearIdleTimer(entry);
        // A load in progress is stopped, not waited out: shutting down must be prompt.
        entry.loadAbort?.abort(
          new AbortError({
            message: `The router is shutting down; loading "${entry.config.id}" was stopped.`,
          }),
        );
        await entry.loading?.catch(() => {});
        // Instances handed in by the caller are theirs to dispose.
        if (entry.model && (entry.local || entry.config.provider !== undefined))
          await this.dispose(entry, 'dispose');
      }),
    );
  }

  private async load(entry: PoolEntry, signal?: AbortSignal): Promise<ModelV1> {
    const { config } = entry;
    if (!entry.local) {
      const factory = this.options.providers[config.provider!];
      if (!factory) {
        throw new LlmrError({
          code: 'provider-not-found',
          message: `Model "${config.id}" uses provider "${config.provider}", which was not passed to createRouter({ providers }).`,
        });
      }
      entry.model = factory(config.providerModelId ?? config.id, {
        id: config.id,
        settings: config.providerSettings ?? {},
        ...(config.contextLength !== undefined ? { contextLength: config.contextLength } : {}),
        ...(config.capabilities !== undefined ? { capabilities: config.capabilities } : {}),
      });
      entry.info = entry.model.info;
      return entry.model;
    }
    if (!entry.loading) {
      const loadAbort = new AbortController();
      const loading = this.startLoad(entry, loadAbort.signal);
      entry.loadAbort = loadAbort;
      entry.loadWaiters = 0;
      entry.loading = loading;
      // Cleared once settled (not inside startLoad: a failure before its first await would
      // clear it before it was set).
      loading
        .finally(() => {
          if (entry.loading !== loading) return;
          entry.loading = undefined;
          entry.loadAbort = undefined;
          entry.loadWaiters = undefined;
        })
        .catch(() => {});
    }
    return this.waitForLoad(entry, entry.loading, signal);
  }

  /** One caller's wait; the last caller to give up stops the load. */
  private async waitForLoad(
    entry: PoolEntry,
    loading: Promise<ModelV1>,
    signal: AbortSignal | undefined,
  ): Promise<ModelV1> {
    entry.loadWaiters = (entry.loadWaiters ?? 0) + 1;
    let gaveUp = false;
    const onAbort = () => {
      if (!AbortError.isInstance(signal?.reason)) return;
      gaveUp = true;
      entry.loadWaiters = (entry.loadWaiters ?? 1) - 1;
      if (entry.loadWaiters === 0 && entry.loading === loading)
        entry.loadAbort?.abort(
          new AbortError({
            message: `Every request waiting for "${entry.config.id}" was cancelled; its load was stopped.`,
            cause: signal?.reason,
          }),
        );
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await loading;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!gaveUp) entry.loadWaiters = (entry.loadWaiters ?? 1) - 1;
    }
  }

  private async startLoad(entry: PoolEntry, abortSignal: AbortSignal): Promise<ModelV1> {
    const { config } = entry;
    const started = this.options.clock.now();
    try {
      this.makeRoom(entry, configuredMemory(config) ?? 0);
      const model =
        typeof config.model === 'function'
          ? await config.model()
          : await this.registry(config).load(config.source!, {
              id: config.id,
              ...config.loadOptions,
              abortSignal,
            });
      if (abortSignal.aborted) {
        // The loader finished without looking at the signal: the model is not wanted.
        await model.dispose().catch(() => {});
        throw abortSignal.reason;
      }
      entry.model = model;
      entry.info = model.info;
      const configured = configuredMemory(config);
      entry.memoryBytes = configured ?? estimateModelMemory(model.info);
      entry.memorySource = configured !== undefined ? 'configured' : 'estimate';
      const memory = memoryOf(entry);
      this.options.emit({
        type: 'model-load',
        time: this.options.clock.now(),
        modelId: config.id,
        durationMs: this.options.clock.now() - started,
        ...(memory ? { memoryBytes: memory.bytes } : {}),
      });
      // The real size may exceed the estimate: make room again, now that it is known.
      this.makeRoom(entry, 0, true);
      return model;
    } catch (error) {
      this.options.emit({
        type: 'model-load-error',
        time: this.options.clock.now(),
        modelId: config.id,
        error: describeError(error),
      });
      throw error;
    }
  }

  private registry(config: ResolvedModelConfig): Registry {
    if (!this.options.registry) {
      throw new LlmrError({
        code: 'no-registry',
        message: `Model "${config.id}" has source "${config.source}" but the router has no loaders: pass createRouter({ loaders: [...] }) or { registry }.`,
      });
    }
    return this.options.registry;
  }

  /**
   * Unloads least-recently-used idle local models until `entry` fits. When everything
   * else is busy, it refuses with a retryable error (the router then falls back).
   */
  private makeRoom(entry: PoolEntry, extraBytes: number, loaded = false) {
    const { maxLoadedModels, maxMemoryBytes } = this.options.settings;
    const countOver = () =>
      maxLoadedModels !== undefined && this.loadedLocalCount + (loaded ? 0 : 1) > maxLoadedModels;
    const memoryOver = () =>
      maxMemoryBytes !== undefined && this.memoryInUse + extraBytes > maxMemoryBytes;
    while (countOver() || memoryOver()) {
      const reason = countOver() ? 'lru' : 'memory';
      const victim = [...this.entries.values()]
        .filter((other) => other !== entry && other.local && other.model && other.leases === 0)
        .sort((a, b) => a.lastUsedAt - b.lastUsedAt)[0];
      if (!victim) {
        if (loaded) return; // Already in; it will be the first to go when something frees up.
        throw new LlmrError({
          code: 'model-capacity',
          isRetryable: true,
          message: `Cannot load "${entry.config.id}": ${reason === 'lru' ? `${maxLoadedModels} models are loaded` : `the memory budget of ${maxMemoryBytes} bytes is used`} and all are busy. Raise lifecycle limits or retry.`,
        });
      }
      void this.dispose(victim, reason);
    }
  }

  private onIdle(entry: PoolEntry) {
    if (entry.retired) {
      if (entry.local || entry.config.provider !== undefined) void this.dispose(entry, 'reload');
      return;
    }
    if (!entry.local || !entry.model) return;
    const keepAlive = entry.config.keepAliveMs ?? this.options.settings.keepAliveMs;
    if (keepAlive === 'forever') return;
    if (keepAlive === 0) {
      void this.dispose(entry, 'idle');
      return;
    }
    entry.idleTimer = this.options.clock.setTimeout(
      () => {
        entry.idleTimer = undefined;
        if (entry.leases === 0 && entry.model) void this.dispose(entry, 'idle');
      },
      keepAlive,
      { background: true },
    );
  }

  private clearIdleTimer(entry: PoolEntry) {
    if (entry.idleTimer !== undefined) this.options.clock.clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
  }

  private retire(entry: PoolEntry) {
    this.clearIdleTimer(entry);
    entry.retired = true;
    if (!entry.model || !(entry.local || entry.config.provider !== undefined)) return;
    if (entry.leases === 0) void this.dispose(entry, 'reload');
    else this.retired.add(entry);
  }

  private async dispose(
    entry: PoolEntry,
    reason: 'idle' | 'lru' | 'memory' | 'reload' | 'dispose' | 'manual',
  ) {
    const model = entry.model;
    if (!model) return;
    this.clearIdleTimer(entry);
    entry.model = undefined;
    this.retired.delete(entry);
    this.options.emit({
      type: 'model-unload',
      time: this.options.clock.now(),
      modelId: entry.config.id,
      reason,
    });
    await model.dispose().catch(() => {});
  }
}

/**
 * What a model holds: its runtime's own figure while loaded (it changes as contexts come
 * and go), else what was fixed at load, else the configured size.
 */
function memoryOf(entry: PoolEntry): { bytes: number; source: MemorySource } | undefined {
  const runtime = runtimeMemory(entry.model);
  if (runtime !== undefined) return { bytes: runtime, source: 'runtime' };
  if (entry.memoryBytes !== undefined)
    return { bytes: entry.memoryBytes, source: entry.memorySource ?? 'estimate' };
  const configured = configuredMemory(entry.config);
  return configured === undefined ? undefined : { bytes: configured, source: 'configured' };
}

function runtimeMemory(model: ModelV1 | undefined): number | undefined {
  if (!model?.resources) return undefined;
  try {
    const total = model.resources().total;
    return Number.isFinite(total) && total > 0 ? total : undefined;
  } catch {
    // A runtime that cannot say right now (disposing, say) leaves the estimate in place.
    return undefined;
  }
}

function configuredMemory(config: ResolvedModelConfig): number | undefined {
  return config.memory === undefined ? undefined : parseMemorySize(config.memory);
}

function sameOrigin(a: ResolvedModelConfig, b: ResolvedModelConfig): boolean {
  return (
    a.source === b.source &&
    a.provider === b.provider &&
    (a.providerModelId ?? a.id) === (b.providerModelId ?? b.id) &&
    JSON.stringify(a.providerSettings ?? {}) === JSON.stringify(b.providerSettings ?? {}) &&
    a.model === b.model &&
    JSON.stringify(a.loadOptions ?? {}) === JSON.stringify(b.loadOptions ?? {})
  );
}
