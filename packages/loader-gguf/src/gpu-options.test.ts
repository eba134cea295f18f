import { InvalidArgumentError } from '@llmr/core';
import { getLlamaGpuTypes } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyGgufDirectory } from './__fixtures__/tiny-gguf';
import { createGgufLoader, parseGpuLayers, parseGpuOption } from './index';

const files = await tinyGgufDirectory();
const tiny = await files.write('random', 'f32', 3);
afterAll(() => files.remove());

// The GPU backends node-llama-cpp can start here: none where no GPU (or none of its GPU
// binaries) is installed, as in CI.
const usable = (await getLlamaGpuTypes('supported')).filter((type) => type !== false);

async function load(options: Parameters<ReturnType<typeof createGgufLoader>['doLoad']>[1]) {
  const lines: string[] = [];
  const loader = createGgufLoader({ defaults: { contextLength: 256, sequences: 1 } });
  const model = await loader.doLoad(tiny.path, { ...options, log: (line) => lines.push(line) });
  const backend = model.info.backend;
  const generated = await model.doGenerate({ prompt: 'The router', maxTokens: 4, temperature: 0 });
  await model.dispose();
  return { backend, lines, tokens: generated.tokens };
}

describe('the gpu option', () => {
  it('reads the accepted values and refuses others by name', () => {
    expect(parseGpuOption(undefined)).toBe('auto');
    expect(parseGpuOption('on')).toBe('auto');
    expect(parseGpuOption('off')).toBe(false);
    expect(parseGpuOption(false)).toBe(false);
    expect(parseGpuOption('cuda')).toBe('cuda');
    expect(() => parseGpuOption('tpu')).toThrow(InvalidArgumentError);
    expect(() => parseGpuOption('tpu')).toThrow(
      /gpu must be "auto", false, "cuda", "vulkan" or "metal"; got "tpu"/,
    );
    expect(parseGpuLayers(undefined)).toBe('auto');
    expect(parseGpuLayers(12)).toBe(12);
    expect(() => parseGpuLayers(-1)).toThrow(/gpuLayers must be "auto", "max" or a whole number/);
  });

  it('defaults to auto: the GPU when there is one, else the CPU with one log line saying why', async () => {
    const cpu = await load({ gpu: false });
    expect(cpu).toMatchObject({ backend: 'cpu', lines: [] });
    const auto = await load({});
    if (usable.length === 0) {
      expect(auto.backend).toBe('cpu');
      expect(auto.lines).toHaveLength(1);
      expect(auto.lines[0]).toMatch(
        /^llmr loader-gguf: running on the CPU, GPU "auto" not used: no CUDA, Vulkan or Metal device/,
      );
      expect(auto.tokens).toEqual(cpu.tokens);
    } else {
      expect(usable).toContain(auto.backend);
      expect(auto.lines).toEqual([]);
    }
  }, 60_000);

  it('falls back to the CPU when a named backend cannot start', async () => {
    const cuda = await load({ gpu: 'cuda' });
    if (usable.includes('cuda')) {
      expect(cuda).toMatchObject({ backend: 'cuda', lines: [] });
    } else {
      expect(cuda.backend).toBe('cpu');
      expect(cuda.lines).toHaveLength(1);
      expect(cuda.lines[0]).toMatch(/GPU "cuda" not used: the cuda backend cannot start: /);
    }
  }, 60_000);

  it('refuses a bad gpu value before loading anything', async () => {
    await expect(load({ gpu: 'tpu' as never })).rejects.toThrow(InvalidArgumentError);
  });
});
