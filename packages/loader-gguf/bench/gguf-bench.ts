/**
 * llmr's GGUF loader vs node-llama-cpp driven directly, on a generated Llama model big
 * enough to be memory-bound (~0.5B parameters, random weights, Q8_0 and Q4_0, written by
 * @llmr/convert at bench time into the temp dir and deleted after).
 *
 * Measures, for each: prefill tokens/s, time to first token, decode tokens/s, llmr/direct,
 * % of the memory-bandwidth roofline (bytes of weights per token x tokens/s / measured
 * bandwidth), and aggregate decode tokens/s with 1, 4 and 8 concurrent streams.
 *
 *   pnpm --filter @llmr/loader-gguf bench          (LLMR_BENCH_SMALL=1 for a quick run)
 *
 * Both run on the CPU unless LLMR_BENCH_GPU names a backend (`auto`, `cuda`, `vulkan`,
 * `metal`): then both offload every layer, and the JSON says which backend llmr ran on.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GgufDtype, writeHfModelAsGguf } from '@llmr/convert';
import {
  fixtureTokenizer,
  type LlamaConfig,
  lazyRandomTensors,
  llamaTensorShapes,
  toConfigJson,
  toTokenizerConfig,
  toTokenizerJson,
} from '@llmr/fixtures';
import { getLlama, type Token } from 'node-llama-cpp';
import { createGgufLoader } from '../src/index';

const small = process.env.LLMR_BENCH_SMALL === '1';
const bpe = fixtureTokenizer(384);
const config: LlamaConfig = small
  ? {
      vocabSize: 8192,
      hiddenSize: 512,
      intermediateSize: 1408,
      numLayers: 4,
      numHeads: 8,
      numKvHeads: 2,
      ropeTheta: 10000,
      rmsNormEps: 1e-5,
      contextLength: 2048,
      bosTokenId: bpe.specialTokens['<|begin_of_text|>'],
      eosTokenId: bpe.specialTokens['<|im_end|>'],
    }
  : {
      vocabSize: 32000,
      hiddenSize: 1536,
      intermediateSize: 4096,
      numLayers: 16,
      numHeads: 12,
      numKvHeads: 4,
      ropeTheta: 10000,
      rmsNormEps: 1e-5,
      contextLength: 2048,
      bosTokenId: bpe.specialTokens['<|begin_of_text|>'],
      eosTokenId: bpe.specialTokens['<|im_end|>'],
    };
const PROMPT_TOKENS = 128;
const DECODE_TOKENS = small ? 48 : 32;
const threads = availableParallelism();
const gpuSetting = process.env.LLMR_BENCH_GPU;
const gpu =
  !gpuSetting || gpuSetting === 'false'
    ? false
    : (gpuSetting as 'auto' | 'cuda' | 'vulkan' | 'metal');
let backend = 'cpu';

/** Memory bandwidth: GB/s of a large typed-array copy (read + write), best of 5. */
function measureBandwidth(): number {
  const bytes = 512 * 1024 * 1024;
  const source = new Float64Array(bytes / 8).fill(1);
  const target = new Float64Array(bytes / 8);
  let best = 0;
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    target.set(source);
    const seconds = (performance.now() - start) / 1000;
    best = Math.max(best, (2 * bytes) / seconds / 1e9);
  }
  return best;
}

interface Row {
  model: string;
  runner: string;
  prefillTokensPerSecond: number;
  timeToFirstTokenMs: number;
  decodeTokensPerSecond: number;
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'llmr-gguf-bench-'));
  const bandwidth = measureBandwidth();
  const rows: Row[] = [];
  const summary: Record<string, unknown>[] = [];
  const llama = await getLlama({ gpu, build: 'never', logLevel: 'error' as never });
  const prompt = [
    config.bosTokenId,
    ...Array.from({ length: PROMPT_TOKENS - 1 }, (_, index) => (index * 37) % 380),
  ];
  const promptText = bpe.merges
    .slice(0, 200)
    .map(([left, right]) => (left + right).replaceAll('Ġ', ' '))
    .join('');
  try {
    for (const dtype of ['q8_0', 'q4_0'] as GgufDtype[]) {
      const path = join(dir, `bench-${dtype}.gguf`);
      const started = performance.now();
      await writeHfModelAsGguf(
        {
          dir: 'bench',
          config: toConfigJson(config),
          tokenizer: toTokenizerJson(bpe),
          tokenizerConfig: toTokenizerConfig(bpe),
          tensors: lazyRandomTensors(config),
        },
        { output: path, dtype },
      );
      const fileBytes = (await stat(path)).size;
      process.stderr.write(
        `wrote ${path} (${(fileBytes / 1e6).toFixed(0)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );

      // Direct: node-llama-cpp alone, same threads and context settings.
      const model = await llama.loadModel({ modelPath: path, gpuLayers: gpu ? 'max' : 0 });
      const context = await model.createContext({
        contextSize: 1024,
        sequences: 1,
        threads,
        batchSize: 512,
        flashAttention: false,
      });
      const sequence = context.getSequence();
      const direct = async () => {
        await sequence.clearHistory();
        const start = performance.now();
        let first = 0;
        let count = 0;
        for await (const _token of sequence.evaluate(prompt as Token[], { temperature: 0 })) {
          if (count === 0) first = performance.now();
          if (++count >= DECODE_TOKENS) break;
        }
        const end = performance.now();
        return { ttft: first - start, decode: (count - 1) / ((end - first) / 1000) };
      };
      await direct(); // warm-up
      const directRun = await direct();
      await context.dispose();

      // Direct aggregate: N sequences of one context decoding at once, the same short
      // prompts and lengths as llmr's aggregate below, so the two can be compared.
      const parallel = await model.createContext({
        contextSize: 1024,
        sequences: 8,
        threads,
        batchSize: 512,
        flashAttention: false,
      });
      const sequences = Array.from({ length: 8 }, () => parallel.getSequence());
      const directAggregate: Record<number, number> = {};
      for (const streams of [1, 4, 8]) {
        const start = performance.now();
        const counts = await Promise.all(
          sequences.slice(0, streams).map(async (one, index) => {
            await one.clearHistory();
            const short = [config.bosTokenId, 10 + index, 20 + index, 30, 40] as Token[];
            let count = 0;
            for await (const _token of one.evaluate(short, { temperature: 0 }))
              if (++count >= 48) break;
            return count;
          }),
        );
        directAggregate[streams] =
          counts.reduce((sum, count) => sum + count, 0) / ((performance.now() - start) / 1000);
      }
      await parallel.dispose();
      await model.dispose();

      // llmr: the loader, a raw prompt of the same length, greedy.
      const loaded = await createGgufLoader().doLoad(path, {
        contextLength: 1024,
        sequences: 8,
        threads,
        batchSize: 512,
        gpu,
        ...(gpu ? { gpuLayers: 'max' as const } : {}),
      });
      backend = loaded.info.backend ?? 'unknown';
      const promptFor = (text: string) => {
        const ids = loaded.tokenizer!.encode(text);
        return ids.length;
      };
      let text = promptText;
      while (promptFor(text) < PROMPT_TOKENS) text += promptText;
      while (promptFor(text) > PROMPT_TOKENS) text = text.slice(0, -1);
      const viaLlmr = async (
        variant: number,
        prompt = `${variant} ${text}`.slice(0, text.length),
        maxTokens = DECODE_TOKENS,
      ) => {
        const start = performance.now();
        const { stream } = await loaded.doStream({
          prompt,
          maxTokens,
          temperature: 0,
        });
        const reader = stream.getReader();
        let first = 0;
        let tokens = 0;
        for (let part = await reader.read(); !part.done; part = await reader.read()) {
          if (part.value.type === 'text-delta' && part.value.tokens?.length) {
            if (first === 0) first = performance.now();
            tokens += part.value.tokens.length;
          }
        }
        const end = performance.now();
        return {
          ttft: first - start,
          decode: (tokens - 1) / ((end - first) / 1000),
          tokens,
          seconds: (end - start) / 1000,
        };
      };
      await viaLlmr(0); // warm-up (also fills a sequence's cache: later variants differ at the start)
      const llmrRun = await viaLlmr(1);

      // Aggregate decode: short distinct prompts (prefill is compute-bound and on a
      // machine with few cores would otherwise dominate), 48 tokens each, all streams decoding in one batch.
      const aggregate: Record<number, number> = {};
      for (const streams of [1, 4, 8]) {
        const start = performance.now();
        const results = await Promise.all(
          Array.from({ length: streams }, (_, index) =>
            viaLlmr(0, `${streams * 10 + index} Once upon a time`, 48),
          ),
        );
        const seconds = (performance.now() - start) / 1000;
        aggregate[streams] = results.reduce((sum, result) => sum + result.tokens, 0) / seconds;
      }
      await loaded.dispose();

      const weightBytesPerToken = fileBytes; // every weight is read once per decoded token
      const roofline = (tokensPerSecond: number) =>
        (weightBytesPerToken * tokensPerSecond) / (bandwidth * 1e9);
      rows.push(
        {
          model: dtype,
          runner: 'node-llama-cpp direct',
          prefillTokensPerSecond: PROMPT_TOKENS / (directRun.ttft / 1000),
          timeToFirstTokenMs: directRun.ttft,
          decodeTokensPerSecond: directRun.decode,
        },
        {
          model: dtype,
          runner: 'llmr loader-gguf',
          prefillTokensPerSecond: PROMPT_TOKENS / (llmrRun.ttft / 1000),
          timeToFirstTokenMs: llmrRun.ttft,
          decodeTokensPerSecond: llmrRun.decode,
        },
      );
      summary.push({
        dtype,
        fileMB: Math.round(fileBytes / 1e6),
        decodeRatio: llmrRun.decode / directRun.decode,
        rooflineDirect: roofline(directRun.decode),
        rooflineLlmr: roofline(llmrRun.decode),
        aggregateTokensPerSecond: aggregate,
        directAggregateTokensPerSecond: directAggregate,
        eightVsOne: aggregate[8]! / aggregate[1]!,
        directEightVsOne: directAggregate[8]! / directAggregate[1]!,
      });
    }
  } finally {
    await llama.dispose();
    await rm(dir, { recursive: true, force: true });
  }
  console.table(
    rows.map((row) => ({
      ...row,
      prefillTokensPerSecond: row.prefillTokensPerSecond.toFixed(1),
      timeToFirstTokenMs: row.timeToFirstTokenMs.toFixed(1),
      decodeTokensPerSecond: row.decodeTokensPerSecond.toFixed(2),
    })),
  );
  console.table(
    summary.map((entry) => ({
      ...entry,
      decodeRatio: (entry.decodeRatio as number).toFixed(3),
      rooflineDirect: `${((entry.rooflineDirect as number) * 100).toFixed(0)}%`,
      rooflineLlmr: `${((entry.rooflineLlmr as number) * 100).toFixed(0)}%`,
      aggregateTokensPerSecond: JSON.stringify(
        Object.fromEntries(
          Object.entries(entry.aggregateTokensPerSecond as Record<string, number>).map(
            ([key, value]) => [key, Number(value.toFixed(2))],
          ),
        ),
      ),
      directAggregateTokensPerSecond: JSON.stringify(
        Object.fromEntries(
          Object.entries(entry.directAggregateTokensPerSecond as Record<string, number>).map(
            ([key, value]) => [key, Number(value.toFixed(2))],
          ),
        ),
      ),
      eightVsOne: (entry.eightVsOne as number).toFixed(2),
      directEightVsOne: (entry.directEightVsOne as number).toFixed(2),
    })),
  );
  console.log(
    JSON.stringify({
      bench: 'loader-gguf',
      backend,
      directBackend: llama.gpu || 'cpu',
      parameters: llamaTensorShapes(config).reduce(
        (sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1),
        0,
      ),
      threads,
      bandwidthGBps: bandwidth,
      promptTokens: PROMPT_TOKENS,
      decodeTokens: DECODE_TOKENS,
      rows,
      summary,
    }),
  );
}

await main();
