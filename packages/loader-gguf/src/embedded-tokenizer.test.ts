/**
 * A tokenizer whose split regex llama.cpp has no name for, converted (the converter embeds
 * it), loaded and run: prompt ids are the Hugging Face tokenizer's on a hard corpus, and
 * greedy text equals the float64 reference on the original model. A byte-level GGUF with
 * pre = "default" and nothing embedded loads with a warning.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMemoryTensorSource,
  EMBEDDED_TOKENIZER_KEY,
  PRE_TOKENIZER_PROBE_CORPUS,
  writeHfModelAsGguf,
} from '@llmr/convert';
import { LoadError, type ModelV1 } from '@llmr/core';
import {
  buildTinyModel,
  CUSTOM_SPLIT_PATTERN,
  referenceGreedy,
  withSplitPattern,
} from '@llmr/fixtures';
import { openGguf, writeGguf } from '@llmr/gguf';
import { loadTokenizer } from '@llmr/tokenizer';
import { getLlama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGgufLoader } from './index';

const fixture = buildTinyModel({ kind: 'random', seed: 5, contextLength: 256 });
const tokenizerJson = withSplitPattern(fixture.files['tokenizer.json'], CUSTOM_SPLIT_PATTERN);
const reference = loadTokenizer(tokenizerJson, fixture.files['tokenizer_config.json']);
// Digit pairs and three-letter runs: llama.cpp's default regex splits this otherwise.
const PROMPT = 'Once upon a time 12345 routers';

let dir: string;
let embeddedPath: string;
let plainPath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-embedded-'));
  const hf = {
    dir: 'tiny-custom-split',
    config: fixture.files['config.json'],
    tokenizer: tokenizerJson,
    tokenizerConfig: fixture.files['tokenizer_config.json'],
    tensors: createMemoryTensorSource(fixture.weights),
  };
  embeddedPath = join(dir, 'embedded.gguf');
  plainPath = join(dir, 'plain.gguf');
  await writeHfModelAsGguf(hf, { output: embeddedPath, dtype: 'f32' });
  await writeHfModelAsGguf(hf, { output: plainPath, dtype: 'f32', probePreTokenizer: false });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** One thread, CPU only, log lines kept for the assertions. */
function loggingLoader(lines: string[]) {
  return createGgufLoader({
    defaults: {
      contextLength: 256,
      sequences: 1,
      threads: 1,
      gpu: false,
      log: (line) => lines.push(line),
    },
  });
}

describe('GGUF with an embedded Hugging Face tokenizer', () => {
  const lines: string[] = [];
  const loader = loggingLoader(lines);
  let model: ModelV1;
  beforeAll(async () => {
    model = await loader.doLoad(embeddedPath);
  });
  afterAll(() => model?.dispose());

  it('the converter embedded the tokenizer, and llama.cpp alone splits the test prompt otherwise', async () => {
    const file = await openGguf(embeddedPath);
    try {
      expect(typeof file.metadata[EMBEDDED_TOKENIZER_KEY]).toBe('string');
    } finally {
      await file.close();
    }
    const llama = await getLlama({ gpu: false, build: 'never' });
    const vocabulary = await llama.loadModel({ modelPath: embeddedPath, vocabOnly: true });
    try {
      expect(vocabulary.tokenize(PROMPT, false)).not.toEqual(
        reference.encode(PROMPT, { addSpecialTokens: false }),
      );
    } finally {
      await vocabulary.dispose();
    }
  });

  it('prompt ids equal the Hugging Face ids on a hard corpus (with and without BOS)', () => {
    for (const text of [PROMPT, ...PRE_TOKENIZER_PROBE_CORPUS]) {
      expect(model.tokenizer!.encode(text)).toEqual(reference.encode(text));
      expect(model.tokenizer!.encode(text, { addSpecialTokens: false })).toEqual(
        reference.encode(text, { addSpecialTokens: false }),
      );
    }
    expect(lines.join('\n')).not.toContain('tokenizer.ggml.pre');
  });

  it('greedy text equals the float64 reference on the original model', async () => {
    const steps = 8;
    const result = await model.doGenerate({ prompt: PROMPT, maxTokens: steps, temperature: 0 });
    const expected = referenceGreedy(
      fixture.config,
      fixture.weights,
      reference.encode(PROMPT),
      steps,
    );
    expect(result.tokens).toEqual(expected);
    expect(result.text).toBe(reference.decode(expected));
  });
});

describe('GGUF with pre = "default" and nothing embedded', () => {
  it('loads with a warning naming the risk', async () => {
    const lines: string[] = [];
    const loader = loggingLoader(lines);
    const model = await loader.doLoad(plainPath);
    try {
      expect(lines.join('\n')).toMatch(
        /plain\.gguf: tokenizer\.ggml\.pre is "default" and the file embeds no tokenizer\.huggingface\.json.*other token ids/,
      );
    } finally {
      await model.dispose();
    }
  });
});

describe('GGUF with a broken embedded tokenizer', () => {
  it('is refused with a message naming the key', async () => {
    const path = join(dir, 'broken-tokenizer.gguf');
    await writeGguf(
      {
        metadata: {
          'general.architecture': 'llama',
          'tokenizer.ggml.model': 'gpt2',
          [EMBEDDED_TOKENIZER_KEY]: '{"model": ',
        },
        tensors: [],
      },
      path,
    );
    const error = await loggingLoader([])
      .doLoad(path)
      .catch((caught: unknown) => caught);
    expect(LoadError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'gguf-embedded-tokenizer-invalid' });
    expect((error as Error).message).toMatch(/tokenizer\.huggingface\.json.*Reconvert the model/);
  });
});
