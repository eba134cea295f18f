/**
 * TokenizerV1 over llama.cpp's own tokenizer, so the ids llmr counts and reports are
 * exactly the ids the runtime evaluates. Chat templates render through @llmr/tokenizer
 * (Jinja), with the GGUF's template or an override.
 */
import type { TokenizerV1 } from '@llmr/core';
import { renderChatTemplate } from '@llmr/tokenizer';
import type { LlamaModel, Token } from 'node-llama-cpp';

export function createLlamaTokenizer(
  model: LlamaModel,
  chatTemplate: string | undefined,
  /** Set when the source tokenizer normalized to NFC (recorded by @llmr/convert). */
  normalizer?: 'NFC',
  vocabularySize?: number,
): TokenizerV1 {
  const tokens = model.tokens;
  // node-llama-cpp brands token ids; llmr's spec uses plain numbers.
  const bos = (tokens.bos ?? undefined) as number | undefined;
  const eos = (tokens.eos ?? undefined) as number | undefined;
  const specialIds = [bos, eos, (tokens.eot ?? undefined) as number | undefined].filter(
    (id): id is number => id !== undefined,
  );
  const specialStrings = {
    bos_token: tokens.bosString ?? undefined,
    eos_token: tokens.eosString ?? undefined,
  };
  const isSpecial = (token: number) => specialIds.includes(token);

  return {
    specificationVersion: 'v1',
    vocabularySize: vocabularySize ?? 0,
    specialTokens: { bos, eos, all: specialIds },
    encode(text, { addSpecialTokens = true } = {}) {
      // Special-token text (e.g. "<|im_start|>") parses as the special token, as llama-server does.
      const ids = model.tokenize(normalizer ? text.normalize(normalizer) : text, true) as number[];
      return addSpecialTokens && tokens.shouldPrependBosToken && bos !== undefined && ids[0] !== bos
        ? [bos, ...ids]
        : ids;
    },
    decode(ids, { skipSpecialTokens = false } = {}) {
      const kept = skipSpecialTokens ? ids.filter((id) => !isSpecial(id)) : ids;
      return model.detokenize(kept as Token[], !skipSpecialTokens);
    },
    createStreamDecoder({ skipSpecialTokens = true } = {}) {
      // llama.cpp hands token pieces over as strings, so a multi-byte character split
      // across byte tokens decodes to U+FFFD piecewise: hold tokens until they decode
      // whole (at most 4, the longest UTF-8 sequence).
      let pending: Token[] = [];
      const recent: Token[] = [];
      const decodePending = () => model.detokenize(pending, !skipSpecialTokens, recent.slice(-4));
      const accept = (text: string) => {
        recent.push(...pending);
        pending = [];
        return text;
      };
      return {
        push(token) {
          if (skipSpecialTokens && isSpecial(token)) return '';
          pending.push(token as Token);
          // One detokenize per token: the text that decides whether to wait is the text emitted.
          const text = decodePending();
          if (text.endsWith('\uFFFD') && pending.length < 4) return '';
          return accept(text);
        },
        flush: () => (pending.length ? accept(decodePending()) : ''),
      };
    },
    applyChatTemplate(messages, options = {}) {
      if (!chatTemplate) {
        throw new Error(
          'This GGUF has no chat template (tokenizer.chat_template); pass chatTemplate when loading it, or send a raw prompt.',
        );
      }
      return renderChatTemplate(chatTemplate, messages, options, specialStrings);
    },
  };
}
