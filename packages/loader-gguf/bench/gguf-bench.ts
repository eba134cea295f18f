/**
 * llmr's GGUF loader vs node-llama-cpp driven directly, on a generated Llama model big
 * enough to be memory-bound (~0.5B parameters, random weights, Q8_0 and Q4_0, written by
 * @llmr/convert at bench time into the temp dir and deleted after).
 *
 * Measures, for each: prefill tokens/s, time to first token, decode tokens/s, llmr/direct,
 * % of the memory-bandwidth roofline (bytes of weights per token x tokens/s / measured
 * bandwidth), and aggregate decode tokens/s with 1, 4 and 8 concurrent streams. Both
 * sides use the same context settings and the same prompt tokens, alternate, and report
 * medians. Next to wall-clock figures it reports paired ratios (llmr / direct, the median
 * over alternated pairs) of wall time and of process CPU time: on a machine shared with
 * other work, wall time counts time spent descheduled, CPU time does not.
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
/** Single-stream runs per side (alternating); the medians are reported. */
const RUNS = small ? 7 : 5;
/** Alternating repetitions of each aggregate measurement (medians reported). */
const AGGREGATE_RUNS = 3;
/**
 * LLMR_BENCH_THREADS overrides the thread count (default: every core). On a machine
 * shared with other work, llama.cpp's threads spin at barriers while descheduled; one
 * thread per side compares the two runners without that noise.
 */
const threads = Number(process.env.LLMR_BENCH_THREADS) || availableParallelism();
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

interface Run {
  ttft: number;
  /** Decode tokens/s after the first token. */
  decode: number;
  tokens: number;
  /** Process CPU milliseconds up to the first token, and per token after it. */
  prefillCpuMs: number;
  decodeCpuMs: number;
}

/** Process CPU time in milliseconds (every thread: llama.cpp's and the event loop's). */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Wall and CPU time of one run: at its start, at its first token, at its end. */
function startClock() {
  const start = performance.now();
  const startCpu = cpuMs();
  let first = start;
  let firstCpu = startCpu;
  return {
    first() {
      first = performance.now();
      firstCpu = cpuMs();
    },
    end(tokens: number): Run {
      const end = performance.now();
      const endCpu = cpuMs();
      return {
        ttft: first - start,
        decode: (tokens - 1) / ((end - first) / 1000),
        tokens,
        prefillCpuMs: firstCpu - startCpu,
        decodeCpuMs: (endCpu - firstCpu) / Math.max(1, tokens - 1),
      };
    },
    /** Tokens per wall second and per CPU second since the start. */
    rates(tokens: number) {
      return {
        wall: tokens / ((performance.now() - start) / 1000),
        cpu: tokens / ((cpuMs() - startCpu) / 1000),
      };
    },
  };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'llmr-gguf-bench-'));
  const bandwidth = measureBandwidth();
  const rows: Row[] = [];
  const summary: Record<string, unknown>[] = [];
  const llama = await getLlama({ gpu, build: 'never', logLevel: 'error' as never });
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

      // Both sides on the same context settings (8 sequences of 1,024 tokens, batch 512,
      // the same threads), loaded side by side, measured in alternating runs (medians).
      const model = await llama.loadModel({ modelPath: path, gpuLayers: gpu ? 'max' : 0 });
      const context = await model.createContext({
        contextSize: 1024,
        sequences: 8,
        threads,
        batchSize: 512,
        flashAttention: false,
      });
      const sequences = Array.from({ length: 8 }, () => context.getSequence());
      const loaded = await createGgufLoader().doLoad(path, {
        contextLength: 1024,
        sequences: 8,
        threads,
        batchSize: 512,
        gpu,
        ...(gpu ? { gpuLayers: 'max' as const } : {}),
      });
      backend = loaded.info.backend ?? 'unknown';
      const tokenizer = loaded.tokenizer!;
      // The longest prefix of the text with at most PROMPT_TOKENS tokens, by binary search
      // (a few encodes, not one per character dropped).
      let long = promptText;
      while (tokenizer.encode(long).length < PROMPT_TOKENS) long += promptText;
      let low = 0;
      let high = long.length;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (tokenizer.encode(long.slice(0, middle)).length <= PROMPT_TOKENS) low = middle;
        else high = middle - 1;
      }
      const text = long.slice(0, low);

      /** node-llama-cpp alone: evaluate the tokens on one sequence, greedy. */
      const direct = async (tokens: number[], maxTokens: number, sequence = sequences[0]!) => {
        await sequence.clearHistory();
        const clock = startClock();
        let count = 0;
        for await (const _token of sequence.evaluate(tokens as Token[], { temperature: 0 })) {
          if (count === 0) clock.first();
          if (++count >= maxTokens) break;
        }
        return clock.end(count);
      };
      /** llmr: the loader's doStream on the same text, greedy (tokenizing is part of its cost). */
      const viaLlmr = async (prompt: string, maxTokens: number) => {
        const clock = startClock();
        const { stream } = await loaded.doStream({ prompt, maxTokens, temperature: 0 });
        const reader = stream.getReader();
        let tokens = 0;
        for (let part = await reader.read(); !part.done; part = await reader.read()) {
          if (part.value.type === 'text-delta' && part.value.tokens?.length) {
            if (tokens === 0) clock.first();
            tokens += part.value.tokens.length;
          }
        }
        return clock.end(tokens);
      };
      const median = (values: number[]) =>
        [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      // Each run's prompt differs in its first token, so neither side reuses a cached prefix.
      const variant = (run: number) => `${run % 10}${text.slice(1)}`;
      await direct(tokenizer.encode(variant(9)), DECODE_TOKENS); // warm-up
      await viaLlmr(variant(8), DECODE_TOKENS);
      const directRuns: Awaited<ReturnType<typeof direct>>[] = [];
      const llmrRuns: Awaited<ReturnType<typeof viaLlmr>>[] = [];
      for (let run = 0; run < RUNS; run++) {
        directRuns.push(await direct(tokenizer.encode(variant(run)), DECODE_TOKENS));
        llmrRuns.push(await viaLlmr(variant(run), DECODE_TOKENS));
      }
      const directRun = {
        ttft: median(directRuns.map((run) => run.ttft)),
        decode: median(directRuns.map((run) => run.decode)),
      };
      const llmrRun = {
        ttft: median(llmrRuns.map((run) => run.ttft)),
        decode: median(llmrRuns.map((run) => run.decode)),
      };
      /** The median over alternated pairs of `ratio(llmr run, direct run)`. */
      const paired = (ratio: (llmr: Run, direct: Run) => number) =>
        median(llmrRuns.map((run, index) => ratio(run, directRuns[index]!)));
      const pairedRatios = {
        decodeWall: paired((llmr, direct) => llmr.decode / direct.decode),
        decodeCpu: paired((llmr, direct) => direct.decodeCpuMs / llmr.decodeCpuMs),
        prefillWall: paired((llmr, direct) => direct.ttft / llmr.ttft),
        prefillCpu: paired((llmr, direct) => direct.prefillCpuMs / llmr.prefillCpuMs),
      };

      // Aggregate decode: N streams at once, the same short prompts (token for token) and
      // 48 tokens each on both sides, so prefill (compute-bound on few cores) stays small.
      const aggregate: Record<number, number> = {};
      const directAggregate: Record<number, number> = {};
      /** Per stream count, paired llmr/direct ratios of tokens/s and of tokens per CPU second. */
      const aggregateRatios: Record<number, { wall: number; cpu: number }> = {};
      for (const streams of [1, 4, 8]) {
        const prompts = Array.from(
          { length: streams },
          (_, index) => `${streams * 10 + index} Once upon a time`,
        );
        const directRates: { wall: number; cpu: number }[] = [];
        const llmrRates: { wall: number; cpu: number }[] = [];
        for (let run = 0; run < AGGREGATE_RUNS; run++) {
          let clock = startClock();
          const directCounts = await Promise.all(
            prompts.map((prompt, index) => direct(tokenizer.encode(prompt), 48, sequences[index]!)),
          );
          directRates.push(
            clock.rates(directCounts.reduce((sum, result) => sum + result.tokens, 0)),
          );
          clock = startClock();
          const results = await Promise.all(prompts.map((prompt) => viaLlmr(prompt, 48)));
          llmrRates.push(clock.rates(results.reduce((sum, result) => sum + result.tokens, 0)));
        }
        directAggregate[streams] = median(directRates.map((rate) => rate.wall));
        aggregate[streams] = median(llmrRates.map((rate) => rate.wall));
        aggregateRatios[streams] = {
          wall: median(llmrRates.map((rate, index) => rate.wall / directRates[index]!.wall)),
          cpu: median(llmrRates.map((rate, index) => rate.cpu / directRates[index]!.cpu)),
        };
      }
      await loaded.dispose();
      await context.dispose();
      await model.dispose();

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
        pairedRatios,
        aggregateRatios,
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
    summary.map(({ pairedRatios: _pairs, aggregateRatios: _aggregates, ...entry }) => ({
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
    'Paired ratios, llmr / direct (median over alternated pairs; >1 means llmr is faster)',
  );
  console.table(
    summary.map((entry) => {
      const pairs = entry.pairedRatios as Record<string, number>;
      const aggregates = entry.aggregateRatios as Record<number, { wall: number; cpu: number }>;
      return {
        dtype: entry.dtype,
        'decode wall': pairs.decodeWall!.toFixed(3),
        'decode CPU': pairs.decodeCpu!.toFixed(3),
        'prefill/TTFT wall': pairs.prefillWall!.toFixed(3),
        'prefill CPU': pairs.prefillCpu!.toFixed(3),
        ...Object.fromEntries(
          Object.entries(aggregates).map(([streams, ratio]) => [
            `${streams} streams wall / CPU`,
            `${ratio.wall.toFixed(3)} / ${ratio.cpu.toFixed(3)}`,
          ]),
        ),
      };
    }),
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
