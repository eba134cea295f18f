/**
 * One fixture model, four runtimes: llama.cpp (GGUF, via node-llama-cpp), ONNX on
 * onnxruntime-node, ONNX on onnxruntime-web's WASM backend, and the float64 reference.
 * Greedy tokens must be identical everywhere; ONNX logits within 2e-5 (absolute; measured about 3e-6) of the
 * reference; the oracle gives its closed-form answer on every runtime.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertHfToGguf } from '@llmr/convert';
import { generate, type ModelV1 } from '@llmr/core';
import { testModel } from '@llmr/core/test';
import { decoderLayout, KvDecoder } from '@llmr/decoder';
import { createNodeEngine } from '@llmr/engine-node';
import { createWasmEngine } from '@llmr/engine-wasm';
import {
  encodeWithBpe,
  oracleContinuation,
  referenceForward,
  referenceGreedy,
} from '@llmr/fixtures';
import { getLlama, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OnnxFixture, onnxFixture, removeOnnxFixtures } from './__fixtures__/onnx-fixture';
import { onnxLoader } from './onnx-loader';

const engines = {
  'onnxruntime-node': createNodeEngine({ threads: 1 }),
  'onnxruntime-wasm': createWasmEngine({ threads: 1 }),
};
/** Stated tolerance: float32 ONNX Runtime vs the float64 reference, max |difference| of logits. */
const LOGIT_TOLERANCE = 2e-5;
const STEPS = 12;

const random = await onnxFixture('random');

testModel({
  name: 'onnx (random fixture, onnxruntime-web WASM)',
  createModel: () => onnxLoader.doLoad(random.onnxDir, { engine: engines['onnxruntime-wasm'] }),
});

let llama: Llama;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-agreement-'));
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
  await removeOnnxFixtures();
});

async function llamaCppGreedy(fixture: OnnxFixture, prompt: number[], steps: number) {
  const output = join(dir, `${fixture.kind}.gguf`);
  await convertHfToGguf({ input: fixture.dir, output, dtype: 'f32' });
  const model = await llama.loadModel({ modelPath: output, gpuLayers: 0 });
  // F32 KV cache and no flash attention: nothing rounded to F16 on the way.
  const context = await model.createContext({
    contextSize: 256,
    threads: 1,
    batchSize: 256,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    flashAttention: false,
  });
  try {
    const out: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt as never, { temperature: 0 })) {
      out.push(token as number);
      if (out.length >= steps) break;
    }
    return out;
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

async function onnxGreedy(fixture: OnnxFixture, engineName: keyof typeof engines, prompt: string) {
  const model: ModelV1 = await onnxLoader.doLoad(fixture.onnxDir, { engine: engines[engineName] });
  try {
    return (await generate(model, { prompt, maxTokens: STEPS, temperature: 0 })).tokens;
  } finally {
    await model.dispose();
  }
}

describe('agreement across runtimes (random fixture, f32)', () => {
  const prompt = 'The router sent';
  let promptIds: number[];
  let reference: number[];
  beforeAll(() => {
    promptIds = [
      random.bpe.specialTokens['<|begin_of_text|>'],
      ...encodeWithBpe(random.bpe, prompt),
    ];
    reference = referenceGreedy(random.config, random.weights, promptIds, STEPS);
  });

  it('llama.cpp (GGUF F32) greedy tokens equal the float64 reference', async () => {
    expect(await llamaCppGreedy(random, promptIds, STEPS)).toEqual(reference);
  });

  it.each(Object.keys(engines) as (keyof typeof engines)[])(
    'ONNX on %s: greedy tokens equal the reference (and so llama.cpp)',
    async (engineName) => {
      expect(await onnxGreedy(random, engineName, prompt)).toEqual(reference);
    },
  );

  it.each(Object.keys(engines) as (keyof typeof engines)[])(
    `ONNX on %s: logits at every prompt position within ${LOGIT_TOLERANCE} of the reference`,
    async (engineName) => {
      const { readFile } = await import('node:fs/promises');
      const session = await engines[engineName].createSession(
        new Uint8Array(await readFile(join(random.onnxDir, 'onnx', 'model.onnx'))),
      );
      try {
        const config = JSON.parse(await readFile(join(random.onnxDir, 'config.json'), 'utf8'));
        const decoder = new KvDecoder(
          session,
          decoderLayout(session, config, 'model.onnx'),
          config.vocab_size,
        );
        const expected = referenceForward(random.config, random.weights, promptIds);
        let worst = 0;
        // Prefill position by position through the cache: each row is a full forward pass.
        const cache = { past: undefined, length: 0 };
        for (const [position, token] of promptIds.entries()) {
          const row = await decoder.step({ cache, tokens: [token] });
          expected[position]!.forEach((value, index) => {
            worst = Math.max(worst, Math.abs(row[index]! - value));
          });
        }
        console.info(`${engineName}: max |logit - reference| = ${worst.toExponential(2)}`);
        expect(worst).toBeLessThan(LOGIT_TOLERANCE);
      } finally {
        await session.release();
      }
    },
  );
});

describe('the oracle on every runtime', () => {
  const prompt = 'The lazy dog';
  let oracle: OnnxFixture;
  let expected: number[];
  let promptIds: number[];
  beforeAll(async () => {
    oracle = await onnxFixture('oracle');
    promptIds = [
      oracle.bpe.specialTokens['<|begin_of_text|>'],
      ...encodeWithBpe(oracle.bpe, prompt),
    ];
    expected = oracleContinuation(oracle.successor!, promptIds.at(-1)!, STEPS);
  });

  it('llama.cpp', async () => {
    expect(await llamaCppGreedy(oracle, promptIds, STEPS)).toEqual(expected);
  });

  it.each(Object.keys(engines) as (keyof typeof engines)[])('ONNX on %s', async (engineName) => {
    expect(await onnxGreedy(oracle, engineName, prompt)).toEqual(expected);
  });
});
