/**
 * ONNX decode, llmr against transformers.js (@huggingface/transformers), same weights and threads:
 *   (a) both on the same .onnx file (llmr's own export);
 *   (b) each on its own best file: transformers.js on a plain Optimum-style export made by
 *       PyTorch's torch.onnx.export (bench/torch-llama-export.py), llmr on its own export.
 * Both sides run the same onnxruntime-node, greedy, the same prompt tokens and the same number of
 * new tokens; runners alternate within each round and medians are reported, wall time and CPU
 * time per generated token (process.cpuUsage, all threads) side by side, since a shared machine
 * slows wall time more than CPU time.
 *
 * Settings: BENCH_SIZES (25m,125m), BENCH_THREADS (1 and all cores), BENCH_TOKENS (32),
 * BENCH_ROUNDS (5), BENCH_PYTHON (python3 with torch; without it only (a) is measured),
 * BENCH_QUANT (q8, q4 or empty: llmr's weight-only quantized export as an extra row).
 * Run: pnpm --filter @llmr/loader-onnx bench:transformers (after a build).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTensorSource, hfModelToOnnxBytes } from '@llmr/convert';
import { createNodeEngine } from '@llmr/engine-node';
import {
  fixtureTokenizer,
  parameterCount,
  randomWeights,
  toConfigJson,
  toTokenizerConfig,
  toTokenizerJson,
} from '@llmr/fixtures';
import { loadOnnxModel, memoryFiles } from '@llmr/loader-onnx';
import { benchLlamaConfig } from './bench-config';
import { findTorch, PYTHONS, torchExport, writeTransformersDirectory } from './torch-export';

const SIZES: Record<string, { hidden: number; layers: number }> = {
  '25m': { hidden: 512, layers: 8 },
  '125m': { hidden: 768, layers: 18 },
};
const sizes = (process.env.BENCH_SIZES ?? '25m,125m').split(',');
const threadCounts = process.env.BENCH_THREADS
  ? process.env.BENCH_THREADS.split(',').map(Number)
  : [...new Set([1, availableParallelism()])];
const tokens = Number(process.env.BENCH_TOKENS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
// llmr's weight-only quantized export of the same weights (MatMulNBits), a row of its own: the
// f32 rows compare graphs on equal numerics; this one shows what fewer weight bytes buy.
const quantized = (process.env.BENCH_QUANT ?? 'q8') as 'q8' | 'q4' | '';
const PROMPT = 'Once upon a time there was a small model that wanted to run everywhere.';

interface Runner {
  name: string;
  /** llmr's f32 export, the torch.onnx.export, or llmr's weight-only quantized export. */
  file: 'llmr' | 'torch' | 'llmr-quantized';
  /** Greedy generation of exactly `count` new tokens; the new token ids. */
  generate(count: number): Promise<number[]>;
  dispose(): Promise<void>;
}

interface Sample {
  decodeMs: number;
  decodeCpuMs: number;
  decodeTokens: number;
  ids: number[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/**
 * The decode share of a generation: a 1-token call (prefill + first token) subtracted from a
 * full call, in wall and CPU time.
 */
async function sample(runner: Runner): Promise<Sample> {
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  await runner.generate(1);
  const wall1 = performance.now();
  const cpu1 = cpuMs();
  const ids = await runner.generate(tokens);
  const wall2 = performance.now();
  const cpu2 = cpuMs();
  return {
    decodeMs: wall2 - wall1 - (wall1 - wall0),
    decodeCpuMs: cpu2 - cpu1 - (cpu1 - cpu0),
    decodeTokens: ids.length - 1,
    ids,
  };
}

async function transformersRunner(
  root: string,
  file: 'llmr' | 'torch',
  threads: number,
  promptIds: number[],
): Promise<Runner> {
  const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = root;
  const model = await AutoModelForCausalLM.from_pretrained(file, {
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  } as never);
  const shape = [1, promptIds.length];
  const inputIds = new Tensor('int64', BigInt64Array.from(promptIds, BigInt), shape);
  const attentionMask = new Tensor('int64', new BigInt64Array(promptIds.length).fill(1n), shape);
  return {
    name: `transformers.js`,
    file,
    async generate(count) {
      const output = (await model.generate({
        input_ids: inputIds,
        attention_mask: attentionMask,
        max_new_tokens: count,
        min_new_tokens: count,
        do_sample: false,
      } as never)) as { tolist(): bigint[][] };
      return output.tolist()[0]!.slice(promptIds.length).map(Number);
    },
    dispose: () => (model as unknown as { dispose(): Promise<void> }).dispose(),
  };
}

async function llmrRunner(
  files: ReturnType<typeof memoryFiles>,
  threads: number,
  file: Runner['file'] = 'llmr',
) {
  const model = await loadOnnxModel(files, {
    engine: createNodeEngine({ threads, interOpThreads: 1 }),
    id: 'bench',
  });
  return {
    name: 'llmr',
    file,
    async generate(count) {
      const result = await model.doGenerate({ prompt: PROMPT, maxTokens: count, temperature: 0 });
      return [...(result.tokens ?? [])];
    },
    dispose: () => model.dispose(),
  } satisfies Runner;
}

const torch = findTorch();
const torchVersion = torch?.version;
if (!torch)
  console.log(
    `none of ${PYTHONS.join(', ')} can import torch and numpy: (b) is not measured (install python3-torch, or set BENCH_PYTHON)`,
  );
const bpe = fixtureTokenizer(384);
const tokenizerConfig = { ...toTokenizerConfig(bpe), eos_token: '<|end_of_text|>' };
const report: Record<string, unknown>[] = [];
const table: Record<string, string>[] = [];

for (const size of sizes) {
  const shape = SIZES[size];
  if (!shape) throw new Error(`BENCH_SIZES: unknown size "${size}" (${Object.keys(SIZES)})`);
  const config = benchLlamaConfig(bpe, shape.hidden, shape.layers);
  const weights = randomWeights(config, 11);
  const configJson = toConfigJson(config);
  const graph = await hfModelToOnnxBytes(
    { dir: 'bench', config: configJson, tensors: createMemoryTensorSource(weights) },
    { dtype: 'f32' },
  );
  const root = await mkdtemp(join(tmpdir(), 'llmr-transformers-bench-'));
  try {
    const tokenizer = { json: toTokenizerJson(bpe), config: tokenizerConfig };
    await writeTransformersDirectory(join(root, 'llmr'), configJson, config, tokenizer);
    await writeFile(join(root, 'llmr', 'onnx', 'model.onnx'), graph);
    let exportMs: number | undefined;
    if (torch) {
      await writeTransformersDirectory(join(root, 'torch'), configJson, config, tokenizer);
      exportMs = await torchExport(
        torch.python,
        root,
        join(root, 'torch', 'onnx', 'model.onnx'),
        config,
        configJson,
        weights,
      );
    }
    const filesOf = (model: Uint8Array) =>
      memoryFiles({
        'config.json': configJson,
        'tokenizer.json': tokenizer.json,
        'tokenizer_config.json': tokenizerConfig,
        'onnx/model.onnx': model,
      });
    const files = filesOf(graph);
    const quantizedFiles = quantized
      ? filesOf(
          await hfModelToOnnxBytes(
            { dir: 'bench', config: configJson, tensors: createMemoryTensorSource(weights) },
            { dtype: quantized },
          ),
        )
      : undefined;
    for (const threads of threadCounts) {
      const llmr = await llmrRunner(files, threads);
      // The prompt tokens llmr feeds (BOS + the encoded prompt), fed as ids to transformers.js.
      const promptIds = [
        config.bosTokenId,
        ...(await loadOnnxModel(files, { engine: createNodeEngine({ threads: 1 }) }).then(
          async (model) => {
            const ids = model.tokenizer.encode(PROMPT, { addSpecialTokens: false });
            await model.dispose();
            return ids;
          },
        )),
      ];
      const runners: Runner[] = [llmr, await transformersRunner(root, 'llmr', threads, promptIds)];
      if (torch) runners.push(await transformersRunner(root, 'torch', threads, promptIds));
      if (quantizedFiles) runners.push(await llmrRunner(quantizedFiles, threads, 'llmr-quantized'));
      for (const runner of runners) await runner.generate(2); // warm-up
      const samples = new Map<Runner, Sample[]>(runners.map((runner) => [runner, []]));
      for (let round = 0; round < rounds; round++) {
        // Each round starts with another runner, so none always follows the same neighbour.
        for (let index = 0; index < runners.length; index++) {
          const runner = runners[(index + round) % runners.length]!;
          samples.get(runner)!.push(await sample(runner));
        }
      }
      const summary = runners.map((runner) => {
        const list = samples.get(runner)!;
        const decodeTokens = list[0]!.decodeTokens;
        return {
          runner: runner.name,
          file: runner.file,
          tokensPerSecond: median(list.map((s) => (s.decodeTokens * 1000) / s.decodeMs)),
          cpuMsPerToken: median(list.map((s) => s.decodeCpuMs / s.decodeTokens)),
          decodeTokens,
          ids: list[0]!.ids,
        };
      });
      for (const runner of runners) await runner.dispose();
      const [ours, sameFile] = summary;
      const plain = summary.find((row) => row.file === 'torch');
      const ourQuantized = summary.find((row) => row.file === 'llmr-quantized');
      const sameTokensA = JSON.stringify(ours!.ids) === JSON.stringify(sameFile!.ids);
      const sameTokensB = plain ? JSON.stringify(ours!.ids) === JSON.stringify(plain.ids) : null;
      const ratioA = ours!.tokensPerSecond / sameFile!.tokensPerSecond;
      const ratioB = plain ? ours!.tokensPerSecond / plain.tokensPerSecond : null;
      const cpuRatioA = sameFile!.cpuMsPerToken / ours!.cpuMsPerToken;
      const cpuRatioB = plain ? plain.cpuMsPerToken / ours!.cpuMsPerToken : null;
      const ratioQuantized =
        plain && ourQuantized ? ourQuantized.tokensPerSecond / plain.tokensPerSecond : null;
      const cpuRatioQuantized =
        plain && ourQuantized ? plain.cpuMsPerToken / ourQuantized.cpuMsPerToken : null;
      const sameTokensQuantized = ourQuantized
        ? JSON.stringify(ours!.ids) === JSON.stringify(ourQuantized.ids)
        : null;
      for (const row of summary)
        table.push({
          model: `${(parameterCount(config) / 1e6).toFixed(1)}M`,
          threads: String(threads),
          runner: row.runner,
          file: {
            llmr: 'llmr export (f32)',
            torch: 'torch.onnx.export (f32)',
            'llmr-quantized': `llmr export (${quantized})`,
          }[row.file],
          'tok/s': row.tokensPerSecond.toFixed(1),
          'cpu ms/tok': row.cpuMsPerToken.toFixed(2),
          'llmr ÷ this (tok/s)':
            row === ours ? '' : (ours!.tokensPerSecond / row.tokensPerSecond).toFixed(2),
          'this ÷ llmr (cpu)':
            row === ours ? '' : (row.cpuMsPerToken / ours!.cpuMsPerToken).toFixed(2),
        });
      report.push({
        parameters: parameterCount(config),
        threads,
        promptTokens: promptIds.length,
        decodeTokens: ours!.decodeTokens,
        torchExportMs: exportMs,
        sameTokensA,
        sameTokensB,
        ratioA,
        ratioB,
        cpuRatioA,
        cpuRatioB,
        quantized: quantized || null,
        ratioQuantized,
        cpuRatioQuantized,
        sameTokensQuantized,
        results: summary.map(({ ids: _ids, ...row }) => row),
      });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

console.log(
  `ONNX decode, ${tokens} new tokens, median of ${rounds} alternating rounds; torch: ${torchVersion ?? 'missing'}`,
);
console.table(table);
for (const entry of report)
  console.log(
    `${((entry.parameters as number) / 1e6).toFixed(1)}M, ${entry.threads} threads: (a) same file ${(entry.ratioA as number).toFixed(2)}x tok/s, ${(entry.cpuRatioA as number).toFixed(2)}x cpu (target >= 1.0), greedy tokens equal: ${entry.sameTokensA}` +
      (entry.ratioB === null
        ? ''
        : `; (b) own files ${(entry.ratioB as number).toFixed(2)}x tok/s, ${(entry.cpuRatioB as number).toFixed(2)}x cpu (target >= 1.3), greedy tokens equal: ${entry.sameTokensB}`) +
      (entry.ratioQuantized === null
        ? ''
        : `; llmr ${quantized} export vs torch f32: ${(entry.ratioQuantized as number).toFixed(2)}x tok/s, ${(entry.cpuRatioQuantized as number).toFixed(2)}x cpu, greedy tokens equal to f32: ${entry.sameTokensQuantized}`),
  );
console.log(JSON.stringify({ bench: 'loader-onnx-vs-transformers', tokens, rounds, report }));
