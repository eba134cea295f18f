/**
 * @llmr/core/test — the conformance kit as vitest suites. Every loader, engine and model
 * plugin runs them, so "passes the kit" means the same thing everywhere. Each check is
 * its own test. Without vitest, use the plain runners in `@llmr/core/test/kit`.
 *
 * ```ts
 * import { testModel } from '@llmr/core/test';
 * testModel({ name: 'my-model', createModel: () => myLoader.doLoad('...') });
 * ```
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type EngineCheckName, engineChecks } from './engine-checks';
import {
  resolveLoaderCheckContext,
  resolveModelCheckContext,
  type TestEngineOptions,
  type TestLoaderOptions,
  type TestModelOptions,
} from './kit/run-checks';
import { type LoaderCheckName, loaderChecks } from './loader-checks';
import { type ModelCheckContext, type ModelCheckName, modelChecks } from './model-checks';

export * from './kit/index';

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

export function testLoader(options: TestLoaderOptions): void {
  const context = resolveLoaderCheckContext(options);
  describe(`conformance: loader ${options.name ?? options.loader.name}`, () => {
    for (const [name, check] of Object.entries(loaderChecks)) {
      const reason = options.skip?.[name as LoaderCheckName];
      if (reason) it.skip(`${name} (skipped: ${reason})`, () => {});
      else it(name, () => check(context), options.timeout);
    }
  });
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
