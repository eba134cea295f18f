/**
 * @llmr/llama2c — reads llama2.c checkpoints (legacy v0, v1 float32, v2 Q8_0) as Hugging Face
 * Llama tensors, with the RoPE layout mapped, and llama2.c's tokenizer.bin. Browser-safe.
 */
export {
  LLAMA2C_HEADER_SIZE,
  LLAMA2C_MAGIC,
  type Llama2cConfig,
  type Llama2cErrorCode,
  type Llama2cHeader,
  type Llama2cTensorSlot,
  llama2cLayout,
  MAX_LLAMA2C_DIMENSION,
  parseLlama2cHeader,
} from './llama2c-header';
export {
  interleavedToHalves,
  isLlama2cCheckpoint,
  type Llama2cCheckpoint,
  llama2cHfConfig,
  llama2cToHfName,
  openLlama2c,
} from './llama2c-reader';
export {
  type Llama2cVocabulary,
  llama2cSentencePieces,
  MAX_LLAMA2C_TOKEN_LENGTH,
  parseLlama2cTokenizer,
  type SentencePieceKind,
} from './llama2c-tokenizer';
