/** The behaviour every LoaderV1 must have. */
import { LlmrError } from '../errors/llmr-error';
import type { LoaderV1, LoaderV1LoadOptions } from '../loader/v1/loader-v1';
import { ensure, expectRejection, show } from './check';

export interface LoaderCheckContext {
  loader: LoaderV1;
  /** Sources this loader must accept and load. */
  sources: string[];
  /** Sources it must decline (confidence 0). */
  foreignSources: string[];
  /** Sources it accepts by name but that fail to load (missing file, corrupt bytes). */
  brokenSources: string[];
  loadOptions?: LoaderV1LoadOptions;
}

async function confidenceOf(loader: LoaderV1, source: string): Promise<number> {
  const answer = await loader.canLoad(source);
  return typeof answer === 'number' ? answer : answer.confidence;
}

export const loaderChecks = {
  async 'declares spec v1 and a name'({ loader }: LoaderCheckContext) {
    ensure(
      loader.specificationVersion === 'v1',
      'loader-info',
      `specificationVersion is ${show(loader.specificationVersion)}.`,
    );
    ensure(
      typeof loader.name === 'string' && loader.name.length > 0,
      'loader-info',
      'name must be a non-empty string.',
    );
  },

  async 'canLoad accepts its sources and declines others'({
    loader,
    sources,
    foreignSources,
  }: LoaderCheckContext) {
    for (const source of sources) {
      const confidence = await confidenceOf(loader, source);
      ensure(
        confidence > 0 && confidence <= 1,
        'can-load',
        `canLoad(${show(source)}) = ${confidence}; expected (0, 1].`,
      );
    }
    for (const source of foreignSources) {
      const confidence = await confidenceOf(loader, source);
      ensure(
        confidence === 0,
        'can-load',
        `canLoad(${show(source)}) = ${confidence}; a foreign source must get 0.`,
      );
    }
  },

  async 'loads a v1 model that generates'({ loader, sources, loadOptions }: LoaderCheckContext) {
    for (const source of sources) {
      const model = await loader.doLoad(source, loadOptions);
      try {
        ensure(
          model.specificationVersion === 'v1',
          'load',
          `The model from ${show(source)} is not spec v1.`,
        );
        const result = await model.doGenerate({ prompt: 'Hello', maxTokens: 2, temperature: 0 });
        ensure(typeof result.text === 'string', 'load', 'doGenerate must return text.');
      } finally {
        await model.dispose();
      }
    }
  },

  async 'a broken source fails with an LlmrError'({
    loader,
    brokenSources,
    loadOptions,
  }: LoaderCheckContext) {
    for (const source of brokenSources) {
      const error = await expectRejection(
        () => loader.doLoad(source, loadOptions),
        'load-error',
        `doLoad(${show(source)})`,
      );
      ensure(
        LlmrError.isInstance(error),
        'load-error',
        `doLoad(${show(source)}) must fail with an LlmrError, got ${show(String(error))}.`,
      );
    }
  },
};

export type LoaderCheckName = keyof typeof loaderChecks;
