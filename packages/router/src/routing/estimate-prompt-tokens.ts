/**
 * Prompt size in tokens, for context-length filtering and cost estimates: the model's
 * own tokenizer when it is loaded and has one, else an estimate (about 4 characters a
 * token, plus a few per chat message for the template).
 */
import type { ModelV1CallOptions, TokenizerV1 } from '@llmr/core';

export function promptText(options: ModelV1CallOptions): string {
  if (options.prompt !== undefined) return options.prompt;
  return options.messages.map((message) => message.content).join('\n');
}

export function estimatePromptTokens(options: ModelV1CallOptions): number {
  if (options.prompt !== undefined) return Math.ceil(options.prompt.length / 4);
  let total = 2;
  for (const message of options.messages) total += Math.ceil(message.content.length / 4) + 4;
  return total;
}

/**
 * No tokenizer makes more tokens than UTF-8 bytes (byte-level BPE and byte fallback are
 * the worst case), and a UTF-16 unit is at most 3 bytes: below this, a prompt fits for
 * sure, with no tokenizer pass. Template tokens are covered by a margin per message.
 */
export function promptTokenUpperBound(options: ModelV1CallOptions): number {
  if (options.prompt !== undefined) return options.prompt.length * 3 + 8;
  let total = 16;
  for (const message of options.messages) total += message.content.length * 3 + 16;
  return total;
}

export function countPromptTokens(options: ModelV1CallOptions, tokenizer: TokenizerV1): number {
  if (options.prompt !== undefined) return tokenizer.encode(options.prompt).length;
  try {
    if (tokenizer.applyChatTemplate)
      return tokenizer.encode(
        tokenizer.applyChatTemplate(options.messages, { addGenerationPrompt: true }),
      ).length;
  } catch {
    // A template that cannot render these messages: count the contents instead.
  }
  return tokenizer.encode(promptText(options)).length + options.messages.length * 4;
}
