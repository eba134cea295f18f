/**
 * Which Hugging Face architectures convert to which llama.cpp architecture, and how their
 * tensors are named and laid out there.
 */
import { LlmrError } from '@llmr/core';
import { ggufTensorName } from '@llmr/gguf';
import { ropeScalingOf } from './rope-scaling';

export interface ArchitectureSpec {
  /** llama.cpp's `general.architecture`. */
  gguf: 'llama' | 'qwen2' | 'qwen3' | 'bitnet' | 'phi3' | 'gemma2' | 'gemma3';
  /**
   * llama.cpp's llama arch rotates interleaved pairs while HF rotates halves, so Q and K
   * rows are permuted for it; qwen2/qwen3 use the NEOX (halves) layout as HF does.
   */
  permuteQK: boolean;
  /** BitNet b1.58: projections are ternarized (absmean) and written with a scale tensor. */
  ternary?: boolean;
  /**
   * The config's `sliding_window` applies (HF masks keys that far back) but llama.cpp's
   * architecture attends to the whole context: the GGUF's context stops at the window.
   */
  windowOutsideLlamaCpp?: boolean;
  /** Phi-3: one qkv_proj and one gate_up_proj, kept fused in the GGUF as llama.cpp reads them. */
  fused?: boolean;
  /**
   * Gemma: norm weights are offsets from 1, GELU-tanh gating, embeddings scaled by
   * sqrt(hidden), norms after attention and MLP, soft-capping, alternating local/global
   * attention, query_pre_attn_scalar.
   */
  gemma?: boolean;
}

const architectures: Record<string, ArchitectureSpec> = {
  LlamaForCausalLM: { gguf: 'llama', permuteQK: true },
  MistralForCausalLM: { gguf: 'llama', permuteQK: true, windowOutsideLlamaCpp: true },
  Qwen2ForCausalLM: { gguf: 'qwen2', permuteQK: false },
  Qwen3ForCausalLM: { gguf: 'qwen3', permuteQK: false },
  Phi3ForCausalLM: { gguf: 'phi3', permuteQK: false, windowOutsideLlamaCpp: true, fused: true },
  Gemma2ForCausalLM: { gguf: 'gemma2', permuteQK: false, gemma: true },
  Gemma3ForCausalLM: { gguf: 'gemma3', permuteQK: false, gemma: true },
  // llama.cpp's bitnet arch ropes in NEOX (halves) order, as HF does.
  BitnetForCausalLM: { gguf: 'bitnet', permuteQK: false, ternary: true },
  BitNetForCausalLM: { gguf: 'bitnet', permuteQK: false, ternary: true },
};

/** Gemma's norms around attention and MLP, as llama.cpp names them. */
const GEMMA_TENSORS: Record<string, string> = {
  'post_attention_layernorm.weight': 'post_attention_norm.weight',
  'pre_feedforward_layernorm.weight': 'ffn_norm.weight',
  'post_feedforward_layernorm.weight': 'post_ffw_norm.weight',
};

/** Phi-3's fused tensors and their llama.cpp names (gate_up stays fused: gate rows first). */
const FUSED_TENSORS: Record<string, string> = {
  'self_attn.qkv_proj.weight': 'attn_qkv.weight',
  'mlp.gate_up_proj.weight': 'ffn_up.weight',
};

/** The GGUF name of an HF tensor of this architecture, or undefined when llama.cpp has no use for it. */
export function architectureTensorName(arch: ArchitectureSpec, name: string): string | undefined {
  // Gemma's head is always its embedding matrix in llama.cpp.
  if (arch.gemma && name === 'lm_head.weight') return undefined;
  const own = arch.fused ? FUSED_TENSORS : arch.gemma ? GEMMA_TENSORS : undefined;
  const match = own && /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  const mapped = match && own[match[2]!];
  return mapped ? `blk.${match[1]}.${mapped}` : ggufTensorName(name);
}

/**
 * Which layers attend in a sliding window: Gemma's alternate (Gemma 2 every other layer,
 * Gemma 3 five of six; `layer_types` when the config lists them); Mistral's and Phi-3's
 * all (when the window is in effect); others none.
 */
export function slidingLayers(config: Record<string, unknown>, arch: ArchitectureSpec): boolean[] {
  const layers = typeof config.num_hidden_layers === 'number' ? config.num_hidden_layers : 0;
  if (Array.isArray(config.layer_types))
    return config.layer_types.map((type) => type === 'sliding_attention');
  if (arch.gemma) {
    if (typeof config.sliding_window !== 'number') return new Array(layers).fill(false);
    const pattern = arch.gguf === 'gemma2' ? 2 : slidingPattern(config);
    return Array.from({ length: layers }, (_, layer) => layer % pattern < pattern - 1);
  }
  return new Array(layers).fill(slidingWindowOf(config, arch) !== undefined);
}

/** Gemma 3's `sliding_window_pattern` (every Nth layer is global), default 6. */
export function slidingPattern(config: Record<string, unknown>): number {
  const pattern = config.sliding_window_pattern ?? 6;
  if (typeof pattern !== 'number' || !Number.isInteger(pattern) || pattern < 1) {
    throw new LlmrError({
      code: 'convert-invalid-config',
      message: `config.json: sliding_window_pattern must be a positive integer; got ${JSON.stringify(pattern)}.`,
    });
  }
  return pattern;
}

/**
 * The sliding window the HF model applies where llama.cpp does not (see
 * `windowOutsideLlamaCpp`), or undefined when there is none in effect.
 */
export function slidingWindowOf(
  config: Record<string, unknown>,
  arch: ArchitectureSpec,
): number | undefined {
  const window = config.sliding_window;
  if (!arch.windowOutsideLlamaCpp || typeof window !== 'number') return undefined;
  const positions = config.max_position_embeddings;
  return typeof positions === 'number' && window >= positions ? undefined : window;
}

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
  // Gemma reads hidden_activation (its configs carry both); the others hidden_act.
  const activation = arch.gemma
    ? (config.hidden_activation ?? config.hidden_act ?? 'gelu_pytorch_tanh')
    : (config.hidden_act ?? 'silu');
  const expected = arch.gemma ? 'gelu_pytorch_tanh' : 'silu';
  if (activation !== expected)
    refuse(`hidden_act "${String(activation)}"`, `${arch.hf} is converted with ${expected} only`);
  if (arch.gemma && config.tie_word_embeddings === false)
    refuse('tie_word_embeddings: false', "llama.cpp's Gemma uses the embedding matrix as its head");
  if (config.mlp_bias === true)
    refuse('mlp_bias: true', 'biases on the MLP projections are not converted yet');
  if (config.use_sliding_window === true)
    refuse(
      'use_sliding_window: true',
      `llama.cpp's ${arch.gguf} architecture has no sliding-window attention, and the ONNX export does not apply Qwen's per-layer window (max_window_layers) yet`,
    );
  const rotary = config.partial_rotary_factor ?? 1;
  if (rotary !== 1)
    refuse(
      `partial_rotary_factor ${String(rotary)}`,
      'RoPE over part of each head is not converted yet',
    );
  const rope = ropeScalingOf(config);
  if (rope.type === 'longrope' && arch.gguf !== 'phi3')
    refuse('rope_scaling type "longrope"', 'LongRoPE is converted for Phi3ForCausalLM only');
  if (rope.type === 'yarn' && (arch.gemma || arch.fused))
    refuse('rope_scaling type "yarn"', 'YaRN is converted for Llama, Mistral and Qwen only');
  const notes: string[] = [];
  const window = slidingWindowOf(config, arch);
  if (window !== undefined) {
    notes.push(
      `sliding_window ${window}: llama.cpp's ${arch.gguf} architecture attends to the whole context, so the GGUF's context length is the window, where the two agree`,
    );
  }
  if (rope.type === 'longrope') {
    notes.push(
      `LongRoPE: llama.cpp uses the long factors when its context size passes ${rope.originalMaxPositionEmbeddings}, transformers when the sequence does; they agree for contexts up to ${rope.originalMaxPositionEmbeddings} and for sequences past it`,
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
