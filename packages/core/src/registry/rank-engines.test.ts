import { describe, expect, it } from 'vitest';
import { LlmrError } from '../errors/llmr-error';
import { detectPlatform, detectRuntime } from './platform-capabilities';
import { rankEngines } from './rank-engines';

describe('rankEngines', () => {
  it('puts available before unavailable, then the preferred, then GPU before CPU, then order', () => {
    const rows = [
      { name: 'first-cpu', device: 'cpu' as const, available: true },
      { name: 'second-cpu', device: 'cpu' as const, available: true, reason: 'slower here' },
      { name: 'gpu', device: 'gpu' as const, available: false, reason: 'no adapter' },
    ];
    const ranking = rankEngines(rows);
    expect(ranking.index).toBe(0);
    expect(ranking.candidates.map((candidate) => candidate.engine)).toEqual([
      'first-cpu',
      'second-cpu',
      'gpu',
    ]);
    expect(ranking.explanation).toBe(
      'first-cpu (cpu); unavailable here: gpu — others: second-cpu: slower here; gpu: no adapter',
    );
    const preferred = rankEngines(rows, { prefer: 'second-cpu' });
    expect(preferred.index).toBe(1);
    expect(preferred.explanation).toMatch(/^second-cpu \(cpu, preferred\): slower here;/);
    // A preference for an unavailable engine does not pick it.
    expect(rankEngines(rows, { prefer: 'gpu' }).index).toBe(0);
    expect(rankEngines([...rows, { name: 'gpu2', device: 'gpu', available: true }]).index).toBe(3);
  });

  it('fails with no-such-engine, listing why each was skipped', () => {
    let error: unknown;
    try {
      rankEngines([{ name: 'gpu', device: 'gpu', available: false, reason: 'no adapter' }]);
    } catch (caught) {
      error = caught;
    }
    expect(LlmrError.isInstance(error)).toBe(true);
    expect((error as LlmrError).code).toBe('no-such-engine');
    expect((error as Error).message).toContain('gpu (no adapter)');
    expect(() => rankEngines([])).toThrow(/No engines are registered/);
  });
});

describe('detectPlatform', () => {
  it('sees Node with worker_threads and WebAssembly under vitest', async () => {
    expect(detectRuntime()).toBe('node');
    expect(await detectPlatform()).toEqual({
      runtime: 'node',
      webAssembly: true,
      workerThreads: true,
    });
  });
});
