/**
 * The tokenizer of a decoder model folder, loaded from its tokenizer.json (and
 * tokenizer_config.json): a file the tokenizer cannot read is a LoadError naming the folder,
 * with the loader's code prefix (`onnx-invalid-tokenizer`, `tfjs-invalid-tokenizer`).
 */
import { LlmrError, LoadError } from '@llmr/core';
import { loadTokenizer, type Tokenizer } from '@llmr/tokenizer';

export function loadModelTokenizer(
  source: string,
  tokenizerJson: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown> | undefined,
  format: string,
): Tokenizer {
  try {
    return loadTokenizer(tokenizerJson, tokenizerConfig as never);
  } catch (error) {
    if (LlmrError.isInstance(error)) throw error;
    throw new LoadError({
      source,
      code: `${format}-invalid-tokenizer`,
      message: `${source}/tokenizer.json could not be loaded: ${(error as Error).message}`,
      cause: error,
    });
  }
}
