/**
 * The converter's pre-tokenizer choice, checked by real llama.cpp: the written
 * `tokenizer.ggml.pre` makes llama.cpp's ids equal the Hugging Face tokenizer's on the probe
 * corpus, and a split regex llama.cpp has no name for is embedded instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAbortError } from '@llmr/core';
import { CUSTOM_SPLIT_PATTERN, RESPELLED_QWEN2_PATTERN, withSplitPattern } from '@llmr/fixtures';
import { openGguf } from '@llmr/gguf';
import { loadTokenizer } from '@llmr/tokenizer';
import type { Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLlama, withModel } from './__fixtures__/llama-cpp-run';
import { tinyHf } from './__fixtures__/tiny-hf';
import { writeHfModelAsGguf } from './convert-hf-to-gguf';
import {
  EMBEDDED_TOKENIZER_KEY,
  PRE_TOKENIZER_PROBE_CORPUS,
  probePreTokenizer,
} from './pre-tokenizer-probe';

let dir: string;
let llama: Llama;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'llmr-pre-'));
  llama = await loadLlama();
});
afterAll(async () => {
  await llama?.dispose();
  await rm(dir, { recursive: true, force: true });
});

async function convertWith(pattern: string | undefined, name: string) {
  const fixture = tinyHf('random');
  const tokenizer = pattern
    ? withSplitPattern(fixture.hf.tokenizer!, pattern)
    : fixture.hf.tokenizer!;
  const output = join(dir, `${name}.gguf`);
  const result = await writeHfModelAsGguf({ ...fixture.hf, tokenizer }, { output, dtype: 'f32' });
  const file = await openGguf(output);
  try {
    return { output, tokenizer, result, metadata: file.metadata };
  } finally {
    await file.close();
  }
}

/** Texts where llama.cpp's ids differ from the Hugging Face tokenizer's under `output`. */
async function disagreements(output: string, tokenizer: Record<string, unknown>) {
  const reference = loadTokenizer(tokenizer);
  return withModel(llama, output, async (_sequence, model) =>
    PRE_TOKENIZER_PROBE_CORPUS.filter(
      (text) =>
        JSON.stringify(model.tokenize(text, false)) !==
        JSON.stringify(reference.encode(text, { addSpecialTokens: false })),
    ),
  );
}

describe('tokenizer.ggml.pre chosen by probing llama.cpp', () => {
  it('a recognised regex keeps its name, confirmed by the probe, with nothing embedded', async () => {
    const { output, tokenizer, result, metadata } = await convertWith(undefined, 'llama3');
    expect(metadata['tokenizer.ggml.pre']).toBe('llama-bpe');
    expect(metadata[EMBEDDED_TOKENIZER_KEY]).toBeUndefined();
    expect(result.notes).toEqual([]);
    expect(await disagreements(output, tokenizer)).toEqual([]);
  });

  it('an unrecognised spelling of a regex llama.cpp has gets the name that agrees', async () => {
    const { output, tokenizer, result, metadata } = await convertWith(
      RESPELLED_QWEN2_PATTERN,
      'respelled',
    );
    // The first name that agrees on the whole corpus (with this small vocabulary, digit runs
    // never merge, so Llama 3's name already does); what matters is that llama.cpp agrees.
    expect(metadata['tokenizer.ggml.pre']).not.toBe('default');
    expect(metadata[EMBEDDED_TOKENIZER_KEY]).toBeUndefined();
    expect(result.notes.join('\n')).toContain('found by probing');
    expect(await disagreements(output, tokenizer)).toEqual([]);
  });

  it('a regex no llama.cpp pre-tokenizer matches is embedded as tokenizer.huggingface.json', async () => {
    const { output, tokenizer, result, metadata } = await convertWith(
      CUSTOM_SPLIT_PATTERN,
      'custom',
    );
    expect(metadata['tokenizer.ggml.pre']).toBe('default');
    expect(JSON.parse(metadata[EMBEDDED_TOKENIZER_KEY] as string)).toEqual(tokenizer);
    expect(result.notes.join('\n')).toMatch(
      /no llama\.cpp pre-tokenizer gives the Hugging Face ids.*embedded/s,
    );
    // Why the embedding is needed: llama.cpp alone splits some probe texts differently.
    expect((await disagreements(output, tokenizer)).length).toBeGreaterThan(0);
  });

  it('probing can be turned off (the regex lookup alone decides)', async () => {
    const fixture = tinyHf('random');
    const tokenizer = withSplitPattern(fixture.hf.tokenizer!, CUSTOM_SPLIT_PATTERN);
    const output = join(dir, 'unprobed.gguf');
    const result = await writeHfModelAsGguf(
      { ...fixture.hf, tokenizer },
      { output, dtype: 'f32', probePreTokenizer: false },
    );
    expect(result.notes).toEqual([]);
    const file = await openGguf(output);
    try {
      expect(file.metadata['tokenizer.ggml.pre']).toBe('default');
      expect(file.metadata[EMBEDDED_TOKENIZER_KEY]).toBeUndefined();
    } finally {
      await file.close();
    }
  });

  it('an aborted conversion stops the probe before the next candidate', async () => {
    const fixture = tinyHf('random');
    const controller = new AbortController();
    controller.abort();
    const error = await probePreTokenizer({
      metadata: new Map(),
      tokenizerJson: fixture.hf.tokenizer!,
      abortSignal: controller.signal,
    }).catch((caught: unknown) => caught);
    expect(isAbortError(error)).toBe(true);
  });
});
