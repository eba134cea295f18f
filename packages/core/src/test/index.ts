/**
 * @llmr/core/test — the conformance kit. Every loader, engine and model plugin runs
 * these shared vitest suites, so "passes the kit" means the same thing everywhere.
 *
 * ```ts
 * import { testModel } from '@llmr/core/test';
 * testModel({ name: 'my-model', createModel: () => myLoader.doLoad('...') });
 * ```
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { EngineV1, TensorV1 } from '../engine/v1/engine-v1';
import type { LoaderV1, LoaderV1LoadOptions } from '../loader/v1/loader-v1';
import type { ModelV1 } from '../model/v1/model-v1';
import { type EngineCheckName, engineChecks } from './engine-checks';
import { type LoaderCheckName, loaderChecks } from './loader-checks';
import { type ModelCheckContext, type ModelCheckName, modelChecks } from './model-checks';

export { ConformanceError } from './check';
export { type EngineCheckContext, type EngineCheckName, engineChecks } from './engine-checks';
export { type LoaderCheckContext, type LoaderCheckName, loaderChecks } from './loader-checks';
export {
  type ModelCheck,
  type ModelCheckContext,
  type ModelCheckName,
  modelChecks,
} from './model-checks';

export interface TestModelOptions {
  name: string;
  /** Creates a fresh model. Called once for the shared model and once for the dispose check. */
  createModel: () => Promise<ModelV1>;
  /** A raw prompt the model continues for at least `maxTokens` tokens. */
  prompt?: string;
  prompts?: string[];
  maxTokens?: number;
  seed?: number;
  temperature?: number;
  abortSlackTokens?: number;
  /** Checks this model is excused from, each with the reason (shown in the test name). */
  skip?: Partial<Record<ModelCheckName, string>>;
  /** Per-test timeout in ms. */
  timeout?: number;
}

export function resolveModelCheckContext(
  options: Omit<TestModelOptions, 'name' | 'skip' | 'timeout'>,
  model: ModelV1,
): ModelCheckContext {
  return {
    model,
    createModel: options.createModel,
    prompt: options.prompt ?? 'Once upon a time',
    prompts: options.prompts ?? ['The capital of France is', 'def fibonacci(n):', '1, 2, 3, 4,'],
    maxTokens: options.maxTokens ?? 12,
    seed: options.seed ?? 42,
    temperature: options.temperature ?? 0.8,
    abortSlackTokens: options.abortSlackTokens ?? 1,
  };
}

export function testModel(options: TestModelOptions): void {
  describe(`conformance: model ${options.name}`, () => {
    let context: ModelCheckContext | undefined;
    beforeAll(async () => {
      context = resolveModelCheckContext(options, await options.createModel());
    });
    afterAll(async () => {
      await context?.model.dispose();
    });
    for (const [name, check] of Object.entries(modelChecks) as [
      ModelCheckName,
      (c: ModelCheckContext) => Promise<void>,
    ][]) {
      const reason = options.skip?.[name];
      if (reason) it.skip(`${name} (skipped: ${reason})`, () => {});
      else it(name, () => check(context!), options.timeout);
    }
  });
}

export interface TestLoaderOptions {
  name?: string;
  loader: LoaderV1;
  sources: string[];
  foreignSources?: string[];
  brokenSources?: string[];
  loadOptions?: LoaderV1LoadOptions;
  skip?: Partial<Record<LoaderCheckName, string>>;
  timeout?: number;
}

export function testLoader(options: TestLoaderOptions): void {
  const context = {
    loader: options.loader,
    sources: options.sources,
    foreignSources: options.foreignSources ?? ['definitely-not-a-model.txt', 'other:thing'],
    brokenSources: options.brokenSources ?? [],
    loadOptions: options.loadOptions,
  };
  describe(`conformance: loader ${options.name ?? options.loader.name}`, () => {
    for (const [name, check] of Object.entries(loaderChecks)) {
      const reason = options.skip?.[name as LoaderCheckName];
      if (reason) it.skip(`${name} (skipped: ${reason})`, () => {});
      else it(name, () => check(context), options.timeout);
    }
  });
}

export interface TestEngineOptions {
  name?: string;
  engine: EngineV1;
  model: Uint8Array | string;
  feeds: Record<string, TensorV1>;
  expected: Record<string, TensorV1>;
  tolerance?: number;
  skip?: Partial<Record<EngineCheckName, string>>;
  timeout?: number;
}

export function testEngine(options: TestEngineOptions): void {
  describe(`conformance: engine ${options.name ?? options.engine.name}`, () => {
    for (const [name, check] of Object.entries(engineChecks)) {
      const reason = options.skip?.[name as EngineCheckName];
      if (reason) it.skip(`${name} (skipped: ${reason})`, () => {});
      else it(name, () => check(options), options.timeout);
    }
  });
}
