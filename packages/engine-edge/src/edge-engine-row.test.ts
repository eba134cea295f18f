import { rankEngines } from '@llmr/core';
import { describeSimpleEngine } from '@llmr/runtime-simple';
import { describe, expect, it } from 'vitest';
import { describeEdgeEngine, edgeEngineRow } from './edge-engine-row';

const simple = describeSimpleEngine({ webAssembly: true, wasmSimd: true });

describe('the engine-edge selector row', () => {
  it.each([
    ['workerd', 'workerd: createEdgeWorker, a module worker streaming SSE'],
    ['deno', 'deno: serveEdge on Deno.serve'],
    ['bun', 'bun: serveEdge on Bun.serve'],
  ] as const)('is picked over runtime-simple on %s', (runtime, reason) => {
    const ranking = rankEngines([describeEdgeEngine({ runtime }), simple]);
    expect(ranking.index).toBe(0);
    expect(ranking.explanation).toBe(
      `engine-edge (cpu): ${reason} — others: runtime-simple: WASM SIMD128 kernels, on the calling thread`,
    );
  });

  it.each(['node', 'browser', 'unknown'] as const)('is skipped on %s, saying why', (runtime) => {
    const ranking = rankEngines([describeEdgeEngine({ runtime }), simple]);
    expect(ranking.index).toBe(1);
    expect(ranking.candidates[1]).toMatchObject({ engine: 'engine-edge', available: false });
    expect(ranking.explanation).toContain('unavailable here: engine-edge');
    expect(ranking.explanation).toContain(`engine-edge: ${runtime} is not an edge runtime`);
  });

  it('detects Node here: unavailable', async () => {
    expect(await edgeEngineRow()).toMatchObject({ available: false, reason: /^node is not/ });
  });
});
