/**
 * Which Hugging Face architectures convert to which llama.cpp architecture, and how their
 * tensors are named and laid out there.
 */
import { LlmrError } from '@llmr/core';

export interface ArchitectureSpec {
  /** llama.cpp's `general.architecture`. */
  gguf: 'llama' | 'qwen2' | 'qwen3';
  /**
   * llama.cpp's llama arch rotates interleaved pairs while HF rotates halves, so Q and K
   * rows are permuted for it; qwen2/qwen3 use the NEOX (halves) layout as HF does.
   */
  permuteQK: boolean;
}

const architectures: Record<string, ArchitectureSpec> = {
  LlamaForCausalLM: { gguf: 'llama', permuteQK: true },
  MistralForCausalLM: { gguf: 'llama', permuteQK: true },
  Qwen2ForCausalLM: { gguf: 'qwen2', permuteQK: false },
  Qwen3ForCausalLM: { gguf: 'qwen3', permuteQK: false },
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

/**
 * Options of the config that change the computation and that neither converter carries:
 * refused here, naming the option, rather than converted into a model that computes
 * something else. Returns notes on what was converted with a caveat.
 */
export function checkArchitectureOptions(
  config: Record<string, unknown>,
  arch: ArchitectureSpec & { hf: string },
): string[] {
  const refuse = (option: string, why: string) => {
    throw new LlmrError({
      code: 'convert-unsupported-config',
      message: `Cannot convert ${arch.hf} with ${option}: ${why}.`,
    });
  };
  const activation = config.hidden_act ?? config.hidden_activation ?? 'silu';
  if (activation !== 'silu')
    refuse(
      `hidden_act "${String(activation)}"`,
      'the Llama-family MLP is converted with SiLU only',
    );
  if (config.mlp_bias === true)
    refuse('mlp_bias: true', 'biases on the MLP projections are not converted yet');
  if (config.use_sliding_window === true)
    refuse(
      'use_sliding_window: true',
      `llama.cpp's ${arch.gguf} architecture has no sliding-window attention`,
    );
  const notes: string[] = [];
  const window = config.sliding_window;
  const positions = config.max_position_embeddings;
  if (
    arch.hf === 'MistralForCausalLM' &&
    typeof window === 'number' &&
    (typeof positions !== 'number' || window < positions)
  ) {
    notes.push(
      `sliding_window ${window}: llama.cpp's llama architecture attends to the whole context, so the GGUF's context length is the window, where the two agree`,
    );
  }
  return notes;
}

// The name map lives in @llmr/gguf, shared with the runtimes that read these files.
export { ggufTensorName } from '@llmr/gguf';

/**
 * Reorders the rows of a Q or K projection ([heads * headDim, columns], or a bias with
 * columns = 1) from HF's
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
