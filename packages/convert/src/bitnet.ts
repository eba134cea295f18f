/**
 * BitNet b1.58 for llama.cpp's `bitnet` architecture: which Hugging Face checkpoints fit it,
 * and the absmean ternarization its projections apply (`weight_quant` in 1bitLLM's
 * BitLinear, as llama.cpp's converter applies it before writing).
 *
 * Each projection is written as its trits (-1, 0, 1) plus a one-element `.scale` tensor that
 * llama.cpp's graph multiplies the product by, so TQ1_0/TQ2_0 blocks (scale d = 1) and F16
 * both hold the ternary weights exactly and the scale stays float32.
 */
import { LlmrError } from '@llmr/core';

const TERNARY_PROJECTION =
  /^model\.layers\.\d+\.(self_attn\.[qkvo]_proj|mlp\.(gate|up|down)_proj)\.weight$/;

/** Whether an HF tensor is one of BitNet's BitLinear projections (ternarized). */
export function isTernaryProjection(name: string): boolean {
  return TERNARY_PROJECTION.test(name);
}

/** GGUF name of a projection's scale tensor: `blk.N.attn_q.weight` -> `blk.N.attn_q.scale`. */
export function scaleTensorName(ggufWeightName: string): string {
  return ggufWeightName.replace(/\.weight$/, '.scale');
}

/** torch.round (halves to even), on a float32 value. */
function roundToEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/**
 * Absmean ternarization: scale = max(mean |w|, 1e-5) in float32, trit = clamp(round(w / scale),
 * -1, 1). Returns the trits as float32 values (what the GGUF writer encodes) and the scale.
 */
export function ternarize(weight: Float32Array): { trits: Float32Array; scale: number } {
  let total = 0;
  for (let index = 0; index < weight.length; index++) total += Math.abs(weight[index]!);
  const scale = Math.fround(Math.max(Math.fround(total / weight.length), 1e-5));
  const inverse = Math.fround(1 / scale);
  const trits = new Float32Array(weight.length);
  for (let index = 0; index < weight.length; index++) {
    const trit = roundToEven(Math.fround(weight[index]! * inverse));
    trits[index] = Math.min(1, Math.max(-1, trit));
  }
  return { trits, scale };
}

/**
 * Refuses BitNet checkpoints llama.cpp's `bitnet` graph would run wrongly: it applies SiLU-gated
 * FFNs and projects logits with the token embeddings.
 */
export function checkBitnetConfig(config: Record<string, unknown>, tensorNames: Iterable<string>) {
  const activation = config.hidden_act ?? 'silu';
  if (activation !== 'silu') {
    throw new LlmrError({
      code: 'convert-unsupported-config',
      message: `BitNet with hidden_act "${String(activation)}" cannot convert: llama.cpp's bitnet architecture gates its FFN with SiLU. Only SiLU BitNet checkpoints (1bitLLM's bitnet_b1_58 family) are supported.`,
    });
  }
  const names = new Set(tensorNames);
  if (names.has('lm_head.weight') && config.tie_word_embeddings !== true) {
    throw new LlmrError({
      code: 'convert-unsupported-config',
      message:
        "This BitNet checkpoint has its own lm_head.weight, but llama.cpp's bitnet architecture computes logits with the token embeddings; set tie_word_embeddings only if the two are equal.",
    });
  }
  for (const name of names) {
    if (/(weight_scale|\.qweight)$/.test(name)) {
      throw new LlmrError({
        code: 'convert-unsupported-config',
        message: `${name}: pre-packed BitNet weights are not converted; use the checkpoint with latent (float) weights.`,
      });
    }
  }
}
