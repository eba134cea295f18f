import { rankEngines } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { describeSimpleEngine, simpleEngineRow } from './simple-engine-row';

describe('the runtime-simple engine row', () => {
  it('is available on every capability set and names the kernels it would use', () => {
    expect(describeSimpleEngine({ webAssembly: true, wasmSimd: true })).toEqual({
      name: 'runtime-simple',
      device: 'cpu',
      available: true,
      reason: 'WASM SIMD128 kernels, on the calling thread',
    });
    expect(describeSimpleEngine({ webAssembly: true, wasmSimd: false }).reason).toMatch(
      /^pure-TypeScript kernels \(this WebAssembly lacks SIMD128\)/,
    );
    const bare = describeSimpleEngine({ webAssembly: false });
    expect(bare.available).toBe(true);
    expect(bare.reason).toMatch(/no WebAssembly here/);
  });

  it('is picked when the only other engine cannot run, and the explanation says why', () => {
    const ranking = rankEngines([
      { name: 'gpu-only', device: 'gpu', available: false, reason: 'no adapter' },
      describeSimpleEngine({ webAssembly: true, wasmSimd: true }),
    ]);
    expect(ranking.index).toBe(1);
    expect(ranking.explanation).toBe(
      'runtime-simple (cpu): WASM SIMD128 kernels, on the calling thread; unavailable here: gpu-only — others: gpu-only: no adapter',
    );
  });

  it('detects this platform: Node has WASM SIMD', async () => {
    expect((await simpleEngineRow()).reason).toBe('WASM SIMD128 kernels, on the calling thread');
  });
});
