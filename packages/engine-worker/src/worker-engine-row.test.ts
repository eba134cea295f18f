import { rankEngines } from '@llmr/core';
import { describeSimpleEngine } from '@llmr/runtime-simple';
import { describe, expect, it } from 'vitest';
import { describeWorkerEngine, workerEngineRow } from './worker-engine-row';

const simple = describeSimpleEngine({ webAssembly: true, wasmSimd: true });

describe('the engine-worker selector row', () => {
  it('is picked over runtime-simple on Node with worker_threads', () => {
    const ranking = rankEngines([
      describeWorkerEngine({ runtime: 'node', workerThreads: true }),
      simple,
    ]);
    expect(ranking.index).toBe(0);
    expect(ranking.explanation).toBe(
      'engine-worker (cpu): worker_threads pool: generation runs off the main thread — others: runtime-simple: WASM SIMD128 kernels, on the calling thread',
    );
    // A preference still wins among available engines, as for tensor engines.
    expect(
      rankEngines([describeWorkerEngine({ runtime: 'node', workerThreads: true }), simple], {
        prefer: 'runtime-simple',
      }).index,
    ).toBe(1);
  });

  it.each([
    [{ runtime: 'browser', workerThreads: false }, /browser is not Node/],
    [{ runtime: 'workerd', workerThreads: false }, /workerd is not Node/],
    [{ runtime: 'deno', workerThreads: true }, /deno is not Node/],
    [{ runtime: 'node', workerThreads: false }, /node:worker_threads cannot be loaded/],
  ] as const)('is skipped on %o and the selection says why', (platform, reason) => {
    const ranking = rankEngines([describeWorkerEngine(platform), simple]);
    expect(ranking.index).toBe(1);
    expect(ranking.explanation).toMatch(/^runtime-simple \(cpu\): /);
    expect(ranking.explanation).toContain('unavailable here: engine-worker');
    expect(ranking.explanation).toMatch(reason);
  });

  it('detects this platform: Node with worker_threads', async () => {
    expect(await workerEngineRow()).toMatchObject({ available: true });
  });
});
