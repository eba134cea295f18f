import { testEngine } from '@llmr/core/test';
import { tinyGraph } from '@llmr/engine-ort/testing';
import { describe, expect, it } from 'vitest';
import { createWasmEngine, wasmEngine } from './wasm-engine';

const graph = tinyGraph();

testEngine({ engine: wasmEngine, ...graph });

describe('engine-wasm', () => {
  it('reports its threads and names the package when the runtime is missing', async () => {
    expect(wasmEngine.capabilities.threads).toBeGreaterThanOrEqual(1);
    const engine = createWasmEngine({
      ort: () => Promise.reject(new Error('Cannot find module')),
    });
    expect(await engine.isAvailable()).toBe(false);
    await expect(engine.createSession(graph.model)).rejects.toThrow(/npm i onnxruntime-web/);
  });
});
