/**
 * Idle-session swapping on the test fixture (the tiny random F32 Llama, context 512): a
 * conversation of about 400 tokens goes idle, is written to disk and is continued.
 * Measures swap-out (write, hash, rename, clear) and swap-in (check, load) times and the
 * file's bytes, the second turn's time with the session restored vs evaluated again from
 * nothing, and node-llama-cpp's own saveStateToFile / loadStateFromFile on the same state
 * (what the swap adds: the hash, rename and bookkeeping). Medians of RUNS.
 *
 *   pnpm --filter @llmr/loader-gguf bench:sessions
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Token } from 'node-llama-cpp';
import { tinyGgufDirectory } from '../src/__fixtures__/tiny-gguf';
import { createGgufLoader, type GgufModel } from '../src/index';

const RUNS = 7;
const files = await tinyGgufDirectory();
const tiny = await files.write('random', 'f32', 3);
const swapDirectory = await mkdtemp(join(tmpdir(), 'llmr-swap-bench-'));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

const history = Array.from(
  { length: 19 },
  (_, index) => `turn ${index}: the router kept the tokens`,
).join('. ');
const loader = createGgufLoader({
  defaults: { contextLength: 512, sequences: 1, gpu: false, threads: 1 },
});

async function secondTurn(model: GgufModel) {
  const before = model.stats.evaluatedTokens;
  const started = performance.now();
  const result = await model.doGenerate({
    prompt: `${history}. And then?`,
    maxTokens: 8,
    temperature: 0,
  });
  return {
    ms: performance.now() - started,
    evaluated: model.stats.evaluatedTokens - before,
    tokens: result.tokens ?? [],
    promptTokens: result.usage.inputTokens,
  };
}

const swapOut: number[] = [];
const swapIn: number[] = [];
const restored: number[] = [];
const reevaluated: number[] = [];
let bytes = 0;
let evaluatedRestored = 0;
let evaluatedFresh = 0;
let promptTokens = 0;
let same = true;
try {
  for (let run = 0; run < RUNS; run++) {
    const model = await loader.doLoad(tiny.path, {
      sessionSwap: { idleMs: 1, directory: swapDirectory },
    });
    await model.doGenerate({ prompt: history, maxTokens: 1, temperature: 0 });
    await model.sessions!.swapOutIdle(Date.now() + 10);
    bytes = model.sessions!.stats.diskBytes;
    const withSwap = await secondTurn(model);
    const stats = model.sessions!.stats;
    swapOut.push(stats.swapOutMs);
    swapIn.push(stats.swapInMs);
    restored.push(withSwap.ms);
    evaluatedRestored = withSwap.evaluated;
    promptTokens = withSwap.promptTokens;
    await model.dispose();

    const plain = await loader.doLoad(tiny.path);
    const fresh = await secondTurn(plain);
    reevaluated.push(fresh.ms);
    evaluatedFresh = fresh.evaluated;
    same &&= JSON.stringify(fresh.tokens) === JSON.stringify(withSwap.tokens);
    await plain.dispose();
  }

  // node-llama-cpp alone: the same state saved and loaded with nothing around it.
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const model = await llama.loadModel({ modelPath: tiny.path, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 });
  const sequence = context.getSequence();
  const ids = model.tokenize(history) as Token[];
  await sequence.evaluateWithoutGeneratingNewTokens(ids);
  const directSave: number[] = [];
  const directLoad: number[] = [];
  let directBytes = 0;
  for (let run = 0; run < RUNS; run++) {
    const file = join(swapDirectory, `direct-${run}.kv`);
    let started = performance.now();
    directBytes = (await sequence.saveStateToFile(file)).fileSize;
    directSave.push(performance.now() - started);
    await sequence.clearHistory();
    started = performance.now();
    await sequence.loadStateFromFile(file, { acceptRisk: true });
    directLoad.push(performance.now() - started);
  }
  await context.dispose();
  await model.dispose();

  const rows = [
    {
      what: 'swap-out (llmr: save, sha256, rename, clear)',
      ms: median(swapOut),
      directMs: median(directSave),
    },
    {
      what: 'swap-in (llmr: size + sha256 check, load)',
      ms: median(swapIn),
      directMs: median(directLoad),
    },
    {
      what: `second turn, session restored (${evaluatedRestored} tokens evaluated)`,
      ms: median(restored),
      directMs: Number.NaN,
    },
    {
      what: `second turn, prompt evaluated again (${evaluatedFresh} tokens evaluated)`,
      ms: median(reevaluated),
      directMs: Number.NaN,
    },
  ];
  console.table(
    rows.map((row) => ({
      what: row.what,
      ms: Number(row.ms.toFixed(2)),
      'node-llama-cpp ms': Number.isNaN(row.directMs) ? '' : Number(row.directMs.toFixed(2)),
    })),
  );
  console.log(
    JSON.stringify({
      bench: 'loader-gguf-session-swap',
      model: 'tiny random f32 fixture',
      promptTokens,
      swapFileBytes: bytes,
      directStateFileBytes: directBytes,
      swapOutMs: median(swapOut),
      swapInMs: median(swapIn),
      directSaveMs: median(directSave),
      directLoadMs: median(directLoad),
      restoredTurnMs: median(restored),
      reevaluatedTurnMs: median(reevaluated),
      evaluatedRestored,
      evaluatedFresh,
      sameGreedyTokens: same,
      runs: RUNS,
    }),
  );
} finally {
  await rm(swapDirectory, { recursive: true, force: true });
  await files.remove();
}
