/**
 * A backend for a fixed list of models, without routing: each request names a model
 * (or an alias; `auto` means the default). Models load on first use or at start.
 */
import { LlmrError, type ModelV1, type Registry } from '@llmr/core';
import type { BackendModel, ServerBackend } from './backend';

export interface StaticModelConfig {
  id: string;
  source: string;
  aliases?: string[];
}

export interface StaticBackendOptions {
  registry: Registry;
  models: StaticModelConfig[];
  /** Model for `auto` and for readiness; defaults to the first. */
  defaultModel?: string;
}

export function modelNotFound(name: string, known: string[]): LlmrError {
  return new LlmrError({
    code: 'model-not-found',
    message: `The model \`${name}\` does not exist. Available: ${known.join(', ') || '(none)'}.`,
  });
}

export function createStaticBackend(
  options: StaticBackendOptions,
): ServerBackend & { preload(): Promise<void> } {
  const entries = options.models.map((config) => ({
    config,
    model: undefined as ModelV1 | undefined,
    loading: undefined as Promise<ModelV1> | undefined,
  }));
  const defaultId = options.defaultModel ?? options.models[0]?.id;

  const find = (name: string) => {
    const id = name === 'auto' ? defaultId : name;
    return entries.find((entry) => entry.config.id === id || entry.config.aliases?.includes(name));
  };
  const describe = (entry: (typeof entries)[number]): BackendModel => ({
    id: entry.config.id,
    aliases: entry.config.aliases,
    loaded: entry.model !== undefined,
    info: entry.model?.info,
    ownedBy: 'llmr',
    source: entry.config.source,
  });
  const acquire = async (name: string) => {
    const entry = find(name);
    if (!entry)
      throw modelNotFound(
        name,
        entries.map((candidate) => candidate.config.id),
      );
    if (entry.model) return { entry, model: entry.model };
    entry.loading ??= options.registry.load(entry.config.source, { id: entry.config.id });
    try {
      entry.model = await entry.loading;
    } finally {
      entry.loading = undefined;
    }
    return { entry, model: entry.model };
  };

  return {
    async listModels() {
      return entries.map(describe);
    },
    async getModel(name) {
      const entry = find(name);
      return entry ? describe(entry) : undefined;
    },
    async stream(name, callOptions) {
      const { entry, model } = await acquire(name);
      const { stream } = await model.doStream(callOptions);
      return { stream, routing: { modelId: entry.config.id, strategy: 'static' } };
    },
    async embed(name, embedOptions) {
      const { entry, model } = await acquire(name);
      if (!model.doEmbed) {
        throw new LlmrError({
          code: 'unsupported-functionality',
          message: `Model \`${entry.config.id}\` does not produce embeddings.`,
        });
      }
      return {
        result: await model.doEmbed(embedOptions),
        routing: { modelId: entry.config.id, strategy: 'static' },
      };
    },
    async load(name) {
      const { entry } = await acquire(name);
      return describe(entry);
    },
    async unload(name) {
      const entry = find(name);
      if (!entry)
        throw modelNotFound(
          name,
          entries.map((candidate) => candidate.config.id),
        );
      const model = entry.model;
      entry.model = undefined;
      await model?.dispose();
    },
    isReady() {
      return defaultId !== undefined && find(defaultId)?.model !== undefined;
    },
    async preload() {
      if (defaultId) await acquire(defaultId);
    },
    async dispose() {
      await Promise.all(
        entries.map(async (entry) => {
          const model = entry.model;
          entry.model = undefined;
          await model?.dispose();
        }),
      );
    },
  };
}
