/**
 * The page side of the browser test (bundled by esbuild): runs the engine conformance
 * checks and the tiny model through @llmr/loader-onnx on engine-wasm and engine-webgpu,
 * and the same model as GGUF on @llmr/runtime-simple, and reports plain JSON back to the
 * test.
 */
import type { EngineRow, EngineV1, ModelV1, TensorV1 } from '@llmr/core';
import { generate } from '@llmr/core';
// The kit's runner-free entry: vitest does not run in a page.
import { engineChecks, modelChecks } from '@llmr/core/test/kit';
import { createWasmEngine } from '@llmr/engine-wasm';
import { createOnnxLoader, type OnnxModel, selectOnnxEngine } from '@llmr/loader-onnx';
import { loadSimpleGguf, simpleEngineRow } from '@llmr/runtime-simple';
import * as ort from 'onnxruntime-web';
import { createWebGpuEngine, isDeviceTensor } from '../index';

interface TensorJson {
  type: TensorV1['type'];
  dims: number[];
  data: number[];
}

export interface BrowserTestInput {
  graphUrl: string;
  feeds: Record<string, TensorJson>;
  expected: Record<string, TensorJson>;
  modelUrl: string;
  /** The same model as an F32 GGUF file, for runtime-simple. */
  simpleModelUrl: string;
  prompt: string;
  steps: number;
  /** Also run the model conformance checks (slower: dozens of generations). */
  modelChecks?: boolean;
}

export interface SimpleReport {
  /** runtime-simple's engine-selector row, detected in the page. */
  engine: EngineRow;
  backend?: string;
  tokens?: number[];
  modelChecks?: Record<string, string>;
  error?: string;
  timings?: { model: number; modelChecks: number };
}

export interface EngineReport {
  available: boolean;
  reason?: string;
  checks: Record<string, string>;
  /** The model conformance checks, on the fixture model through @llmr/loader-onnx. */
  modelChecks?: Record<string, string>;
  tokens?: number[];
  text?: string;
  kvCache?: unknown;
  kvOnDevice?: boolean;
  error?: string;
  /** Milliseconds: conformance checks, then load + generate. */
  timings?: { checks: number; model: number; modelChecks?: number };
}

function tensor(json: TensorJson): TensorV1 {
  const data =
    json.type === 'int64'
      ? BigInt64Array.from(json.data, (value) => BigInt(value))
      : Float32Array.from(json.data);
  return { type: json.type, dims: json.dims, data };
}

/** The model conformance checks (the kit's runner-free entry), each 'ok' or its failure. */
async function runModelChecks(createModel: () => Promise<ModelV1>) {
  const outcomes: Record<string, string> = {};
  const shared = await createModel();
  const context = {
    model: shared,
    createModel,
    prompt: 'Once upon a time',
    prompts: ['The capital of France is', 'def fibonacci(n):', '1, 2, 3, 4,'],
    maxTokens: 12,
    seed: 42,
    temperature: 0.8,
    abortSlackTokens: 1,
  };
  for (const [name, check] of Object.entries(modelChecks)) {
    try {
      await check(context);
      outcomes[name] = 'ok';
    } catch (error) {
      outcomes[name] = String((error as Error)?.message ?? error);
    }
  }
  await shared.dispose();
  return outcomes;
}

/**
 * runtime-simple in the page: the same tiny model as GGUF, fetched as bytes, on the
 * WASM SIMD kernels; greedy tokens and the model conformance checks.
 */
async function runSimple(input: BrowserTestInput): Promise<SimpleReport> {
  const report: SimpleReport = { engine: await simpleEngineRow() };
  try {
    const started = performance.now();
    const bytes = new Uint8Array(await (await fetch(input.simpleModelUrl)).arrayBuffer());
    const load = () => loadSimpleGguf(bytes, { contextLength: 256, id: 'tiny-simple' });
    const model = await load();
    report.backend = model.backend;
    const result = await generate(model, {
      prompt: input.prompt,
      maxTokens: input.steps,
      temperature: 0,
    });
    report.tokens = result.tokens;
    await model.dispose();
    const generated = performance.now();
    if (input.modelChecks) report.modelChecks = await runModelChecks(load);
    report.timings = {
      model: Math.round(generated - started),
      modelChecks: Math.round(performance.now() - generated),
    };
  } catch (error) {
    report.error = String((error as Error)?.stack ?? error);
  }
  return report;
}

async function runEngine(engine: EngineV1, input: BrowserTestInput): Promise<EngineReport> {
  const report: EngineReport = { available: await engine.isAvailable(), checks: {} };
  const describe = (engine as { describeAvailability?: () => Promise<{ reason: string }> })
    .describeAvailability;
  if (describe) report.reason = (await describe()).reason;
  if (!report.available) return report;
  const started = performance.now();
  const model = new Uint8Array(await (await fetch(input.graphUrl)).arrayBuffer());
  const context = {
    engine,
    model,
    feeds: Object.fromEntries(
      Object.entries(input.feeds).map(([name, value]) => [name, tensor(value)]),
    ),
    expected: Object.fromEntries(
      Object.entries(input.expected).map(([name, value]) => [name, tensor(value)]),
    ),
    tolerance: 1e-4,
  };
  for (const [name, check] of Object.entries(engineChecks)) {
    try {
      await check(context);
      report.checks[name] = 'ok';
    } catch (error) {
      report.checks[name] = String((error as Error)?.message ?? error);
    }
  }
  const checked = performance.now();
  try {
    const loader = createOnnxLoader({ engine });
    const loaded = (await loader.doLoad(input.modelUrl)) as OnnxModel;
    try {
      const result = await generate(loaded, {
        prompt: input.prompt,
        maxTokens: input.steps,
        temperature: 0,
      });
      report.tokens = result.tokens;
      report.text = result.text;
      report.kvCache = result.metadata?.kvCache;
    } finally {
      await loaded.dispose();
    }
    // The KV cache stays on the GPU: present.* come back as device tensors.
    if (engine.capabilities.device === 'gpu') {
      const session = await engine.createSession(
        new Uint8Array(await (await fetch(`${input.modelUrl}onnx/model.onnx`)).arrayBuffer()),
        { preferredOutputLocation: { 'present.0.key': 'gpu-buffer' } },
      );
      const outputs = await session.run({
        input_ids: { type: 'int64', dims: [1, 1], data: BigInt64Array.of(1n) },
        attention_mask: { type: 'int64', dims: [1, 1], data: BigInt64Array.of(1n) },
        position_ids: { type: 'int64', dims: [1, 1], data: BigInt64Array.of(0n) },
        ...Object.fromEntries(
          session.inputNames
            .filter((name) => name.startsWith('past_key_values.'))
            .map((name) => [
              name,
              { type: 'float32', dims: [1, 2, 0, 16], data: new Float32Array(0) },
            ]),
        ),
      } as Record<string, TensorV1>);
      report.kvOnDevice = isDeviceTensor(outputs['present.0.key']!);
      await session.release();
    }
  } catch (error) {
    report.error = String((error as Error)?.stack ?? error);
  }
  report.timings = {
    checks: Math.round(checked - started),
    model: Math.round(performance.now() - checked),
  };
  if (input.modelChecks) {
    const modelStarted = performance.now();
    const loader = createOnnxLoader({ engine });
    report.modelChecks = await runModelChecks(() => loader.doLoad(input.modelUrl));
    report.timings.modelChecks = Math.round(performance.now() - modelStarted);
  }
  return report;
}

async function runAll(input: BrowserTestInput) {
  const wasmPaths = new URL('/ort/', location.href).href;
  const wasm = createWasmEngine({ ort, threads: 1, wasmPaths });
  const webgpu = createWebGpuEngine({ ort, wasmPaths });
  const selection = await selectOnnxEngine([wasm, webgpu]).catch((error) => ({
    explanation: String(error),
  }));
  return {
    userAgent: navigator.userAgent,
    selection: selection.explanation,
    wasm: await runEngine(wasm, input),
    webgpu: await runEngine(webgpu, input),
    simple: await runSimple(input),
  };
}

(globalThis as { runAll?: typeof runAll }).runAll = runAll;
