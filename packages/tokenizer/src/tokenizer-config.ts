/** The parts of tokenizer_config.json that matter at inference: special tokens and the chat template. */
import { type ChatTemplateSource, readChatTemplate } from './chat-template';
import type { SpecialTokenNames } from './tokenizer';

export interface TokenizerConfig {
  bos_token?: unknown;
  eos_token?: unknown;
  pad_token?: unknown;
  unk_token?: unknown;
  chat_template?: unknown;
  [key: string]: unknown;
}

/** `"<s>"` or `{ "content": "<s>", ... }` (the AddedToken form). */
function tokenName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (
    value &&
    typeof value === 'object' &&
    typeof (value as { content?: unknown }).content === 'string'
  ) {
    return (value as { content: string }).content;
  }
  return undefined;
}

export function readTokenizerConfig(config: TokenizerConfig): {
  specialTokenNames: SpecialTokenNames;
  chatTemplate?: ChatTemplateSource;
} {
  const names: SpecialTokenNames = {};
  const bos = tokenName(config.bos_token);
  const eos = tokenName(config.eos_token);
  const pad = tokenName(config.pad_token);
  const unk = tokenName(config.unk_token);
  if (bos !== undefined) names.bos = bos;
  if (eos !== undefined) names.eos = eos;
  if (pad !== undefined) names.pad = pad;
  if (unk !== undefined) names.unk = unk;
  const chatTemplate = readChatTemplate(config.chat_template);
  return chatTemplate === undefined
    ? { specialTokenNames: names }
    : { specialTokenNames: names, chatTemplate };
}
