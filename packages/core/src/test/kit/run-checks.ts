/**
 * The conformance kit as plain async functions: no test runner needed. Each runs every
 * check (minus the ones excused in `skip`), returns a report, and throws a
 * ConformanceError naming every failed check, so `node:test`, mocha or a script can use it.
 */
import type { EngineV1, TensorV1 } from '../../engine/v1/engine-v1';
import type { LoaderV1, LoaderV1LoadOptions } from '../../loader/v1/loader-v1';
import type { ModelV1 } from '../../model/v1/model-v1';
import { ConformanceError } from '../check';
import { type EngineCheckName, engineChecks } from '../engine-checks';
import { type LoaderCheckContext, type LoaderCheckName, loaderChecks } from '../loader-checks';
import { type ModelCheckContext, type ModelCheckName, modelChecks } from '../model-checks';

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
  /** Per-test timeout in ms (used by the vitest wrapper). */
  timeout?: number;
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

export interface ConformanceReport {
  name: string;
  passed: string[];
  /** Excused checks, with the reason. */
  skipped: Record<string, string>;
  failed: Array<{ check: string; error: unknown }>;
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

export function resolveLoaderCheckContext(options: TestLoaderOptions): LoaderCheckContext {
  return {
    loader: options.loader,
    sources: options.sources,
    foreignSources: options.foreignSources ?? ['definitely-not-a-model.txt', 'other:thing'],
    brokenSources: options.brokenSources ?? [],
    loadOptions: options.loadOptions,
  };
}

async function runAll<Context>(
  name: string,
  checks: Record<string, (context: Context) => Promise<void>>,
  context: Context,
  skip: Partial<Record<string, string>> | undefined,
  throwOnFailure: boolean,
): Promise<ConformanceReport> {
  const report: ConformanceReport = { name, passed: [], skipped: {}, failed: [] };
  for (const [check, run] of Object.entries(checks)) {
    const reason = skip?.[check];
    if (reason) {
      report.skipped[check] = reason;
      continue;
    }
    try {
      await run(context);
      report.passed.push(check);
    } catch (error) {
      report.failed.push({ check, error });
    }
  }
  if (throwOnFailure && report.failed.length > 0) {
    const lines = report.failed.map(
      ({ check, error }) => `- ${check}: ${error instanceof Error ? error.message : String(error)}`,
    );
    throw new ConformanceError(
      name,
      `${report.failed.length} of ${report.failed.length + report.passed.length} conformance checks failed:\n${lines.join('\n')}`,
    );
  }
  return report;
}

export interface RunChecksOptions {
  /** Return the report instead of throwing when a check fails. Default true (throw). */
  throwOnFailure?: boolean;
}

/** Runs every model check on one shared model (disposed at the end). */
export async function checkModel(
  options: TestModelOptions,
  run: RunChecksOptions = {},
): Promise<ConformanceReport> {
  const context = resolveModelCheckContext(options, await options.createModel());
  try {
    return await runAll(
      `model ${options.name}`,
      modelChecks as Record<ModelCheckName, (context: ModelCheckContext) => Promise<void>>,
      context,
      options.skip,
      run.throwOnFailure ?? true,
    );
  } finally {
    await context.model.dispose();
  }
}

export function checkLoader(
  options: TestLoaderOptions,
  run: RunChecksOptions = {},
): Promise<ConformanceReport> {
  return runAll(
    `loader ${options.name ?? options.loader.name}`,
    loaderChecks,
    resolveLoaderCheckContext(options),
    options.skip,
    run.throwOnFailure ?? true,
  );
}

export function checkEngine(
  options: TestEngineOptions,
  run: RunChecksOptions = {},
): Promise<ConformanceReport> {
  return runAll(
    `engine ${options.name ?? options.engine.name}`,
    engineChecks,
    options,
    options.skip,
    run.throwOnFailure ?? true,
  );
}
