/**
 * Which Hugging Face architectures convert to which llama.cpp architecture, and how their
 * tensors are named and laid out there.
 */
import { LlmrError } from '@llmr/core';

export interface ArchitectureSpec {
  /** llama.cpp's `general.architecture`. */
  gguf: 'llama' | 'qwen2' | 'qwen3' | 'bitnet';
  /**
   * llama.cpp's llama arch rotates interleaved pairs while HF rotates halves, so Q and K
   * rows are permuted for it; qwen2/qwen3 use the NEOX (halves) layout as HF does.
   */
  permuteQK: boolean;
  /** BitNet b1.58: projections are ternarized (absmean) and written with a scale tensor. */
  ternary?: boolean;
}

const architectures: Record<string, ArchitectureSpec> = {
  LlamaForCausalLM: { gguf: 'llama', permuteQK: true },
  MistralForCausalLM: { gguf: 'llama', permuteQK: true },
  Qwen2ForCausalLM: { gguf: 'qwen2', permuteQK: false },
  Qwen3ForCausalLM: { gguf: 'qwen3', permuteQK: false },
  // llama.cpp's bitnet arch ropes in NEOX (halves) order, as HF does.
  BitnetForCausalLM: { gguf: 'bitnet', permuteQK: false, ternary: true },
  BitNetForCausalLM: { gguf: 'bitnet', permuteQK: false, ternary: true },
};

export const SUPPORTED_ARCHITECTURES = Object.keys(architectures);

export function architectureOf(config: Record<string, unknown>): ArchitectureSpec & { hf: string } {
  const names = Array.isArray(config.architectures) ? (config.architectures as unknown[]) : [];
  const hf = names.find(
    (name): name is string => typeof name === 'string' && name in architectures,
  );
  if (!hf) {
    throw new LlmrError({
      code: 'convert-unsupported-architecture',
      message: `Cannot convert architecture ${names.length ? names.map(String).join(', ') : '(none in config.json)'}: supported are ${SUPPORTED_ARCHITECTURES.join(', ')}.`,
    });
  }
  return { hf, ...architectures[hf]! };
}

// The name map lives in @llmr/gguf, shared with the runtimes that read these files.
export { ggufTensorName } from '@llmr/gguf';

/**
 * Reorders the rows of a Q or K projection ([heads * headDim, columns]) from HF's
 * rotate-half layout to llama.cpp's interleaved one: within each head, row i of the first
 * half and row i of the second half become rows 2i and 2i+1. (convert_hf_to_gguf's
 * `permute`, which reshapes to (heads, 2, headDim/2, ...) and swaps axes 1 and 2.)
 */
export function permuteQK(
  data: Float32Array,
  heads: number,
  rows: number,
  columns: number,
): Float32Array {
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(data.length);
  for (let head = 0; head < heads; head++) {
    for (let index = 0; index < half; index++) {
      for (const [source, target] of [
        [index, 2 * index],
        [index + half, 2 * index + 1],
      ] as const) {
        const from = (head * headDim + source) * columns;
        const to = (head * headDim + target) * columns;
        out.set(data.subarray(from, from + columns), to);
      }
    }
  }
  return out;
}
