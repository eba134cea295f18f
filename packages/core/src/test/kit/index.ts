/**
 * @llmr/core/test/kit — the conformance kit without a test runner: the checks as plain
 * async functions and runners that return a report or throw. Safe to import under
 * `node:test`, in a browser page or a script; `@llmr/core/test` wraps it for vitest.
 *
 * ```ts
 * import { test } from 'node:test';
 * import { checkModel } from '@llmr/core/test/kit';
 * test('my model conforms', () => checkModel({ name: 'my-model', createModel }));
 * ```
 */
export { ConformanceError } from '../check';
export { type EngineCheckContext, type EngineCheckName, engineChecks } from '../engine-checks';
export { type LoaderCheckContext, type LoaderCheckName, loaderChecks } from '../loader-checks';
export {
  type ModelCheck,
  type ModelCheckContext,
  type ModelCheckName,
  modelChecks,
} from '../model-checks';
export {
  type CompareModelsOptions,
  type ComparisonCheck,
  type ComparisonRow,
  type ComparisonStatus,
  compareLogprobs,
  compareModels,
  DEFAULT_PROBE_PROMPTS,
  type ModelComparison,
  type PromptComparison,
  resolveCompareOptions,
} from './compare-models';
export {
  type ConformanceReport,
  checkEngine,
  checkLoader,
  checkModel,
  type RunChecksOptions,
  resolveLoaderCheckContext,
  resolveModelCheckContext,
  type TestEngineOptions,
  type TestLoaderOptions,
  type TestModelOptions,
} from './run-checks';
