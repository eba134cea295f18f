/**
 * Without node-llama-cpp nothing can be probed: a regex llmr recognises keeps its name with a
 * note, and an unrecognised one is embedded. node-llama-cpp is replaced by a test double that
 * fails to import, as a missing install does.
 */
import { CUSTOM_SPLIT_PATTERN, withSplitPattern } from '@llmr/fixtures';
import type { GgufMetadataInput } from '@llmr/gguf';
import { describe, expect, it, vi } from 'vitest';
import { tinyHf } from './__fixtures__/tiny-hf';
import { choosePreTokenizer, EMBEDDED_TOKENIZER_KEY } from './pre-tokenizer-probe';
import { tokenizerMetadata } from './tokenizer-metadata';

vi.mock('node-llama-cpp', () => {
  throw new Error("Cannot find package 'node-llama-cpp' (test double of a missing install)");
});

function metadataFor(tokenizer: Record<string, unknown>) {
  const { hf } = tinyHf('random');
  return new Map<string, GgufMetadataInput>(
    tokenizerMetadata(tokenizer, hf.tokenizerConfig, hf.config),
  );
}

describe('pre-tokenizer choice without node-llama-cpp', () => {
  it('keeps a recognised name, says it is unchecked, embeds nothing', async () => {
    const tokenizer = tinyHf('random').hf.tokenizer!;
    const metadata = metadataFor(tokenizer);
    const notes = await choosePreTokenizer(metadata, tokenizer);
    expect(metadata.get('tokenizer.ggml.pre')).toBe('llama-bpe');
    expect(metadata.has(EMBEDDED_TOKENIZER_KEY)).toBe(false);
    expect(notes.join('\n')).toMatch(
      /install node-llama-cpp.*"llama-bpe" is named from the split regex, unchecked/,
    );
  });

  it('embeds an unrecognised tokenizer and says why', async () => {
    const tokenizer = withSplitPattern(tinyHf('random').hf.tokenizer!, CUSTOM_SPLIT_PATTERN);
    const metadata = metadataFor(tokenizer);
    const notes = await choosePreTokenizer(metadata, tokenizer);
    expect(metadata.get('tokenizer.ggml.pre')).toBe('default');
    expect(JSON.parse(metadata.get(EMBEDDED_TOKENIZER_KEY) as string)).toEqual(tokenizer);
    expect(notes.join('\n')).toMatch(
      /node-llama-cpp could not be loaded.*embedded as tokenizer\.huggingface\.json/s,
    );
  });
});
