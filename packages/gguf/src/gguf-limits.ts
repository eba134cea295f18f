/**
 * Bounds on every count and length read from a GGUF file. A file that claims more is refused
 * with a `gguf-limit-exceeded` ParseError before anything is allocated for it. The defaults are
 * far above what real models use (a 256k-token vocabulary is about 1M array elements) and can be
 * changed per call through `options.limits`.
 */

/** Most tensor infos in one file (real models: hundreds to a few thousand). */
export const MAX_TENSOR_COUNT = 1_048_576;
/** Most metadata key/value pairs in one file (real models: tens). */
export const MAX_METADATA_COUNT = 65_536;
/** Longest string, in bytes (embedded `tokenizer.huggingface.json` files are a few MB). */
export const MAX_STRING_LENGTH = 64 * 1024 * 1024;
/** Deepest nesting of arrays inside arrays (llama.cpp itself reads no nested arrays). */
export const MAX_ARRAY_RECURSION_DEPTH = 8;
/** Most array elements across all metadata arrays of a file. */
export const MAX_TOTAL_ARRAY_ELEMENTS = 16 * 1024 * 1024;
/** Most dimensions of a tensor (`GGML_MAX_DIMS`). */
export const MAX_DIMS = 4;
/** Most bytes read to find the end of the header (metadata plus tensor infos). */
export const MAX_HEADER_SIZE = 512 * 1024 * 1024;
/** Largest `general.alignment` accepted (it must also be a power of two). */
export const MAX_ALIGNMENT = 1024 * 1024;

export interface GgufLimits {
  maxTensorCount: number;
  maxMetadataCount: number;
  maxStringLength: number;
  maxArrayRecursionDepth: number;
  maxTotalArrayElements: number;
  maxDims: number;
  maxHeaderSize: number;
  maxAlignment: number;
}

export const DEFAULT_GGUF_LIMITS: Readonly<GgufLimits> = Object.freeze({
  maxTensorCount: MAX_TENSOR_COUNT,
  maxMetadataCount: MAX_METADATA_COUNT,
  maxStringLength: MAX_STRING_LENGTH,
  maxArrayRecursionDepth: MAX_ARRAY_RECURSION_DEPTH,
  maxTotalArrayElements: MAX_TOTAL_ARRAY_ELEMENTS,
  maxDims: MAX_DIMS,
  maxHeaderSize: MAX_HEADER_SIZE,
  maxAlignment: MAX_ALIGNMENT,
});

export function resolveGgufLimits(limits: Partial<GgufLimits> | undefined): GgufLimits {
  return { ...DEFAULT_GGUF_LIMITS, ...limits };
}
