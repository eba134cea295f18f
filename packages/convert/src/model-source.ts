/**
 * What the converter accepts as input: a Hugging Face model directory (safetensors or PyTorch
 * weights) or a llama2.c `.bin` checkpoint, opened as one kind of model.
 */
import { open, stat } from 'node:fs/promises';
import { LlmrError } from '@llmr/core';
import { isLlama2cCheckpoint, LLAMA2C_HEADER_SIZE } from '@llmr/llama2c';
import { type HfDirectory, openHfDirectory } from './hf-directory';
import { openLlama2cModel } from './llama2c-source';

export type ModelSourceKind = 'hf-directory' | 'llama2c';

/** Which kind of model `input` is, or undefined (cheap: a stat and 256 bytes). */
export async function modelSourceKind(input: string): Promise<ModelSourceKind | undefined> {
  const info = await stat(input).catch(() => undefined);
  if (!info) return undefined;
  if (info.isDirectory()) return 'hf-directory';
  if (!info.isFile()) return undefined;
  const handle = await open(input, 'r');
  try {
    const head = new Uint8Array(LLAMA2C_HEADER_SIZE);
    const { bytesRead } = await handle.read(head, 0, head.byteLength, 0);
    return isLlama2cCheckpoint(head.subarray(0, bytesRead), info.size) ? 'llama2c' : undefined;
  } finally {
    await handle.close();
  }
}

export interface OpenModelSourceOptions {
  /** llama2.c: the tokenizer (tokenizer.bin or tokenizer.json) when it is not beside the file. */
  tokenizer?: string;
}

/** Opens a model directory or a llama2.c checkpoint. Close its `tensors` when done. */
export async function openModelSource(
  input: string,
  options: OpenModelSourceOptions = {},
): Promise<HfDirectory> {
  const kind = await modelSourceKind(input);
  // A path that is not there is answered as before: "not a directory".
  if (kind === 'hf-directory' || !(await stat(input).catch(() => undefined)))
    return openHfDirectory(input);
  if (kind === 'llama2c') return openLlama2cModel(input, options);
  throw new LlmrError({
    code: 'convert-unknown-source',
    message: `${input} is neither a Hugging Face model directory (config.json with safetensors or pytorch_model.bin weights) nor a llama2.c checkpoint (.bin whose header matches its size).`,
  });
}
