/**
 * A llama2.c checkpoint as the converter's model: its HF config and tensors (from
 * @llmr/llama2c, RoPE layout already HF's), and a vocabulary from, in order, an explicit
 * tokenizer path, a tokenizer.json beside the file, or a tokenizer.bin beside it.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LlmrError } from '@llmr/core';
import type { GgufMetadataInput } from '@llmr/gguf';
import {
  type Llama2cVocabulary,
  llama2cSentencePieces,
  openLlama2c,
  parseLlama2cTokenizer,
} from '@llmr/llama2c';
import type { HfDirectory } from './hf-directory';
import { TokenType } from './tokenizer-metadata';

/** Largest tokenizer file read (llama2.c's 32k vocabulary is about 430 KB). */
const MAX_TOKENIZER_FILE = 256 * 1024 * 1024;

const KIND_TYPES = {
  normal: TokenType.NORMAL,
  unknown: TokenType.UNKNOWN,
  control: TokenType.CONTROL,
  byte: TokenType.BYTE,
} as const;

/** GGUF SentencePiece (`llama`) metadata from a tokenizer.bin vocabulary. */
export function llama2cTokenizerMetadata(
  vocabulary: Llama2cVocabulary,
): Map<string, GgufMetadataInput> {
  const { tokens, kinds } = llama2cSentencePieces(vocabulary);
  return new Map<string, GgufMetadataInput>([
    ['tokenizer.ggml.model', 'llama'],
    ['tokenizer.ggml.pre', 'default'],
    ['tokenizer.ggml.tokens', tokens],
    ['tokenizer.ggml.scores', vocabulary.scores],
    ['tokenizer.ggml.token_type', Int32Array.from(kinds, (kind) => KIND_TYPES[kind])],
    ['tokenizer.ggml.unknown_token_id', 0],
    ['tokenizer.ggml.bos_token_id', 1],
    ['tokenizer.ggml.eos_token_id', 2],
    ['tokenizer.ggml.add_bos_token', true],
    ['tokenizer.ggml.add_eos_token', false],
  ]);
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function readBounded(path: string): Promise<Uint8Array> {
  const info = await stat(path);
  if (info.size > MAX_TOKENIZER_FILE) {
    throw new LlmrError({
      code: 'convert-invalid-tokenizer',
      message: `${path} is ${info.size} bytes, larger than any tokenizer (limit ${MAX_TOKENIZER_FILE}).`,
    });
  }
  return new Uint8Array(await readFile(path));
}

async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  const text = new TextDecoder().decode(await readBounded(path));
  try {
    const value = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
    throw new Error('expected a JSON object');
  } catch (error) {
    throw new LlmrError({
      code: 'hf-invalid-json',
      message: `${path} is not valid JSON: ${(error as Error).message}`,
      cause: error,
    });
  }
}

/** Where a llama2.c checkpoint's tokenizer is: the explicit one, else beside the file. */
export async function findLlama2cTokenizer(
  file: string,
  tokenizer?: string,
): Promise<string | undefined> {
  if (tokenizer) return tokenizer;
  for (const name of ['tokenizer.json', 'tokenizer.bin']) {
    const path = join(dirname(file), name);
    if (await exists(path)) return path;
  }
  return undefined;
}

/** Opens a llama2.c `.bin` as an HF model for the converter. */
export async function openLlama2cModel(
  file: string,
  options: { tokenizer?: string } = {},
): Promise<HfDirectory> {
  const tokenizerPath = await findLlama2cTokenizer(file, options.tokenizer);
  if (!tokenizerPath) {
    throw new LlmrError({
      code: 'convert-missing-tokenizer',
      message: `${file} is a llama2.c checkpoint, which holds no vocabulary: put its tokenizer.bin (or a tokenizer.json) beside it, or pass the tokenizer path (llmr convert --tokenizer).`,
    });
  }
  const checkpoint = await openLlama2c(file);
  try {
    const config = checkpoint.config;
    const base: HfDirectory = {
      dir: file.replace(/\.bin$/, ''),
      config,
      tensors: checkpoint,
    };
    if (tokenizerPath.endsWith('.json')) {
      const configPath = join(dirname(tokenizerPath), 'tokenizer_config.json');
      return {
        ...base,
        tokenizer: await readJsonObject(tokenizerPath),
        tokenizerConfig: (await exists(configPath)) ? await readJsonObject(configPath) : undefined,
      };
    }
    const vocabulary = parseLlama2cTokenizer(
      await readBounded(tokenizerPath),
      config.vocab_size as number,
    );
    return { ...base, ggufTokenizer: llama2cTokenizerMetadata(vocabulary) };
  } catch (error) {
    await checkpoint.close();
    throw error;
  }
}
