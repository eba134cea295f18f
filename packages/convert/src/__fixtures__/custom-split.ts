/**
 * The fixture tokenizer with another split regex in place of Llama 3's, for the
 * pre-tokenizer probe: one llama.cpp has under another spelling, and one it has not at all.
 */
import { LLAMA3_SPLIT_PATTERN } from '@llmr/fixtures';

/** Qwen2's regex (single digits) spelled so no name lookup recognises it. */
export const RESPELLED_QWEN2_PATTERN = LLAMA3_SPLIT_PATTERN.replace('\\p{N}{1,3}', '\\p{N}{1}');

/** Letters in runs of at most three and digits in pairs: no llama.cpp pre-tokenizer splits so. */
export const CUSTOM_SPLIT_PATTERN = LLAMA3_SPLIT_PATTERN.replace('\\p{L}+', '\\p{L}{1,3}').replace(
  '\\p{N}{1,3}',
  '\\p{N}{1,2}',
);

/** A copy of a fixture tokenizer.json whose Split pre-tokenizer uses `pattern`. */
export function withSplitPattern(
  tokenizerJson: Record<string, unknown>,
  pattern: string,
): Record<string, unknown> {
  const copy = structuredClone(tokenizerJson);
  const sequence = copy.pre_tokenizer as { pretokenizers: { type: string; pattern?: unknown }[] };
  const split = sequence.pretokenizers.find((node) => node.type === 'Split');
  if (!split) throw new Error('The fixture tokenizer has no Split pre-tokenizer.');
  split.pattern = { Regex: pattern };
  return copy;
}
