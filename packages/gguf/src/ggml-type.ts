/**
 * ggml tensor types: their numbers in GGUF files, names, and block layouts (elements per block,
 * bytes per block), as in ggml's type traits. Sizes of every type are known, so offsets and
 * bounds of any tensor can be checked even where this package cannot dequantize it.
 */

/** ggml tensor types as numbered in GGUF files (`enum ggml_type`). */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  IQ2_XXS: 16,
  IQ2_XS: 17,
  IQ3_XXS: 18,
  IQ1_S: 19,
  IQ4_NL: 20,
  IQ3_S: 21,
  IQ2_S: 22,
  IQ4_XS: 23,
  I8: 24,
  I16: 25,
  I32: 26,
  I64: 27,
  F64: 28,
  IQ1_M: 29,
  BF16: 30,
  TQ1_0: 34,
  TQ2_0: 35,
  MXFP4: 39,
} as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];
export type GgmlTypeName = keyof typeof GgmlType;

export interface GgmlTypeInfo {
  readonly name: GgmlTypeName;
  /** Elements per block (1 for plain types, 32 for legacy quants, 256 for K-quants). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

/** `QK_K`: elements in a K-quant super-block. */
export const QK_K = 256;

const infos: Record<GgmlType, GgmlTypeInfo> = {
  0: { name: 'F32', blockSize: 1, typeSize: 4 },
  1: { name: 'F16', blockSize: 1, typeSize: 2 },
  2: { name: 'Q4_0', blockSize: 32, typeSize: 2 + 16 },
  3: { name: 'Q4_1', blockSize: 32, typeSize: 2 + 2 + 16 },
  6: { name: 'Q5_0', blockSize: 32, typeSize: 2 + 4 + 16 },
  7: { name: 'Q5_1', blockSize: 32, typeSize: 2 + 2 + 4 + 16 },
  8: { name: 'Q8_0', blockSize: 32, typeSize: 2 + 32 },
  9: { name: 'Q8_1', blockSize: 32, typeSize: 2 + 2 + 32 },
  10: { name: 'Q2_K', blockSize: QK_K, typeSize: 2 + 2 + QK_K / 16 + QK_K / 4 },
  11: { name: 'Q3_K', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 8 + 12 },
  12: { name: 'Q4_K', blockSize: QK_K, typeSize: 2 + 2 + 12 + QK_K / 2 },
  13: { name: 'Q5_K', blockSize: QK_K, typeSize: 2 + 2 + 12 + QK_K / 8 + QK_K / 2 },
  14: { name: 'Q6_K', blockSize: QK_K, typeSize: QK_K / 2 + QK_K / 4 + QK_K / 16 + 2 },
  15: { name: 'Q8_K', blockSize: QK_K, typeSize: 4 + QK_K + (QK_K / 16) * 2 },
  16: { name: 'IQ2_XXS', blockSize: QK_K, typeSize: 2 + QK_K / 4 },
  17: { name: 'IQ2_XS', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 32 },
  18: { name: 'IQ3_XXS', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 8 },
  19: { name: 'IQ1_S', blockSize: QK_K, typeSize: 2 + QK_K / 8 + QK_K / 16 },
  20: { name: 'IQ4_NL', blockSize: 32, typeSize: 2 + 16 },
  21: { name: 'IQ3_S', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4 },
  22: { name: 'IQ2_S', blockSize: QK_K, typeSize: 2 + QK_K / 4 + QK_K / 16 },
  23: { name: 'IQ4_XS', blockSize: QK_K, typeSize: 2 + 2 + QK_K / 2 + QK_K / 64 },
  24: { name: 'I8', blockSize: 1, typeSize: 1 },
  25: { name: 'I16', blockSize: 1, typeSize: 2 },
  26: { name: 'I32', blockSize: 1, typeSize: 4 },
  27: { name: 'I64', blockSize: 1, typeSize: 8 },
  28: { name: 'F64', blockSize: 1, typeSize: 8 },
  29: { name: 'IQ1_M', blockSize: QK_K, typeSize: QK_K / 8 + QK_K / 16 + QK_K / 32 },
  30: { name: 'BF16', blockSize: 1, typeSize: 2 },
  34: { name: 'TQ1_0', blockSize: QK_K, typeSize: 2 + 4 * 13 },
  35: { name: 'TQ2_0', blockSize: QK_K, typeSize: 2 + 64 },
  39: { name: 'MXFP4', blockSize: 32, typeSize: 1 + 16 },
};

/** Whether `type` is a ggml type this package knows the layout of. */
export function isGgmlType(type: number): type is GgmlType {
  return Object.hasOwn(infos, type);
}

/** Layout of a ggml type, or `undefined` for numbers that are not (or no longer) ggml types. */
export function ggmlTypeInfo(type: number): GgmlTypeInfo | undefined {
  return Object.hasOwn(infos, type) ? infos[type as GgmlType] : undefined;
}

/** The name of a ggml type (`Q4_K`), or `TYPE_<n>` for unknown numbers. */
export function ggmlTypeName(type: number): string {
  return ggmlTypeInfo(type)?.name ?? `TYPE_${type}`;
}

/**
 * Bytes taken by `elementCount` elements of `type`, or `undefined` when the count is not a whole
 * number of blocks or the type is unknown.
 */
export function ggmlByteSize(type: number, elementCount: number): number | undefined {
  const info = ggmlTypeInfo(type);
  if (!info || elementCount % info.blockSize !== 0) return undefined;
  return (elementCount / info.blockSize) * info.typeSize;
}

/** `llama_ftype`: the `general.file_type` values llama.cpp writes (mostly-X quantization mixes). */
export const LlamaFileType = {
  ALL_F32: 0,
  MOSTLY_F16: 1,
  MOSTLY_Q4_0: 2,
  MOSTLY_Q4_1: 3,
  MOSTLY_Q8_0: 7,
  MOSTLY_Q5_0: 8,
  MOSTLY_Q5_1: 9,
  MOSTLY_Q2_K: 10,
  MOSTLY_Q3_K_S: 11,
  MOSTLY_Q3_K_M: 12,
  MOSTLY_Q3_K_L: 13,
  MOSTLY_Q4_K_S: 14,
  MOSTLY_Q4_K_M: 15,
  MOSTLY_Q5_K_S: 16,
  MOSTLY_Q5_K_M: 17,
  MOSTLY_Q6_K: 18,
  MOSTLY_IQ2_XXS: 19,
  MOSTLY_IQ2_XS: 20,
  MOSTLY_Q2_K_S: 21,
  MOSTLY_IQ3_XS: 22,
  MOSTLY_IQ3_XXS: 23,
  MOSTLY_IQ1_S: 24,
  MOSTLY_IQ4_NL: 25,
  MOSTLY_IQ3_S: 26,
  MOSTLY_IQ3_M: 27,
  MOSTLY_IQ2_S: 28,
  MOSTLY_IQ2_M: 29,
  MOSTLY_IQ4_XS: 30,
  MOSTLY_IQ1_M: 31,
  MOSTLY_BF16: 32,
  MOSTLY_TQ1_0: 36,
  MOSTLY_TQ2_0: 37,
  MOSTLY_MXFP4_MOE: 38,
} as const;
export type LlamaFileType = (typeof LlamaFileType)[keyof typeof LlamaFileType];

/** A readable name for a `general.file_type` value (`Q4_K_M`), or `undefined` when unknown. */
export function llamaFileTypeName(fileType: number): string | undefined {
  for (const [name, value] of Object.entries(LlamaFileType)) {
    if (value === fileType) return name.replace(/^(MOSTLY|ALL)_/, '');
  }
  return undefined;
}
