/**
 * @llmr/runtime-simple against llama.cpp (node-llama-cpp driven directly, CPU, one
 * thread) on the same generated GGUF files (a ~60M-parameter random Llama in Q8_0 and
 * Q4_0, written by @llmr/convert into a temp dir and deleted after): prefill and
 * single-sequence decode tokens per second of CPU time (process.cpuUsage, both runners
 * in this one process, in alternating rounds), the ratio (target: 50% or more), whether
 * greedy tokens agree, and memory use. CPU time rather than wall time: on a loaded
 * machine wall time mostly measures how long the process waited for a core.
 *
 *   pnpm --filter @llmr/runtime-simple bench
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GgufDtype, writeHfModelAsGguf } from '@llmr/convert';
import {
  fixtureTokenizer,
  type LlamaConfig,
  lazyRandomTensors,
  toConfigJson,
  toTokenizerConfig,
  toTokenizerJson,
} from '@llmr/fixtures';
import { getLlama, type Token } from 'node-llama-cpp';
import { loadSimpleGguf, type SimpleModel } from '../src/index';

const bpe = fixtureTokenizer(384);
const config: LlamaConfig = {
  vocabSize: bpe.vocab.size,
  hiddenSize: 1024,
  intermediateSize: 2816,
  numLayers: 6,
  numHeads: 16,
  numKvHeads: 4,
  ropeTheta: 10000,
  rmsNormEps: 1e-5,
  contextLength: 1024,
  bosTokenId: bpe.specialTokens['<|begin_of_text|>'],
  eosTokenId: bpe.specialTokens['<|im_end|>'],
};
const PROMPT_TOKENS = 64;
const DECODE_TOKENS = 32;
const ROUNDS = 7;

interface Timing {
  /** Per second of CPU time. */
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  /** Per second of wall time, for reference. */
  decodeWallTokensPerSecond: number;
  tokens: number[];
}

/** CPU seconds (user + system, all threads of this process) since `start`. */
const cpuSeconds = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

/** Measures prefill (up to the first token) and decode (the rest) of one generation. */
class Stopwatch {
  private readonly start = process.cpuUsage();
  private firstCpu: NodeJS.CpuUsage | undefined;
  private prefillSeconds = 0;
  private firstWall = 0;
  readonly tokens: number[] = [];

  add(tokens: readonly number[]): void {
    if (tokens.length === 0) return;
    if (!this.firstCpu) {
      this.prefillSeconds = cpuSeconds(this.start);
      this.firstCpu = process.cpuUsage();
      this.firstWall = performance.now();
    }
    this.tokens.push(...tokens);
  }

  finish(promptTokens: number): Timing {
    const decodeSeconds = cpuSeconds(this.firstCpu!);
    const wallSeconds = (performance.now() - this.firstWall) / 1000;
    return {
      prefillTokensPerSecond: promptTokens / this.prefillSeconds,
      decodeTokensPerSecond: (this.tokens.length - 1) / decodeSeconds,
      decodeWallTokensPerSecond: (this.tokens.length - 1) / wallSeconds,
      tokens: this.tokens,
    };
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function runSimple(model: SimpleModel, prompt: number[]): Promise<Timing> {
  const text = model.tokenizer.decode(prompt, { skipSpecialTokens: true });
  if (model.tokenizer.encode(text).join() !== prompt.join())
    throw new Error('bench: the prompt text does not re-encode to the same ids');
  const watch = new Stopwatch();
  const { stream } = await model.doStream({
    prompt: text,
    maxTokens: DECODE_TOKENS,
    temperature: 0,
  });
  for await (const part of stream as unknown as AsyncIterable<{
    type: string;
    tokens?: number[];
  }>) {
    if (part.type === 'text-delta') watch.add(part.tokens ?? []);
  }
  return watch.finish(prompt.length);
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'llmr-simple-bench-'));
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const rows: Record<string, unknown>[] = [];
  const summary: Record<string, unknown>[] = [];
  try {
    for (const dtype of ['q8_0', 'q4_0'] as GgufDtype[]) {
      const path = join(dir, `bench-${dtype}.gguf`);
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

      const model = await loadSimpleGguf(path, { contextLength: 512 });
      let text = '';
      while (model.tokenizer.encode(text).length < PROMPT_TOKENS)
        text += 'The router sent the request to the model that answered first. ';
      const prompt = model.tokenizer.encode(text);
      const memory = model.memoryUsage();

      const llamaModel = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
      const context = await llamaModel.createContext({
        contextSize: 512,
        sequences: 1,
        threads: 1,
        batchSize: 512,
        flashAttention: false,
      });
      const sequence = context.getSequence();
      const direct = async (): Promise<Timing> => {
        await sequence.clearHistory();
        const watch = new Stopwatch();
        for await (const token of sequence.evaluate(prompt as Token[], { temperature: 0 })) {
          watch.add([token as number]);
          if (watch.tokens.length >= DECODE_TOKENS) break;
        }
        return watch.finish(prompt.length);
      };
      // Alternate the two runners and compare the rounds' medians: neighbours on a shared
      // machine slow both alike within a round, not across rounds.
      const simpleRuns: Timing[] = [];
      const nativeRuns: Timing[] = [];
      await runSimple(model, prompt.slice(0, 8)); // warm-up
      await direct();
      for (let round = 0; round < ROUNDS; round++) {
        simpleRuns.push(await runSimple(model, prompt));
        nativeRuns.push(await direct());
      }
      const summarize = (runs: Timing[]): Timing => ({
        prefillTokensPerSecond: median(runs.map((run) => run.prefillTokensPerSecond)),
        decodeTokensPerSecond: median(runs.map((run) => run.decodeTokensPerSecond)),
        decodeWallTokensPerSecond: median(runs.map((run) => run.decodeWallTokensPerSecond)),
        tokens: runs[0]!.tokens,
      });
      const simple = summarize(simpleRuns);
      const native = summarize(nativeRuns);
      const roundRatios = simpleRuns.map(
        (run, index) => run.decodeTokensPerSecond / nativeRuns[index]!.decodeTokensPerSecond,
      );
      await model.dispose();
      await context.dispose();
      await llamaModel.dispose();

      const ratio = simple.decodeTokensPerSecond / native.decodeTokensPerSecond;
      for (const [runner, timing] of [
        ['runtime-simple (wasm-simd, 1 thread)', simple],
        ['node-llama-cpp (1 thread)', native],
      ] as const)
        rows.push({
          model: `${dtype} ${(fileBytes / 1e6).toFixed(0)} MB`,
          runner,
          'prefill tok/s (cpu)': Number(timing.prefillTokensPerSecond.toFixed(1)),
          'decode tok/s (cpu)': Number(timing.decodeTokensPerSecond.toFixed(1)),
          'decode tok/s (wall)': Number(timing.decodeWallTokensPerSecond.toFixed(1)),
        });
      summary.push({
        dtype,
        fileBytes,
        simpleDecode: Number(simple.decodeTokensPerSecond.toFixed(2)),
        llamaCppDecode: Number(native.decodeTokensPerSecond.toFixed(2)),
        decodeRatio: Number(ratio.toFixed(3)),
        roundRatios: roundRatios.map((value) => Number(value.toFixed(3))),
        simpleDecodeWall: Number(simple.decodeWallTokensPerSecond.toFixed(2)),
        llamaCppDecodeWall: Number(native.decodeWallTokensPerSecond.toFixed(2)),
        simplePrefill: Number(simple.prefillTokensPerSecond.toFixed(1)),
        llamaCppPrefill: Number(native.prefillTokensPerSecond.toFixed(1)),
        sameGreedyTokens:
          simple.tokens.length === native.tokens.length &&
          simple.tokens.every((token, index) => token === native.tokens[index]),
        // Where the greedy continuations part (a near-tie summed in another order), if they do.
        firstDifference: simple.tokens.findIndex((token, index) => token !== native.tokens[index]),
        memory,
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.table(rows);
  console.log(
    JSON.stringify({
      bench: 'runtime-simple-decode',
      clock: 'cpu',
      config: {
        ...config,
        promptTokens: PROMPT_TOKENS,
        decodeTokens: DECODE_TOKENS,
        rounds: ROUNDS,
      },
      results: summary,
    }),
  );
}

await main();
