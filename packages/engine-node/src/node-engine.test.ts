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
});
