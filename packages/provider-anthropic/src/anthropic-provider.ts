/**
 * `createAnthropic(settings)` returns a provider: call it with a model id to get a
 * ModelV1 for that Claude model. `anthropic` is the default instance for
 * api.anthropic.com, reading ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL) when a request
 * is made, not at import.
 */
import { LlmrError, type ModelV1 } from '@llmr/core';
import { AnthropicMessagesModel, type AnthropicModelSettings } from './anthropic-messages-model';

/** The API version this provider speaks (sent as `anthropic-version`). */
export const ANTHROPIC_VERSION = '2023-06-01';

export interface AnthropicSettings {
  /** Default `https://api.anthropic.com/v1` (or ANTHROPIC_BASE_URL for the `anthropic` instance). */
  baseURL?: string | (() => string);
  /** Sent as `x-api-key`; a function is read on every request. */
  apiKey?: string | (() => string | undefined);
  /** Extra headers (e.g. `anthropic-beta`); they override the defaults. */
  headers?: Record<string, string> | (() => Record<string, string>);
  /** A custom fetch (proxies, tests). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Names this provider (default `anthropic`); `providerOptions[name]` is merged into request bodies. */
  name?: string;
  /** Fail when no API key is available. Default true, as the API always needs one. */
  requireApiKey?: boolean;
  /** Defaults for every model of this provider. */
  modelSettings?: AnthropicModelSettings;
}

export interface AnthropicProvider {
  (modelId: string, settings?: AnthropicModelSettings): AnthropicMessagesModel;
  languageModel(modelId: string, settings?: AnthropicModelSettings): AnthropicMessagesModel;
  readonly name: string;
}

export function createAnthropic(settings: AnthropicSettings = {}): AnthropicProvider {
  const name = settings.name ?? 'anthropic';
  const baseURL = () =>
    (typeof settings.baseURL === 'function' ? settings.baseURL() : settings.baseURL) ??
    'https://api.anthropic.com/v1';
  const headers = () => {
    const apiKey = typeof settings.apiKey === 'function' ? settings.apiKey() : settings.apiKey;
    if (!apiKey && (settings.requireApiKey ?? true)) {
      throw new LlmrError({
        code: 'api-key-missing',
        message: `No API key for ${name}: set ANTHROPIC_API_KEY or pass apiKey (requireApiKey: false for a server that needs none).`,
      });
    }
    const extra = typeof settings.headers === 'function' ? settings.headers() : settings.headers;
    return {
      'anthropic-version': ANTHROPIC_VERSION,
      ...(apiKey ? { 'x-api-key': apiKey } : {}),
      ...extra,
    };
  };
  const fetchImpl: typeof fetch = (input, init) =>
    (settings.fetch ?? globalThis.fetch)(input, init);
  const create = (modelId: string, modelSettings: AnthropicModelSettings = {}) =>
    new AnthropicMessagesModel(
      modelId,
      { ...settings.modelSettings, ...modelSettings },
      { name, baseURL, headers, fetch: fetchImpl },
    );
  const provider = ((modelId: string, modelSettings?: AnthropicModelSettings) =>
    create(modelId, modelSettings)) as AnthropicProvider;
  Object.defineProperty(provider, 'name', { value: name });
  provider.languageModel = create;
  return provider;
}

const env = (key: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[key];

/** Anthropic itself. Reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL lazily, on each request. */
export const anthropic: AnthropicProvider = createAnthropic({
  baseURL: () => env('ANTHROPIC_BASE_URL') ?? 'https://api.anthropic.com/v1',
  apiKey: () => env('ANTHROPIC_API_KEY'),
});

/** Adapts a provider to @llmr/router's `providers` option: `(modelId) => ModelV1`. */
export function asRouterProvider(
  provider: AnthropicProvider,
  settings?: AnthropicModelSettings,
): (modelId: string) => ModelV1 {
  return (modelId) => provider(modelId, settings);
}
