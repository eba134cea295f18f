import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry, InvalidArgumentError, LoadError, type ModelV1 } from '@llmr/core';
import { testLoader, testModel } from '@llmr/core/test';
import { oracleContinuation, referenceGreedy } from '@llmr/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TinyFile, tinyModelDirectory } from './__fixtures__/tiny-models';
import { createSimpleLoader, loadSimpleGguf, type SimpleModel, simpleLoader } from './index';

const files = await tinyModelDirectory();
const oracle: Record<string, TinyFile> = {};
for (const dtype of ['f32', 'f16', 'q8_0', 'q4_0'] as const)
  oracle[dtype] = await files.gguf('oracle', dtype);
const randomF32 = await files.gguf('random', 'f32', { seed: 3 });
const hfDirectory = await files.hf({ seed: 3 });
afterAll(() => files.remove());

const loader = createSimpleLoader({ defaults: { contextLength: 512 } });

for (const dtype of ['f32', 'f16', 'q8_0', 'q4_0'] as const) {
  testModel({
    name: `simple gguf oracle ${dtype}`,
    createModel: () => loader.doLoad(oracle[dtype]!.path),
    prompt: 'The quick brown fox',
    maxTokens: 12,
  });
}
testModel({
  name: 'simple gguf random f32 (greedy)',
  createModel: () => loader.doLoad(randomF32.path),
  prompt: 'Once upon a time',
  temperature: 0,
  maxTokens: 10,
});
testModel({
  name: 'simple safetensors directory',
  createModel: () => loader.doLoad(hfDirectory.path),
  prompt: 'Once upon a time',
  maxTokens: 10,
});

testLoader({
  loader: simpleLoader,
  sources: [oracle.q8_0!.path, `file://${oracle.q4_0!.path}`, hfDirectory.path],
  foreignSources: ['mock:random', 'hf:org/repo', join(files.dir, 'missing.bin'), files.dir],
  brokenSources: [join(files.dir, 'missing.gguf')],
  loadOptions: { contextLength: 256 },
});

describe('Llama-family decoders on the simple runtime', () => {
  let model: SimpleModel;
  beforeAll(async () => {
    model = (await loader.doLoad(oracle.q4_0!.path)) as SimpleModel;
  });
  afterAll(() => model?.dispose());

  it('reports info, the kernel backend and memory use', () => {
    expect(model.info).toMatchObject({
      format: 'gguf',
      architecture: 'llama',
      contextLength: 512,
      quantization: 'Q4_0',
    });
    expect(model.info.capabilities).toEqual(
      expect.arrayContaining(['chat', 'completion', 'json-schema', 'logprobs']),
    );
    expect(model.backend).toBe('wasm-simd');
    const memory = model.memoryUsage();
    expect(memory.weightsBytes).toBeGreaterThan(50_000);
    // Weights are held once: the linear memory is not much more than the weights.
    expect(memory.capacityBytes).toBeLessThan(memory.weightsBytes * 1.5 + (4 << 20));
    expect(memory.kvCacheBytes).toBe(0);
  });

  it('the oracle gives its closed-form greedy continuation in every dtype', async () => {
    for (const dtype of ['f32', 'f16', 'q8_0', 'q4_0'] as const) {
      const fixture = oracle[dtype]!;
      const loaded = await loader.doLoad(fixture.path);
      const prompt = 'The lazy dog';
      const result = await loaded.doGenerate({ prompt, maxTokens: 16, temperature: 0 });
      const expected = oracleContinuation(fixture.successor!, fixture.encode(prompt).at(-1)!, 16);
      expect(result.tokens, dtype).toEqual(expected);
      expect(result.text).toBe(loaded.tokenizer!.decode(expected));
      await loaded.dispose();
    }
  });

  it('the random model (GGUF F32 and safetensors) generates the float64 reference greedy tokens', async () => {
    const prompt = 'The router sent';
    const expected = referenceGreedy(
      randomF32.config,
      randomF32.weights,
      [randomF32.config.bosTokenId, ...randomF32.encode(prompt)],
      12,
    );
    for (const source of [randomF32.path, hfDirectory.path]) {
      const loaded = await loader.doLoad(source);
      const result = await loaded.doGenerate({ prompt, maxTokens: 12, temperature: 0 });
      expect(result.tokens, source).toEqual(expected);
      await loaded.dispose();
    }
  });

  it('gives the same tokens on the TypeScript kernels as on WASM SIMD', async () => {
    const typescript = (await loadSimpleGguf(randomF32.path, {
      kernels: { backend: 'typescript' },
    })) as SimpleModel;
    expect(typescript.backend).toBe('typescript');
    const wasm = await loader.doLoad(randomF32.path);
    const options = { prompt: 'A small model', maxTokens: 10, temperature: 0 };
    expect((await typescript.doGenerate(options)).tokens).toEqual(
      (await wasm.doGenerate(options)).tokens,
    );
    await typescript.dispose();
    await wasm.dispose();
  });

  it('batches concurrent sequences and gives each the tokens it gets alone', async () => {
    const random = (await loader.doLoad(randomF32.path)) as SimpleModel;
    const prompts = ['Once upon a time', 'The router sent', 'Tokens and bytes', 'A B C'];
    const alone = [];
    for (const prompt of prompts)
      alone.push((await random.doGenerate({ prompt, maxTokens: 12, temperature: 0 })).tokens);
    const before = random.stats.batchedRuns;
    const together = await Promise.all(
      prompts.map((prompt) => random.doGenerate({ prompt, maxTokens: 12, temperature: 0 })),
    );
    expect(together.map((result) => result.tokens)).toEqual(alone);
    expect(random.stats.batchedRuns).toBeGreaterThan(before);
    expect(random.stats.largestBatch).toBeGreaterThan(1);
    // Every sequence's cache is returned when it ends.
    expect(random.memoryUsage().kvCacheBytes).toBe(0);
    await random.dispose();
  });

  it('constrains output to a JSON schema and stops at stop sequences', async () => {
    const random = await loader.doLoad(randomF32.path);
    const schema = {
      type: 'object',
      properties: { answer: { enum: ['yes', 'no'] }, confidence: { type: 'integer' } },
      required: ['answer', 'confidence'],
      additionalProperties: false,
    };
    const result = await random.doGenerate({
      prompt: 'Is it raining?',
      maxTokens: 64,
      seed: 1,
      temperature: 0.8,
      responseFormat: { type: 'json', schema },
    });
    const parsed = JSON.parse(result.text);
    expect(['yes', 'no']).toContain(parsed.answer);
    expect(Number.isInteger(parsed.confidence)).toBe(true);

    const free = await random.doGenerate({ prompt: 'The router', maxTokens: 20, temperature: 0 });
    const cut = free.text.slice(3, 6);
    const stopped = await random.doGenerate({
      prompt: 'The router',
      maxTokens: 20,
      temperature: 0,
      stopSequences: [cut],
    });
    expect(stopped.finishReason).toBe('stop');
    expect(stopped.text).toBe(free.text.slice(0, free.text.indexOf(cut)));
    await random.dispose();
  });

  it('applies the chat template and returns logprobs', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me about the router.' }];
    const result = await model.doGenerate({
      messages,
      maxTokens: 3,
      temperature: 1,
      seed: 4,
      logprobs: true,
      topLogprobs: 3,
    });
    expect(result.usage.inputTokens).toBe(
      model.tokenizer.encode(
        model.tokenizer.applyChatTemplate!(messages, { addGenerationPrompt: true }),
        { addSpecialTokens: false },
      ).length,
    );
    expect(result.logprobs).toHaveLength(3);
    for (const entry of result.logprobs!) {
      expect(entry.logprob).toBeLessThanOrEqual(0);
      expect(entry.topLogprobs).toHaveLength(3);
    }
  });

  it('refuses a prompt longer than the context and unsupported options clearly', async () => {
    const error = await model.doGenerate({ prompt: 'word '.repeat(600) }).catch((caught) => caught);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/context of 512 tokens/);
    await expect(
      model.doGenerate({
        prompt: 'x',
        responseFormat: { type: 'grammar', grammar: 'root ::= "a"' },
      }),
    ).rejects.toThrow(/use a JSON schema/);
  });
});

describe('sources', () => {
  it('reads a GGUF from bytes and over HTTP Range requests', async () => {
    const { readFile } = await import('node:fs/promises');
    const { createServer } = await import('node:http');
    const bytes = await readFile(randomF32.path);
    const expected = (
      await (
        await loader.doLoad(randomF32.path)
      ).doGenerate({ prompt: 'The', maxTokens: 5, temperature: 0 })
    ).tokens;
    const fromBytes = await loadSimpleGguf(new Uint8Array(bytes));
    expect(
      (await fromBytes.doGenerate({ prompt: 'The', maxTokens: 5, temperature: 0 })).tokens,
    ).toEqual(expected);
    await fromBytes.dispose();
    let ranges = 0;
    const server = createServer((request, response) => {
      const match = /bytes=(\d+)-(\d+)?/.exec(request.headers.range ?? '');
      if (!match) {
        response.writeHead(200, { 'content-length': bytes.byteLength }).end(bytes);
        return;
      }
      ranges++;
      const start = Number(match[1]);
      const end = Math.min(
        bytes.byteLength - 1,
        match[2] ? Number(match[2]) : bytes.byteLength - 1,
      );
      response
        .writeHead(206, {
          'content-range': `bytes ${start}-${end}/${bytes.byteLength}`,
          'content-length': end - start + 1,
        })
        .end(bytes.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const url = `http://127.0.0.1:${port}/random.gguf`;
      expect(await simpleLoader.canLoad(url)).toMatchObject({ confidence: 0.5 });
      const remote = await simpleLoader.doLoad(url);
      expect(
        (await remote.doGenerate({ prompt: 'The', maxTokens: 5, temperature: 0 })).tokens,
      ).toEqual(expected);
      // One read for the header, one per tensor: never the whole file at once.
      expect(ranges).toBeGreaterThan(10);
      await remote.dispose();
    } finally {
      server.close();
    }
  });

  it('loads from bytes given in load options (here over a SharedArrayBuffer), naming the model by source', async () => {
    const { readFile } = await import('node:fs/promises');
    const file = await readFile(randomF32.path);
    const shared = new Uint8Array(new SharedArrayBuffer(file.byteLength));
    shared.set(file);
    const expected = (
      await (
        await loader.doLoad(randomF32.path)
      ).doGenerate({ prompt: 'The', maxTokens: 5, temperature: 0 })
    ).tokens;
    // No file by this name: only the bytes can have been read.
    const model = await loader.doLoad(join(files.dir, 'in-memory.gguf'), { bytes: shared });
    expect(model.info.id).toBe('in-memory');
    expect(
      (await model.doGenerate({ prompt: 'The', maxTokens: 5, temperature: 0 })).tokens,
    ).toEqual(expected);
    await model.dispose();
    await expect(loader.doLoad('x.gguf', { bytes: [1, 2, 3] })).rejects.toThrow(
      InvalidArgumentError,
    );
  });

  it('refuses a file that is not GGUF, and a truncated one, with LoadErrors', async () => {
    const { readFile } = await import('node:fs/promises');
    const notGguf = join(files.dir, 'fake.gguf');
    await writeFile(notGguf, 'definitely not gguf');
    expect(await simpleLoader.canLoad(notGguf)).toBe(0);
    const truncated = join(files.dir, 'truncated.gguf');
    await writeFile(truncated, (await readFile(oracle.f32!.path)).subarray(0, 200));
    const error = await simpleLoader.doLoad(truncated).catch((caught) => caught);
    expect(LoadError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/not a usable GGUF file/);
    const cut = join(files.dir, 'cut.gguf');
    const whole = await readFile(oracle.f32!.path);
    await writeFile(cut, whole.subarray(0, whole.byteLength - 1000));
    const cutError = await simpleLoader.doLoad(cut).catch((caught) => caught);
    expect(LoadError.isInstance(cutError) || cutError?.code?.startsWith('gguf-')).toBe(true);
    expect(cutError.message).toMatch(/truncated/);
  });

  it('loads through the core registry by magic bytes', async () => {
    const registry = createRegistry({ loaders: [simpleLoader] });
    const resolution = await registry.resolveLoader(oracle.f32!.path);
    expect(resolution.explanation).toMatch(/simple \(confidence 0\.50: GGUF magic bytes\)/);
    const loaded: ModelV1 = await registry.load(oracle.f32!.path, { contextLength: 128 });
    expect(
      (await loaded.doGenerate({ prompt: 'The', maxTokens: 2, temperature: 0 })).tokens,
    ).toHaveLength(2);
    await loaded.dispose();
  });
});
