/**
 * Decode speed of one generated Llama model (random weights) exported from the same weights
 * to TF.js and ONNX, in one run:
 *   - `tfjs-direct-cpu`: a hand-written greedy loop on the GraphModel (tfjs-core cpu backend),
 *     the KV cache kept as TF.js tensors (the floor: no llmr);
 *   - `llmr-tfjs-cpu` / `llmr-tfjs-wasm`: @llmr/loader-tfjs (shared decode loop, tokenizer,
 *     sampler, stream) on the cpu and wasm backends;
 *   - `llmr-onnx-node`: @llmr/loader-onnx on ONNX Runtime (@llmr/engine-node), same weights.
 * Prints a table and one JSON line. Settings: BENCH_HIDDEN, BENCH_LAYERS, BENCH_TOKENS,
 * BENCH_ROUNDS. Run: pnpm --filter @llmr/loader-tfjs bench (after pnpm build).
 */
import {
  createMemoryTensorSource,
  type HfDirectory,
  hfModelToOnnxBytes,
  hfModelToTfjs,
} from '@llmr/convert';
import type { ModelV1 } from '@llmr/core';
import { createNodeEngine } from '@llmr/engine-node';
import {
  fixtureTokenizer,
  type LlamaConfig,
  parameterCount,
  randomWeights,
  toConfigJson,
  toTokenizerConfig,
  toTokenizerJson,
} from '@llmr/fixtures';
import { loadOnnxModel, memoryFiles } from '@llmr/loader-onnx';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { instantiateTfjsModel, loadTfjsModelV1, readTfjsArtifacts } from '../src/index';

const hidden = Number(process.env.BENCH_HIDDEN ?? 256);
const layers = Number(process.env.BENCH_LAYERS ?? 4);
const tokens = Number(process.env.BENCH_TOKENS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const PROMPT = 'Once upon a time there was a small model that wanted to run everywhere.';

const bpe = fixtureTokenizer(384);
const config: LlamaConfig = {
  vocabSize: bpe.vocab.size,
  hiddenSize: hidden,
  intermediateSize: hidden * 3,
  numLayers: layers,
  numHeads: 8,
  numKvHeads: 4,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  contextLength: 512,
  bosTokenId: bpe.specialTokens['<|begin_of_text|>'],
  eosTokenId: bpe.specialTokens['<|end_of_text|>'],
};
const configJson = toConfigJson(config);
const hf: HfDirectory = {
  dir: 'bench',
  config: configJson,
  tensors: createMemoryTensorSource(randomWeights(config, 11)),
};
const tokenizerFiles = {
  'config.json': configJson,
  'tokenizer.json': toTokenizerJson(bpe),
  'tokenizer_config.json': { ...toTokenizerConfig(bpe), eos_token: '<|end_of_text|>' },
};
const tfjsFiles = await hfModelToTfjs(hf);
const tfjsBytes = {
  modelJson: tfjsFiles.modelJson,
  shards: tfjsFiles.shards,
  files: Object.fromEntries(
    Object.entries(tokenizerFiles).map(([name, value]) => [name, JSON.stringify(value)]),
  ),
  name: 'bench',
};
const onnxFiles = memoryFiles({
  ...tokenizerFiles,
  'onnx/model.onnx': await hfModelToOnnxBytes(hf),
});

interface Row {
  runner: string;
  ttftMs: number;
  decodeTokensPerSecond: number;
  ids: number[];
}

async function tfjsDirect(promptIds: number[]): Promise<Row> {
  await tf.setBackend('cpu');
  const { model } = await instantiateTfjsModel(await readTfjsArtifacts(tfjsBytes), 'cpu');
  const graph = model as import('@tensorflow/tfjs-converter').GraphModel;
  const headDim = hidden / config.numHeads;
  const outputNames = ['logits'];
  for (let layer = 0; layer < layers; layer++)
    outputNames.push(`present.${layer}.key`, `present.${layer}.value`);
  let past: tf.Tensor[] = [];
  for (let layer = 0; layer < layers * 2; layer++)
    past.push(tf.zeros([1, config.numKvHeads, 0, headDim]));
  const ids: number[] = [];
  let feed = promptIds;
  let length = 0;
  const started = performance.now();
  let firstAt = 0;
  while (ids.length < tokens) {
    const total = length + feed.length;
    const inputs: Record<string, tf.Tensor> = {
      input_ids: tf.tensor2d([feed], [1, feed.length], 'int32'),
      attention_mask: tf.ones([1, total], 'int32'),
      position_ids: tf.tensor2d(
        [feed.map((_, index) => length + index)],
        [1, feed.length],
        'int32',
      ),
    };
    past.forEach((tensor, index) => {
      inputs[`past_key_values.${index >> 1}.${index % 2 === 0 ? 'key' : 'value'}`] = tensor;
    });
    const [logits, ...present] = graph.execute(inputs, outputNames) as tf.Tensor[];
    const data = logits!.dataSync();
    const row = data.subarray(data.length - config.vocabSize);
    let best = 0;
    for (let index = 1; index < row.length; index++) if (row[index]! > row[best]!) best = index;
    ids.push(best);
    if (ids.length === 1) firstAt = performance.now();
    for (const tensor of Object.values(inputs)) tensor.dispose();
    logits!.dispose();
    past = present;
    length = total;
    feed = [best];
  }
  const ended = performance.now();
  for (const tensor of past) tensor.dispose();
  graph.dispose();
  return {
    runner: 'tfjs-direct-cpu',
    ttftMs: firstAt - started,
    decodeTokensPerSecond: ((ids.length - 1) * 1000) / (ended - firstAt),
    ids,
  };
}

/** Time to first token from a 1-token call; the decode rate from a full call minus that. */
async function timeGeneration(runner: string, model: ModelV1): Promise<Row> {
  const firstStarted = performance.now();
  await model.doGenerate({ prompt: PROMPT, maxTokens: 1, temperature: 0 });
  const ttftMs = performance.now() - firstStarted;
  const started = performance.now();
  const result = await model.doGenerate({ prompt: PROMPT, maxTokens: tokens, temperature: 0 });
  const elapsed = performance.now() - started;
  const decodeMs = Math.max(1e-3, elapsed - ttftMs);
  return {
    runner,
    ttftMs,
    decodeTokensPerSecond: ((result.tokens.length - 1) * 1000) / decodeMs,
    ids: result.tokens,
  };
}

const runners: Record<string, () => Promise<Row>> = {
  'tfjs-direct-cpu': async () => {
    const probe = await loadTfjsModelV1(tfjsBytes);
    const ids = (
      probe as ModelV1 & { tokenizer: { encode(text: string): number[] } }
    ).tokenizer.encode(PROMPT);
    await probe.dispose();
    return tfjsDirect(ids);
  },
  'llmr-tfjs-cpu': async () => {
    const model = await loadTfjsModelV1(tfjsBytes, { backend: 'cpu' });
    try {
      return await timeGeneration('llmr-tfjs-cpu', model);
    } finally {
      await model.dispose();
    }
  },
  'llmr-tfjs-wasm': async () => {
    const model = await loadTfjsModelV1(tfjsBytes, { backend: 'wasm' });
    try {
      return await timeGeneration('llmr-tfjs-wasm', model);
    } finally {
      await model.dispose();
    }
  },
  'llmr-onnx-node': async () => {
    const model = await loadOnnxModel(onnxFiles, { engine: createNodeEngine({ threads: 1 }) });
    try {
      return await timeGeneration('llmr-onnx-node', model);
    } finally {
      await model.dispose();
    }
  },
};

const best = new Map<string, Row>();
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(runners)) {
    const row = await run();
    const previous = best.get(name);
    if (!previous || row.decodeTokensPerSecond > previous.decodeTokensPerSecond)
      best.set(name, row);
  }
}
const rows = Object.keys(runners).map((name) => best.get(name)!);
const direct = rows[0]!;
const sameTokens = rows.every((row) => JSON.stringify(row.ids) === JSON.stringify(direct.ids));
console.log(
  `model: ${(parameterCount(config) / 1e6).toFixed(1)}M parameters (hidden ${hidden}, ${layers} layers, f32), ${tokens} tokens generated, ONNX Runtime 1 thread, best of ${rounds} rounds`,
);
console.table(
  rows.map((row) => ({
    runner: row.runner,
    'ttft ms': row.ttftMs.toFixed(1),
    'decode tok/s': row.decodeTokensPerSecond.toFixed(1),
    'vs tfjs-direct-cpu': (row.decodeTokensPerSecond / direct.decodeTokensPerSecond).toFixed(2),
  })),
);
console.log(`greedy tokens identical across runners: ${sameTokens}`);
console.log(
  JSON.stringify({
    bench: 'loader-tfjs-decode',
    parameters: parameterCount(config),
    tokens,
    rounds,
    sameTokens,
    results: rows.map((row) => ({
      runner: row.runner,
      ttftMs: Number(row.ttftMs.toFixed(2)),
      decodeTokensPerSecond: Number(row.decodeTokensPerSecond.toFixed(2)),
    })),
  }),
);
