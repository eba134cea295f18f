/**
 * @llmr/tokenizer — Hugging Face tokenizer.json (BPE, byte-level BPE, SentencePiece BPE
 * with byte fallback, Unigram, WordPiece), tokenizers from GGUF metadata, and chat
 * templates, in pure TypeScript. Gives the same ids as Hugging Face's `tokenizers`.
 */
export type { AddedToken } from './added-vocabulary';
export {
  ChatTemplateError,
  type ChatTemplateOptions,
  type ChatTemplateSource,
  renderChatTemplate,
  toTemplateMessages,
  toTemplateTools,
} from './chat-template';
export {
  GGUF_TOKEN_TYPE,
  ggufMetadataToTokenizerJson,
  mergesFromScores,
  tokenizerFromGgufMetadata,
} from './gguf-tokenizer';
export {
  type LoadTokenizerOptions,
  loadTokenizer,
  loadTokenizerFromDirectory,
} from './load-tokenizer';
export { translateOnigPattern } from './onig-regex';
export {
  type SpecialTokenNames,
  Tokenizer,
  type TokenizerEncoding,
  type TokenizerParts,
} from './tokenizer';
export type { TokenizerConfig } from './tokenizer-config';
