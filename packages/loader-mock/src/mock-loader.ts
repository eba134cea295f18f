/**
 * The `mock:` loader. Sources read like URLs:
 *   mock:random?seed=7            seeded pseudo-text
 *   mock:echo                     repeats the last user message
 *   mock:script?reply=Hello       a scripted reply
 *   mock:random?failAfterTokens=3&tokenMs=20&firstTokenMs=100
 *   mock:random?failOnLoad=1      loading fails
 */
import { delay, LoadError, type LoaderV1, type LoaderV1LoadOptions } from '@llmr/core';
import { createMockModel, MOCK_MODES, type MockMode, type MockModelSettings } from './mock-model';

export interface MockLoaderSettings {
  /** Settings applied to every model this loader makes (a source's query overrides them). */
  defaults?: MockModelSettings;
}

function numberParam(source: string, params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new LoadError({
      source,
      code: 'mock-invalid-source',
      message: `"${name}=${raw}" in ${source} must be a non-negative number.`,
    });
  }
  return value;
}

export function parseMockSource(source: string): MockModelSettings & { failOnLoad: boolean } {
  if (!source.startsWith('mock:')) {
    throw new LoadError({
      source,
      code: 'mock-invalid-source',
      message: `"${source}" is not a mock: source (try mock:random or mock:echo).`,
    });
  }
  const [path = '', query = ''] = source.slice('mock:'.length).split('?', 2);
  const mode = (path || 'random') as MockMode;
  if (!MOCK_MODES.includes(mode)) {
    throw new LoadError({
      source,
      code: 'mock-unknown-mode',
      message: `Unknown mock mode "${path}" in ${source}; use one of ${MOCK_MODES.join(', ')}.`,
    });
  }
  const params = new URLSearchParams(query);
  const hang = params.get('hang');
  if (hang !== null && hang !== 'before-first-token' && hang !== 'after-first-token') {
    throw new LoadError({
      source,
      code: 'mock-invalid-source',
      message: `hang=${hang} in ${source} must be before-first-token or after-first-token.`,
    });
  }
  const firstTokenMs = numberParam(source, params, 'firstTokenMs');
  const tokenMs = numberParam(source, params, 'tokenMs');
  const loadMs = numberParam(source, params, 'loadMs');
  return {
    mode,
    id: params.get('id') ?? undefined,
    seed: numberParam(source, params, 'seed'),
    replies: params.getAll('reply'),
    contextLength: numberParam(source, params, 'contextLength'),
    failAfterTokens: numberParam(source, params, 'failAfterTokens'),
    failFirstCalls: numberParam(source, params, 'failFirstCalls'),
    hang: hang ?? undefined,
    latency: { firstTokenMs, tokenMs, loadMs },
    failOnLoad: params.get('failOnLoad') === '1' || params.get('failOnLoad') === 'true',
  };
}

export function createMockLoader(settings: MockLoaderSettings = {}): LoaderV1 {
  return {
    specificationVersion: 'v1',
    name: 'mock',
    async canLoad(source) {
      return source.startsWith('mock:')
        ? { confidence: 1, reason: 'mock: scheme' }
        : { confidence: 0, reason: 'not a mock: source' };
    },
    async doLoad(source, options: LoaderV1LoadOptions = {}) {
      const { failOnLoad, ...parsed } = parseMockSource(source);
      const defined = Object.fromEntries(
        Object.entries(parsed).filter(
          ([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0),
        ),
      );
      const modelSettings: MockModelSettings = {
        ...settings.defaults,
        ...defined,
        id: options.id ?? parsed.id ?? source,
      };
      if (modelSettings.latency?.loadMs)
        await delay(modelSettings.latency.loadMs, options.abortSignal);
      options.onProgress?.({ loaded: 1, total: 1, stage: 'ready' });
      if (failOnLoad) {
        throw new LoadError({
          source,
          code: 'mock-load-failure',
          message: `Mock source ${source} fails to load by design (failOnLoad).`,
        });
      }
      return createMockModel(modelSettings);
    },
  };
}

/** The default instance. */
export const mockLoader: LoaderV1 = createMockLoader();
