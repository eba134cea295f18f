/**
 * Which ggml type each matrix gets under the K-quant dtypes, following llama.cpp's
 * `llama_tensor_get_type` (src/llama-quant.cpp) for the file types it names:
 * - `q4_k_m` / `q5_k_m` (LLAMA_FTYPE_MOSTLY_Q4_K_M / Q5_K_M): Q4_K / Q5_K, except attn_v (and
 *   fused attn_qkv) and ffn_down of the layers `useMoreBits` picks, and the output matrix (the
 *   token embedding too when it is tied to the output), which get Q6_K.
 * - `q6_k`: Q6_K everywhere (llama.cpp's Q6_K mix changes nothing else).
 * - `q2_k` / `q3_k` / `q4_k` / `q5_k`: that type everywhere, as `llama-quantize --pure` writes.
 * A matrix whose rows are not a multiple of 256 values falls back as llama.cpp's
 * `tensor_type_fallback` does (Q2_K, Q3_K -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0; F16 when rows are not
 * a multiple of 32 either); an output matrix with such rows gets Q8_0.
 */
import { GgmlType, ggmlTypeName, LlamaFileType } from '@llmr/gguf';

export type KQuantDtype = 'q2_k' | 'q3_k' | 'q4_k' | 'q5_k' | 'q6_k' | 'q4_k_m' | 'q5_k_m';
export const K_QUANT_DTYPES: readonly KQuantDtype[] = [
  'q2_k',
  'q3_k',
  'q4_k',
  'q5_k',
  'q6_k',
  'q4_k_m',
  'q5_k_m',
];
/** The dtypes that put every matrix in one type. */
const PURE: ReadonlySet<KQuantDtype> = new Set(['q2_k', 'q3_k', 'q4_k', 'q5_k']);

const QK_K = 256;

const baseType: Record<KQuantDtype, GgmlType> = {
  q2_k: GgmlType.Q2_K,
  q3_k: GgmlType.Q3_K,
  q4_k: GgmlType.Q4_K,
  q5_k: GgmlType.Q5_K,
  q6_k: GgmlType.Q6_K,
  q4_k_m: GgmlType.Q4_K,
  q5_k_m: GgmlType.Q5_K,
};

/** `general.file_type` of each dtype (the pure ones as llama-quantize --pure Q2_K, Q3_K_S, Q4_K_S, Q5_K_S). */
export const K_QUANT_FILE_TYPES: Record<KQuantDtype, number> = {
  q2_k: LlamaFileType.MOSTLY_Q2_K,
  q3_k: LlamaFileType.MOSTLY_Q3_K_S,
  q4_k: LlamaFileType.MOSTLY_Q4_K_S,
  q5_k: LlamaFileType.MOSTLY_Q5_K_S,
  q6_k: LlamaFileType.MOSTLY_Q6_K,
  q4_k_m: LlamaFileType.MOSTLY_Q4_K_M,
  q5_k_m: LlamaFileType.MOSTLY_Q5_K_M,
};

const fallbackType: Partial<Record<GgmlType, GgmlType>> = {
  [GgmlType.Q2_K]: GgmlType.Q4_0,
  [GgmlType.Q3_K]: GgmlType.Q4_0,
  [GgmlType.Q4_K]: GgmlType.Q5_0,
  [GgmlType.Q5_K]: GgmlType.Q5_1,
  [GgmlType.Q6_K]: GgmlType.Q8_0,
};

export function isKQuantDtype(dtype: string): dtype is KQuantDtype {
  return (K_QUANT_DTYPES as readonly string[]).includes(dtype);
}

/**
 * llama.cpp's `use_more_bits`: the first and last eighth of the layers and every third one in
 * between get the larger type.
 */
export function useMoreBits(layer: number, layerCount: number): boolean {
  const eighth = Math.trunc(layerCount / 8);
  return layer < eighth || layer >= Math.trunc((7 * layerCount) / 8) || (layer - eighth) % 3 === 2;
}

export interface KQuantTensor {
  /** GGUF tensor name (`blk.3.attn_v.weight`, `output.weight`). */
  name: string;
  /** Values per row (ggml's ne[0]). */
  columns: number;
  /** Number of transformer blocks. */
  layerCount: number;
  /** Whether the model has no output matrix of its own (the token embedding serves as it). */
  tiedEmbeddings: boolean;
}

export interface KQuantChoice {
  type: GgmlType;
  /** Why the type is not the one the mix asked for, when it is not. */
  fallback?: string;
}

function layerOf(name: string): number {
  const match = /^blk\.(\d+)\./.exec(name);
  return match ? Number(match[1]) : -1;
}

/** The type the mix asks for before shape fallbacks. */
function mixType(dtype: KQuantDtype, tensor: KQuantTensor): GgmlType {
  const base = baseType[dtype];
  if (PURE.has(dtype)) return base;
  const { name } = tensor;
  const isOutput =
    name === 'output.weight' || (tensor.tiedEmbeddings && name === 'token_embd.weight');
  if (isOutput) return tensor.columns % QK_K !== 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
  if (dtype === 'q6_k') return base;
  // llama.cpp counts attn_v tensors in layer order and ffn_down tensors by layer; with one of
  // each per block (no experts) both are the layer index.
  const attentionV = name.includes('attn_v.weight') || name.includes('attn_qkv.weight');
  if ((attentionV || name.includes('ffn_down')) && useMoreBits(layerOf(name), tensor.layerCount)) {
    return GgmlType.Q6_K;
  }
  return base;
}

/** The ggml type of a matrix (a tensor of two or more dimensions) under a K-quant dtype. */
export function kQuantTensorType(dtype: KQuantDtype, tensor: KQuantTensor): KQuantChoice {
  const wanted = mixType(dtype, tensor);
  const block = wanted === GgmlType.Q8_0 ? 32 : QK_K;
  if (tensor.columns % block === 0) return { type: wanted };
  const fallback = fallbackType[wanted];
  const type = fallback !== undefined && tensor.columns % 32 === 0 ? fallback : GgmlType.F16;
  return {
    type,
    fallback: `row length ${tensor.columns} is not a multiple of ${block} (${ggmlTypeName(wanted)}); ${ggmlTypeName(type)} as llama-quantize falls back`,
  };
}
