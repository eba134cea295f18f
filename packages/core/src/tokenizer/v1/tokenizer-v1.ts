import type { ModelV1FunctionTool, ModelV1Message } from '../../model/v1/model-v1-prompt';

export interface TokenizerV1EncodeOptions {
  /** Add BOS/EOS and other template tokens from the post-processor. Default true. */
  addSpecialTokens?: boolean;
}

export interface TokenizerV1DecodeOptions {
  skipSpecialTokens?: boolean;
}

export interface TokenizerV1ChatTemplateOptions {
  addGenerationPrompt?: boolean;
  tools?: ModelV1FunctionTool[];
  /** Extra variables for the template (e.g. `enable_thinking`). */
  variables?: Record<string, unknown>;
}

/**
 * Turns text into token ids. Streaming decode must never emit a broken UTF-8
 * sequence: a multi-byte character split across tokens appears whole, once.
 */
export interface TokenizerStreamDecoderV1 {
  /** Feed one token; returns the text that became complete (maybe ''). */
  push(token: number): string;
  /** Flush anything held back (an incomplete sequence becomes U+FFFD). */
  flush(): string;
}

export interface TokenizerV1 {
  readonly specificationVersion: 'v1';
  readonly vocabularySize: number;
  /** Special tokens by role, when defined. */
  readonly specialTokens: {
    bos?: number;
    eos?: number;
    pad?: number;
    unk?: number;
    /** Every id the tokenizer treats as special (control) tokens. */
    all: readonly number[];
  };

  encode(text: string, options?: TokenizerV1EncodeOptions): number[];
  decode(tokens: readonly number[], options?: TokenizerV1DecodeOptions): string;
  createStreamDecoder(options?: TokenizerV1DecodeOptions): TokenizerStreamDecoderV1;
  /** Renders messages into the prompt string the model was trained on. */
  applyChatTemplate?(messages: ModelV1Message[], options?: TokenizerV1ChatTemplateOptions): string;
}
