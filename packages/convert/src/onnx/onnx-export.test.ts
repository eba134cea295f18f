/**
 * The ONNX export checked by ONNX Runtime itself (onnxruntime-node, CPU): logits against
 * the float64 reference, the KV cache path against the full pass, the oracle's known
 * answer in every dtype, and the structural checks that run before anything is written.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWithBpe, oracleContinuation, referenceForward } from '@llmr/fixtures';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argmax, greedyWithCache, lastRow, step } from '../__fixtures__/onnx-run';
import { tinyHf } from '../__fixtures__/tiny-hf';
import { hfModelToOnnxBytes, writeHfModelAsOnnx } from './convert-hf-to-onnx';
import type { OnnxDtype } from './llama-decoder-graph';
import { OnnxGraphBuilder } from './onnx-graph-builder';
import { dequantizeMatMulNBits, quantizeMatMulNBits } from './onnx-quantize';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-onnx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('HF -> ONNX checked by ONNX Runtime', () => {
  it('the random model (f32): logits at every position within 1e-4 of the float64 reference', async () => {
    const fixture = tinyHf('random');
    const session = await ort.InferenceSession.create(await hfModelToOnnxBytes(fixture.hf));
    const prompt = [
      fixture.bpe.specialTokens['<|begin_of_text|>'],
      ...encodeWithBpe(fixture.bpe, 'Once upon a time there was'),
    ];
    const reference = referenceForward(fixture.config, fixture.weights, prompt);
    const result = await step(session, fixture, prompt, undefined, 0);
    const logits = result.logits!;
    expect(logits.dims).toEqual([1, prompt.length, fixture.config.vocabSize]);
    let worst = 0;
    const data = logits.data as Float32Array;
    reference.forEach((row, position) => {
      row.forEach((value, token) => {
        worst = Math.max(worst, Math.abs(data[position * row.length + token]! - value));
      });
    });
    expect(worst).toBeLessThan(1e-4);
    await session.release();
  });

  it('the KV cache path gives the same logits as one full pass', async () => {
    const fixture = tinyHf('random', 5);
    const session = await ort.InferenceSession.create(await hfModelToOnnxBytes(fixture.hf));
    const tokens = encodeWithBpe(fixture.bpe, 'The quick brown fox jumps');
    const full = await step(session, fixture, tokens, undefined, 0);
    const first = await step(session, fixture, tokens.slice(0, 3), undefined, 0);
    const rest = await step(session, fixture, tokens.slice(3), first as never, 3);
    const vocab = fixture.config.vocabSize;
    const fullData = full.logits!.data as Float32Array;
    const restData = rest.logits!.data as Float32Array;
    for (let index = 0; index < restData.length; index++)
      expect(Math.abs(restData[index]! - fullData[3 * vocab + index]!)).toBeLessThan(1e-5);
    expect(rest['present.1.key']!.dims).toEqual([1, 2, tokens.length, 16]);
    await session.release();
  });

  it('left padding and a batch of two give each row its own answer', async () => {
    const fixture = tinyHf('random', 2);
    const session = await ort.InferenceSession.create(await hfModelToOnnxBytes(fixture.hf));
    const a = encodeWithBpe(fixture.bpe, 'The lazy dog sleeps');
    const b = encodeWithBpe(fixture.bpe, 'A token');
    const width = Math.max(a.length, b.length);
    const pad = (tokens: number[]) => [...new Array(width - tokens.length).fill(0), ...tokens];
    const mask = (tokens: number[]) => [
      ...new Array(width - tokens.length).fill(0),
      ...tokens.map(() => 1),
    ];
    const positions = (tokens: number[]) => [
      ...new Array(width - tokens.length).fill(0),
      ...tokens.map((_, index) => index),
    ];
    const headDim = 16;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from([...pad(a), ...pad(b)], BigInt), [
        2,
        width,
      ]),
      attention_mask: new ort.Tensor(
        'int64',
        BigInt64Array.from([...mask(a), ...mask(b)], BigInt),
        [2, width],
      ),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from([...positions(a), ...positions(b)], BigInt),
        [2, width],
      ),
    };
    for (let layer = 0; layer < 2; layer++)
      for (const kind of ['key', 'value'])
        feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
          2,
          2,
          0,
          headDim,
        ]);
    const batched = await session.run(feeds);
    const vocab = fixture.config.vocabSize;
    const data = batched.logits!.data as Float32Array;
    for (const [row, tokens] of [a, b].entries()) {
      const reference = referenceForward(fixture.config, fixture.weights, tokens).at(-1)!;
      const got = data.subarray((row * width + width - 1) * vocab, (row * width + width) * vocab);
      let worst = 0;
      reference.forEach((value, token) => {
        worst = Math.max(worst, Math.abs(got[token]! - value));
      });
      expect(worst).toBeLessThan(1e-4);
    }
    await session.release();
  });

  it.each(['f32', 'f16', 'q8', 'q4'] as const)(
    'the oracle (%s) gives its closed-form greedy continuation through the KV cache',
    async (dtype: OnnxDtype) => {
      const fixture = tinyHf('oracle');
      const session = await ort.InferenceSession.create(
        await hfModelToOnnxBytes(fixture.hf, { dtype }),
      );
      const prompt = [
        fixture.bpe.specialTokens['<|begin_of_text|>'],
        ...encodeWithBpe(fixture.bpe, 'The lazy dog'),
      ];
      expect(await greedyWithCache(session, fixture, prompt, 12)).toEqual(
        oracleContinuation(fixture.successor!, prompt.at(-1)!, 12),
      );
      await session.release();
    },
  );

  it.each([
    ['f16', {}],
    ['q8', {}],
    ['q8', { accuracyLevel: 0 as const }],
    ['q4', { blockSize: 16 }],
    ['q8', { quantFormat: 'dequantize-linear' as const }],
  ] as const)(
    'the random model (%s %j): greedy tokens match the float64 reference',
    async (dtype, extra) => {
      const fixture = tinyHf('random');
      const session = await ort.InferenceSession.create(
        await hfModelToOnnxBytes(fixture.hf, { dtype, ...extra }),
      );
      const prompt = [
        fixture.bpe.specialTokens['<|begin_of_text|>'],
        ...encodeWithBpe(fixture.bpe, 'The router sent'),
      ];
      const steps = 8;
      const expected: number[] = [];
      const tokens = [...prompt];
      for (let index = 0; index < steps; index++) {
        const next = argmax(referenceForward(fixture.config, fixture.weights, tokens).at(-1)!);
        expected.push(next);
        tokens.push(next);
      }
      expect(await greedyWithCache(session, fixture, prompt, steps)).toEqual(expected);
      await session.release();
    },
  );

  it('refuses an accuracyLevel MatMulNBits does not have', async () => {
    const fixture = tinyHf('random');
    await expect(
      hfModelToOnnxBytes(fixture.hf, { dtype: 'q4', accuracyLevel: 7 as never }),
    ).rejects.toMatchObject({ code: 'convert-invalid-accuracy-level' });
  });

  it('writes the transformers.js directory layout, with external data when asked', async () => {
    const fixture = tinyHf('random');
    const output = join(dir, 'random-external');
    const result = await writeHfModelAsOnnx(fixture.hf, { output, externalData: 'always' });
    expect((await readdir(output)).sort()).toEqual([
      'config.json',
      'onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect((await readdir(join(output, 'onnx'))).sort()).toEqual(['model.onnx', 'model.onnx_data']);
    expect((await stat(result.modelPath)).size).toBeLessThan(64 * 1024);
    const config = JSON.parse(await readFile(join(output, 'config.json'), 'utf8'));
    expect(config['transformers.js_config']).toEqual({ dtype: 'fp32' });
    const session = await ort.InferenceSession.create(result.modelPath);
    const prompt = encodeWithBpe(fixture.bpe, 'Once upon');
    const reference = referenceForward(fixture.config, fixture.weights, prompt).at(-1)!;
    const logits = lastRow((await step(session, fixture, prompt, undefined, 0)).logits!);
    expect(argmax(logits)).toBe(argmax(reference));
    expect(session.inputNames).toContain('past_key_values.1.value');
    expect(session.outputNames).toContain('present.0.key');
    await session.release();
  });
});

describe('the graph builder', () => {
  it('refuses a node that reads a value nothing produces', () => {
    const graph = new OnnxGraphBuilder();
    const x = graph.input('x', 'float32', ['n']);
    graph.op('Add', [x, 'nowhere'], {}, { output: 'y' });
    graph.output('y', 'float32', ['n']);
    expect(() => graph.toBytes()).toThrow(/reads "nowhere"/);
  });

  it('refuses duplicate names, missing opsets and outputs nothing produces', () => {
    const graph = new OnnxGraphBuilder('g', { '': 17 });
    graph.input('x', 'float32', [1]);
    expect(() => graph.input('x', 'float32', [1])).toThrow(/already used/);
    graph.op('MatMulNBits', ['x'], {}, { domain: 'com.microsoft', output: 'y' });
    graph.output('y', 'float32', [1]);
    expect(() => graph.validate()).toThrow(/no opset import/);
    const other = new OnnxGraphBuilder();
    other.input('x', 'float32', [1]);
    other.output('z', 'float32', [1]);
    expect(() => other.validate()).toThrow(/never produced/);
  });

  it('builds a graph ONNX Runtime runs', async () => {
    const graph = new OnnxGraphBuilder();
    const x = graph.input('x', 'float32', ['n', 2]);
    const w = graph.float32s([1, 2, 3, 4], [2, 2], 'w');
    graph.op('Relu', [graph.op('MatMul', [x, w])], {}, { output: 'y' });
    graph.output('y', 'float32', ['n', 2]);
    const session = await ort.InferenceSession.create(graph.toBytes());
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from([1, -1, 2, 0]), [2, 2]),
    });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([0, 0, 2, 4]);
    await session.release();
  });
});

describe('MatMulNBits quantization', () => {
  // Q4 keeps the sign of the largest value at level -8, so the other side reaches only +7:
  // its error may be a whole step (ggml's Q4_0 has the same property).
  it.each([4, 8] as const)(
    '%i-bit round-trips within a step and ORT agrees with it',
    async (bits) => {
      const rows = 8;
      const columns = 64;
      const weight = Float32Array.from({ length: rows * columns }, (_, index) =>
        Math.sin(index * 1.7),
      );
      const quantized = quantizeMatMulNBits(weight, rows, columns, bits, 32);
      const dequantized = dequantizeMatMulNBits(quantized, rows, columns);
      for (let index = 0; index < weight.length; index++) {
        const scale = Math.abs(quantized.scales[Math.floor(index / 32)]!);
        expect(Math.abs(dequantized[index]! - weight[index]!)).toBeLessThanOrEqual(
          (bits === 4 ? scale : scale / 2) + 1e-7,
        );
      }
      const graph = new OnnxGraphBuilder();
      const x = graph.input('x', 'float32', [1, columns]);
      const b = graph.initializer('b', 'uint8', [rows, 2, (32 * bits) / 8], quantized.packed);
      const s = graph.initializer(
        's',
        'float32',
        [rows * 2],
        new Uint8Array(quantized.scales.buffer),
      );
      graph.op(
        'MatMulNBits',
        [x, b, s],
        { K: columns, N: rows, bits, block_size: 32 },
        { domain: 'com.microsoft', output: 'y' },
      );
      graph.output('y', 'float32', [1, rows]);
      const session = await ort.InferenceSession.create(graph.toBytes());
      const input = Float32Array.from({ length: columns }, (_, index) => Math.cos(index));
      const out = (await session.run({ x: new ort.Tensor('float32', input, [1, columns]) })).y!
        .data as Float32Array;
      for (let row = 0; row < rows; row++) {
        let expected = 0;
        for (let column = 0; column < columns; column++)
          expected += dequantized[row * columns + column]! * input[column]!;
        expect(Math.abs(out[row]! - expected)).toBeLessThan(1e-3);
      }
      await session.release();
    },
  );
});
