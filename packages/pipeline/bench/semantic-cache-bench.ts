/**
 * The semantic cache on a paraphrase set and a near-miss set, with a real embedding
 * model: a tiny random-weight Llama GGUF (written by @llmr/fixtures + @llmr/convert into
 * a temp dir) embedded through @llmr/loader-gguf (node-llama-cpp). For each threshold:
 * the hit rate on paraphrases (should hit) and the false-hit rate on near misses (must
 * not). Also: the time of a cache hit (embed + search) against generating the answer with
 * the same model without the cache, and the exact-text mock embedder as a baseline (no
 * paraphrase can hit it).
 *
 *   pnpm --filter @llmr/pipeline bench
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryTensorSource, writeHfModelAsGguf } from '@llmr/convert';
import { generate, type ModelV1, wrapModel } from '@llmr/core';
import { buildTinyModel } from '@llmr/fixtures';
import { createGgufLoader } from '@llmr/loader-gguf';
import { createMockModel } from '@llmr/loader-mock';
import { createSemanticCache } from '../src/index';
import { normalize } from '../src/semantic-cache/vector-index';
import { QUESTION_SETS } from './question-sets';

const THRESHOLDS = [0.8, 0.85, 0.9, 0.95, 0.97, 0.99];

function cosine(a: readonly number[], b: readonly number[]): number {
  const x = normalize(a);
  const y = normalize(b);
  let dot = 0;
  for (let index = 0; index < x.length; index++) dot += x[index]! * y[index]!;
  return dot;
}

async function similarities(embedder: ModelV1) {
  const values = QUESTION_SETS.flatMap((set) => [set.question, set.paraphrase, set.nearMiss]);
  const { embeddings } = await embedder.doEmbed!({ values });
  const paraphrase: number[] = [];
  const nearMiss: number[] = [];
  for (let index = 0; index < QUESTION_SETS.length; index++) {
    const [question, same, different] = embeddings.slice(index * 3, index * 3 + 3);
    paraphrase.push(cosine(question!, same!));
    nearMiss.push(cosine(question!, different!));
  }
  return { paraphrase, nearMiss, dimensions: embeddings[0]!.length };
}

const rate = (values: number[], threshold: number) =>
  values.filter((value) => value >= threshold).length / values.length;
const percent = (value: number) => `${(value * 100).toFixed(0)}%`;

const dir = await mkdtemp(join(tmpdir(), 'llmr-semantic-bench-'));
try {
  const tiny = buildTinyModel({ kind: 'random', seed: 1, contextLength: 512 });
  const path = join(dir, 'tiny.gguf');
  await writeHfModelAsGguf(
    {
      dir: 'tiny-random',
      config: tiny.files['config.json'],
      tokenizer: tiny.files['tokenizer.json'],
      tokenizerConfig: tiny.files['tokenizer_config.json'],
      tensors: createMemoryTensorSource(tiny.weights),
    },
    { output: path, dtype: 'f32' },
  );
  const gguf = await createGgufLoader().doLoad(path);
  const embedders: [string, ModelV1][] = [
    ['tiny GGUF (random weights)', gguf],
    ['mock (exact text)', createMockModel({ embeddingDimensions: 64 })],
  ];
  const rows: Record<string, unknown>[] = [];
  console.log(
    '| embedder | dims | threshold | paraphrase hit rate | near-miss false-hit rate |\n| --- | --- | --- | --- | --- |',
  );
  for (const [name, embedder] of embedders) {
    const measured = await similarities(embedder);
    for (const threshold of THRESHOLDS) {
      const row = {
        embedder: name,
        dimensions: measured.dimensions,
        threshold,
        paraphraseHitRate: rate(measured.paraphrase, threshold),
        nearMissFalseHitRate: rate(measured.nearMiss, threshold),
      };
      rows.push(row);
      console.log(
        `| ${name} | ${row.dimensions} | ${threshold} | ${percent(row.paraphraseHitRate)} | ${percent(row.nearMissFalseHitRate)} |`,
      );
    }
    const mean = (values: number[]) =>
      values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log(
      `| ${name} | mean cosine: paraphrase ${mean(measured.paraphrase).toFixed(3)}, near miss ${mean(measured.nearMiss).toFixed(3)} | | | |`,
    );
  }

  // A hit (embed + search) against generating the answer directly with the same runtime.
  const cache = createSemanticCache({ embedder: gguf, threshold: 0.99 });
  const cached = wrapModel(gguf, [cache]);
  const request = (content: string) => ({
    messages: [{ role: 'user' as const, content }],
    temperature: 0,
    maxTokens: 32,
  });
  const timed = async (run: () => Promise<unknown>, times: number) => {
    const started = performance.now();
    for (let index = 0; index < times; index++) await run();
    return (performance.now() - started) / times;
  };
  const question = QUESTION_SETS[0]!.question;
  await generate(cached, request(question)); // fills the cache
  const directMs = await timed(() => generate(gguf, request(question)), 5);
  const hitMs = await timed(() => generate(cached, request(question)), 5);
  console.log(
    `\n| path | ms per request |\n| --- | --- |\n| generate without the cache (32 tokens, same GGUF model) | ${directMs.toFixed(2)} |\n| semantic cache hit (embed + search) | ${hitMs.toFixed(2)} |`,
  );
  console.log(
    JSON.stringify({
      bench: 'semantic-cache',
      questions: QUESTION_SETS.length,
      rows,
      directMs,
      hitMs,
      stats: cache.stats(),
    }),
  );
  await gguf.dispose();
} finally {
  await rm(dir, { recursive: true, force: true });
}
