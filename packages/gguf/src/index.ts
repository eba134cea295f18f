/**
 * @llmr/gguf — read and write GGUF files in pure TypeScript (Node and browsers): metadata,
 * tensor infos, lazy tensor reads (file, Blob, bytes, HTTP Range), dequantization and
 * quantization with ggml's reference semantics, and a streaming GGUF v3 writer.
 */

// Byte plumbing and F16/BF16 helpers live in @llmr/binary-io; re-exported so this API is unchanged.
export {
  type ByteSink,
  type ByteSinkInput,
  type ByteSource,
  type ByteSourceInput,
  type ByteSourceOptions,
  bfloat16BitsToFloat32,
  bfloat16BytesToFloat32,
  float16BitsToFloat32,
  float16BytesToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  openByteSource,
} from '@llmr/binary-io';
export { canDequantize, DEQUANTIZABLE_TYPES, dequantize } from './dequantize';
export {
  GgmlType,
  type GgmlTypeInfo,
  type GgmlTypeName,
  ggmlByteSize,
  ggmlTypeInfo,
  ggmlTypeName,
  isGgmlType,
  LlamaFileType,
  llamaFileTypeName,
  QK_K,
} from './ggml-type';
export type { GgufErrorCode } from './gguf-error';
export {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type ParseGgufHeaderOptions,
  parseGgufHeader,
} from './gguf-header-parser';
export {
  DEFAULT_GGUF_LIMITS,
  type GgufLimits,
  MAX_ALIGNMENT,
  MAX_ARRAY_RECURSION_DEPTH,
  MAX_DIMS,
  MAX_HEADER_SIZE,
  MAX_METADATA_COUNT,
  MAX_STRING_LENGTH,
  MAX_TENSOR_COUNT,
  MAX_TOTAL_ARRAY_ELEMENTS,
} from './gguf-limits';
export {
  type GgufModelInfo,
  type GgufTokenizerInfo,
  getGgufArchitecture,
  getGgufBoolean,
  getGgufChatTemplate,
  getGgufContextLength,
  getGgufModelInfo,
  getGgufNumber,
  getGgufNumberArray,
  getGgufNumberOrArray,
  getGgufString,
  getGgufStringArray,
  ggufParameterCount,
} from './gguf-model-info';
export {
  type GgufFile,
  openGguf,
  type ReadGgufOptions,
  readGgufHeader,
  readGgufHeaderFrom,
} from './gguf-reader';
export { ggufTensorName } from './gguf-tensor-names';
export {
  type GgufHeader,
  type GgufScalar,
  type GgufScalarType,
  type GgufTensorInfo,
  type GgufTypedValue,
  type GgufValue,
  GgufValueType,
  ggufValueTypeName,
} from './gguf-types';
export {
  GGUF_MAX_TENSOR_NAME_BYTES,
  type GgufMetadataInput,
  type GgufNumberArray,
  type GgufTensorData,
  type GgufTypedValueInput,
  type GgufWriteInput,
  type GgufWriteOptions,
  type GgufWriteResult,
  type GgufWriteTensor,
  writeGguf,
  writeGgufToBuffer,
} from './gguf-writer';
export { canQuantize, QUANTIZABLE_TYPES, quantize, quantizeInto } from './quantize';
