/**
 * Prompt ids exactly as the model's Hugging Face tokenizer gives them. llama.cpp splits text
 * with a fixed regex per `tokenizer.ggml.pre` name; a converter that found no name matching
 * the original tokenizer embeds its tokenizer.json (`tokenizer.huggingface.json`, a key the
 * GGUF spec defines), and prompts are then encoded by @llmr/tokenizer from it and handed to
 * llama.cpp as ids. A byte-level GGUF with neither a named pre-tokenizer nor an embedded
 * tokenizer still loads, with a warning.
 */
import { ParseError, type TokenizerV1 } from '@llmr/core';
import { loadTokenizer, type Tokenizer } from '@llmr/tokenizer';

export const EMBEDDED_TOKENIZER_KEY = 'tokenizer.huggingface.json';

export interface PromptTokenizerSource {
  /** The embedded Hugging Face tokenizer, when the GGUF carries one. */
  embedded?: Tokenizer;
  /** Set when llama.cpp's own split may differ from the one the model was trained with. */
  warning?: string;
}

/** Reads the embedded tokenizer (or the risk of having none) from GGUF metadata. */
export function promptTokenizerSource(
  metadata: Readonly<Record<string, unknown>>,
  fileName: string,
): PromptTokenizerSource {
  const json = metadata[EMBEDDED_TOKENIZER_KEY];
  if (typeof json === 'string') {
    try {
      return { embedded: loadTokenizer(json) };
    } catch (error) {
      throw new ParseError({
        format: 'gguf',
        code: 'gguf-embedded-tokenizer-invalid',
        message: `${fileName} embeds a ${EMBEDDED_TOKENIZER_KEY} that is not a usable Hugging Face tokenizer (${(error as Error).message}). Reconvert the model, or remove the key to tokenize with llama.cpp's own tokenizer.`,
        cause: error,
      });
    }
  }
  const pre = metadata['tokenizer.ggml.pre'];
  if (metadata['tokenizer.ggml.model'] === 'gpt2' && (pre === undefined || pre === 'default')) {
    return {
      warning: `${fileName}: tokenizer.ggml.pre is ${pre === undefined ? 'missing' : '"default"'} and the file embeds no ${EMBEDDED_TOKENIZER_KEY}, so llama.cpp splits text with its default regex; if the model's own pre-tokenizer differs, prompts reach it as other token ids than it was trained on. Reconvert with llmr convert (it probes llama.cpp's pre-tokenizers and embeds the tokenizer when none matches).`,
    };
  }
  return {};
}

/** `base` (llama.cpp's tokenizer) with encoding replaced by the embedded Hugging Face one. */
export function withEmbeddedEncoding(
  base: TokenizerV1,
  embedded: Tokenizer | undefined,
): TokenizerV1 {
  if (!embedded) return base;
  return {
    ...base,
    encode: (text, options) => embedded.encode(text, options),
  };
}
