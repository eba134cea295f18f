/**
 * Remote models from a config file: `provider: openai-compatible` (OpenAI, vLLM, Ollama,
 * llama-server, LM Studio, another llmr) and `provider: anthropic`, each with its
 * `providerSettings`. The router knows no provider: the CLI hands it these factories.
 * Secrets come from `${NAME}` references to environment variables, resolved when a
 * model is made, so the config the router keeps (and `/api` shows) never holds them.
 */
import { InvalidArgumentError, type ModelV1Capability } from '@llmr/core';
import { createAnthropic } from '@llmr/provider-anthropic';
import { createOpenAICompatible } from '@llmr/provider-openai';
import type { ProviderFactory, ProviderFactoryContext, RouterModelConfig } from '@llmr/router';

export const UPSTREAM_PROVIDERS = ['openai-compatible', 'anthropic'] as const;
export type UpstreamProviderName = (typeof UPSTREAM_PROVIDERS)[number];

export interface UpstreamSettings {
  baseURL?: string;
  apiKey?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** anthropic: `max_tokens` when a request sets none. */
  defaultMaxTokens?: number;
}

const KNOWN_KEYS = ['baseURL', 'apiKey', 'headers', 'timeoutMs', 'defaultMaxTokens'];
type Environment = Record<string, string | undefined>;

/** A config mistake in a remote model's settings (bad input: the CLI exits 2). Never carries a resolved value. */
export class UpstreamConfigError extends InvalidArgumentError {
  constructor(argument: string, message: string) {
    super({ argument, message });
    this.name = 'UpstreamConfigError';
  }
}

/** `${NAME}` -> the variable's value; a missing one is an error that names it (never a value). */
export function resolveEnvReferences(value: string, where: string, env: Environment): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const resolved = env[name];
    if (resolved === undefined || resolved === '')
      throw new UpstreamConfigError(
        where,
        `${where} references the environment variable ${name}, which is not set: export ${name} before starting llmr serve, or remove the reference.`,
      );
    return resolved;
  });
}

/** Checks one model's providerSettings and resolves its env references. */
export function parseUpstreamSettings(
  provider: UpstreamProviderName,
  modelId: string,
  settings: Record<string, unknown>,
  env: Environment,
): UpstreamSettings {
  const where = (key: string) => `models["${modelId}"].providerSettings.${key}`;
  const unknown = Object.keys(settings).filter((key) => !KNOWN_KEYS.includes(key));
  if (unknown.length)
    throw new UpstreamConfigError(
      where(unknown[0]!),
      `${where(unknown[0]!)} is not a setting of provider ${provider}; use ${KNOWN_KEYS.join(', ')}.`,
    );
  const text = (key: string): string | undefined => {
    const value = settings[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '')
      throw new UpstreamConfigError(where(key), `${where(key)} must be a non-empty string.`);
    return resolveEnvReferences(value, where(key), env);
  };
  const count = (key: string): number | undefined => {
    const value = settings[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
      throw new UpstreamConfigError(where(key), `${where(key)} must be a positive whole number.`);
    return value;
  };
  const baseURL = text('baseURL');
  if (baseURL === undefined && provider === 'openai-compatible')
    throw new UpstreamConfigError(
      where('baseURL'),
      `${where('baseURL')} is required for provider openai-compatible, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1.`,
    );
  if (baseURL !== undefined && !/^https?:\/\/[^\s/]+/.test(baseURL))
    throw new UpstreamConfigError(
      where('baseURL'),
      `${where('baseURL')} must be an http(s) URL like http://127.0.0.1:8080/v1.`,
    );
  let headers: Record<string, string> | undefined;
  if (settings.headers !== undefined) {
    if (
      typeof settings.headers !== 'object' ||
      settings.headers === null ||
      Array.isArray(settings.headers) ||
      Object.values(settings.headers).some((value) => typeof value !== 'string')
    )
      throw new UpstreamConfigError(
        where('headers'),
        `${where('headers')} must map header names to strings.`,
      );
    headers = Object.fromEntries(
      Object.entries(settings.headers as Record<string, string>).map(([name, value]) => [
        name,
        resolveEnvReferences(value, `${where('headers')}.${name}`, env),
      ]),
    );
  }
  const apiKey = text('apiKey');
  const timeoutMs = count('timeoutMs');
  const defaultMaxTokens = count('defaultMaxTokens');
  return {
    ...(baseURL !== undefined ? { baseURL } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(headers ? { headers } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(defaultMaxTokens !== undefined ? { defaultMaxTokens } : {}),
  };
}

function isUpstream(provider: string | undefined): provider is UpstreamProviderName {
  return (UPSTREAM_PROVIDERS as readonly string[]).includes(provider ?? '');
}

/**
 * Fails startup on the first remote model whose provider is unknown or whose settings are
 * wrong (an undefined env variable included), so a bad config never serves half-working.
 */
export function checkUpstreamModels(
  models: readonly RouterModelConfig[] | undefined,
  env: Environment = process.env,
): void {
  for (const model of models ?? []) {
    if (model.provider === undefined) continue;
    if (!isUpstream(model.provider))
      throw new InvalidArgumentError({
        argument: `models["${model.id}"].provider`,
        value: model.provider,
        message: `Model "${model.id}" uses provider "${model.provider}"; llmr serve knows ${UPSTREAM_PROVIDERS.join(' and ')}.`,
      });
    parseUpstreamSettings(model.provider, model.id, model.providerSettings ?? {}, env);
  }
}

function modelSettings(context: ProviderFactoryContext, settings: UpstreamSettings) {
  return {
    ...(context.contextLength !== undefined ? { contextLength: context.contextLength } : {}),
    ...(context.capabilities !== undefined
      ? { capabilities: context.capabilities as ModelV1Capability[] }
      : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
  };
}

/** The factories `createRouter({ providers })` gets from the CLI. */
export function createUpstreamProviders(
  env: Environment = process.env,
): Record<UpstreamProviderName, ProviderFactory> {
  return {
    'openai-compatible': (modelId, context) => {
      const settings = parseUpstreamSettings(
        'openai-compatible',
        context.id,
        context.settings,
        env,
      );
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: settings.baseURL!,
        ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
        ...(settings.headers ? { headers: settings.headers } : {}),
      })(modelId, modelSettings(context, settings));
    },
    anthropic: (modelId, context) => {
      const settings = parseUpstreamSettings('anthropic', context.id, context.settings, env);
      return createAnthropic({
        ...(settings.baseURL !== undefined ? { baseURL: settings.baseURL } : {}),
        apiKey: settings.apiKey ?? env.ANTHROPIC_API_KEY,
        ...(settings.headers ? { headers: settings.headers } : {}),
      })(modelId, {
        ...modelSettings(context, settings),
        ...(settings.defaultMaxTokens !== undefined
          ? { defaultMaxTokens: settings.defaultMaxTokens }
          : {}),
      });
    },
  };
}
