import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LlmrError } from '@llmr/core';
import { testEngine } from '@llmr/core/test';
import { tinyGraph } from '@llmr/engine-ort/testing';
import { describe, expect, it } from 'vitest';
import { createNodeEngine, nodeEngine } from './node-engine';

const graph = tinyGraph();

testEngine({ engine: nodeEngine, ...graph });
testEngine({
  name: 'onnxruntime-node (1 thread, optimizations off)',
  engine: createNodeEngine({ threads: 1, graphOptimizationLevel: 'disabled' }),
  ...graph,
});

describe('engine-node', () => {
  it('says which package is missing when the runtime cannot be imported', async () => {
    const engine = createNodeEngine({
      ort: () => {
        throw new Error('Cannot find module');
      },
    });
    expect(await engine.isAvailable()).toBe(false);
    const error = await engine.createSession(graph.model).catch((caught) => caught);
    expect(LlmrError.isInstance(error)).toBe(true);
    expect(String(error.message)).toMatch(/npm i onnxruntime-node/);
  });

  it('serialises concurrent runs on one session and checks feeds', async () => {
    const session = await nodeEngine.createSession(graph.model, { threads: 1 });
    const runs = await Promise.all([1, 2, 3].map(() => session.run(graph.feeds)));
    for (const outputs of runs) expect(outputs.index!.data).toEqual(graph.expected.index!.data);
    const bad = await session
      .run({ x: { type: 'float32', dims: [2, 3], data: new Float32Array(5) } })
      .catch((caught) => caught);
    expect(bad.code).toBe('invalid-argument');
    const aborted = await session
      .run(graph.feeds, { abortSignal: AbortSignal.abort() })
      .catch((caught) => caught);
    expect(aborted.code).toBe('aborted');
    await session.release();
  });

  it('runs on the execution provider asked for, or refuses one the runtime lacks by name', async () => {
    const cpu = await createNodeEngine({ executionProvider: 'cpu' }).createSession(graph.model);
    expect((await cpu.run(graph.feeds)).index!.data).toEqual(graph.expected.index!.data);
    await cpu.release();

    const unknown = await nodeEngine
      .createSession(graph.model, { executionProvider: 'no-such-device' })
      .catch((caught) => caught);
    expect(unknown.code).toBe('execution-provider-unavailable');
    expect(unknown.message).toMatch(/this runtime offers cpu/);

    // CUDA: onnxruntime-node knows it but installs its provider files only when asked to
    // (never in CI); without them the session is refused with what to install.
    const cudaEngine = createNodeEngine({ executionProvider: 'cuda' });
    expect(cudaEngine.capabilities.device).toBe('gpu');
    const binding = dirname(
      createRequire(import.meta.url).resolve(
        'onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      ),
    );
    const cudaInstalled = existsSync(join(binding, 'libonnxruntime_providers_cuda.so'));
    const cuda = await cudaEngine.createSession(graph.model).catch((caught) => caught);
    if (cudaInstalled && !('code' in cuda)) {
      expect((await cuda.run(graph.feeds)).index!.data).toEqual(graph.expected.index!.data);
      await cuda.release();
    } else {
      expect(cuda.code).toBe('execution-provider-unavailable');
      expect(cuda.message).toMatch(
        /onnxruntime-node cannot run on the "cuda" execution provider here: .*--onnxruntime-node-install-cuda.* Or use executionProvider "cpu"\./,
      );
    }
  });
});
