/**
 * `createOpenAICompatible(settings)` returns a provider: call it with a model id to get
 * a ModelV1 for that model on the upstream. `openai` is the default instance for
 * api.openai.com, reading OPENAI_API_KEY (and OPENAI_BASE_URL) when a request is made,
 * not at import.
 */
import { apiErrorFromResponse, createCallScope, LlmrError, type ModelV1 } from '@llmr/core';
import {
  OpenAICompatibleModel,
  type OpenAICompatibleModelSettings,
} from './openai-compatible-model';

export interface OpenAICompatibleSettings {
  /** e.g. `http://127.0.0.1:8000/v1` (vLLM), `http://127.0.0.1:8080/v1` (llama-server), `http://127.0.0.1:11434/v1` (Ollama). */
  baseURL: string | (() => string);
  /** Sent as `Authorization: Bearer ...`; a function is read on every request. */
  apiKey?: string | (() => string | undefined);
  headers?: Record<string, string> | (() => Record<string, string>);
  /** A custom fetch (proxies, tests). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Names this provider (default `openai-compatible`); `providerOptions[name]` is merged into request bodies. */
  name?: string;
  /** Fail when no API key is available (the `openai` instance does). Default false. */
  requireApiKey?: boolean;
  /** Defaults for every model of this provider. */
  modelSettings?: OpenAICompatibleModelSettings;
}

export interface OpenAICompatibleProvider {
  (modelId: string, settings?: OpenAICompatibleModelSettings): OpenAICompatibleModel;
  languageModel(modelId: string, settings?: OpenAICompatibleModelSettings): OpenAICompatibleModel;
  /** The same model class: chat, completions and embeddings all live on it. */
  embeddingModel(modelId: string, settings?: OpenAICompatibleModelSettings): OpenAICompatibleModel;
  /** GET /models: the ids the upstream serves. */
  listModels(options?: { abortSignal?: AbortSignal }): Promise<string[]>;
  readonly name: string;
}

export function createOpenAICompatible(
  settings: OpenAICompatibleSettings,
): OpenAICompatibleProvider {
  const name = settings.name ?? 'openai-compatible';
  const baseURL = () =>
    typeof settings.baseURL === 'function' ? settings.baseURL() : settings.baseURL;
  const headers = () => {
    const apiKey = typeof settings.apiKey === 'function' ? settings.apiKey() : settings.apiKey;
    if (!apiKey && settings.requireApiKey) {
      throw new LlmrError({
        code: 'api-key-missing',
        message: `No API key for ${name}: set the environment variable (OPENAI_API_KEY for openai) or pass apiKey.`,
      });
    }
    const extra = typeof settings.headers === 'function' ? settings.headers() : settings.headers;
    return { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...extra };
  };
  const fetchImpl: typeof fetch = (input, init) =>
    (settings.fetch ?? globalThis.fetch)(input, init);
  const create = (modelId: string, modelSettings: OpenAICompatibleModelSettings = {}) =>
    new OpenAICompatibleModel(
      modelId,
      { ...settings.modelSettings, ...modelSettings },
      { name, baseURL, headers, fetch: fetchImpl },
    );
  const provider = ((modelId: string, modelSettings?: OpenAICompatibleModelSettings) =>
    create(modelId, modelSettings)) as OpenAICompatibleProvider;
  Object.defineProperty(provider, 'name', { value: name });
  provider.languageModel = create;
  provider.embeddingModel = create;
  provider.listModels = async ({ abortSignal } = {}) => {
    const url = `${baseURL().replace(/\/+$/, '')}/models`;
    const scope = createCallScope(url, abortSignal, undefined);
    try {
      const response = await fetchImpl(url, { headers: headers(), signal: scope.signal }).catch(
        (caught) => {
          throw scope.errorFor(caught);
        },
      );
      if (!response.ok) throw await apiErrorFromResponse(url, response);
      const json = (await response.json()) as { data?: { id: string }[] };
      return (json.data ?? []).map((model) => model.id);
    } finally {
      scope.close();
    }
  };
  return provider;
}

const env = (key: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[key];

/** OpenAI itself. Reads OPENAI_API_KEY and OPENAI_BASE_URL lazily, on each request. */
export const openai: OpenAICompatibleProvider = createOpenAICompatible({
  name: 'openai',
  baseURL: () => env('OPENAI_BASE_URL') ?? 'https://api.openai.com/v1',
  apiKey: () => env('OPENAI_API_KEY'),
  requireApiKey: true,
  modelSettings: { contextLength: 128_000 },
});

/** Adapts a provider to @llmr/router's `providers` option: `(modelId) => ModelV1`. */
export function asRouterProvider(
  provider: OpenAICompatibleProvider,
  settings?: OpenAICompatibleModelSettings,
): (modelId: string) => ModelV1 {
  return (modelId) => provider(modelId, settings);
}
