/**
 * `rope_scaling` (transformers' `rope_parameters` in newer configs) read once for both
 * converters: which kinds llmr converts, and the per-frequency divisors llama.cpp applies
 * (its `rope_freqs` tensor for llama3; ONNX folds them into the cos/sin tables).
 */
import { LlmrError } from '@llmr/core';

export type RopeScalingSpec =
  | { type: 'none' }
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    }
  | {
      type: 'yarn';
      factor: number;
      originalMaxPositionEmbeddings: number;
      /** What cos and sin are multiplied by: 0.1 ln(factor) + 1. */
      attentionFactor: number;
    }
  | {
      /** Phi-3's LongRoPE (also spelled `su`). */
      type: 'longrope';
      shortFactor: readonly number[];
      longFactor: readonly number[];
      originalMaxPositionEmbeddings: number;
      /** What cos and sin are multiplied by. */
      attentionFactor: number;
    };

export const SUPPORTED_ROPE_SCALING = ['linear', 'llama3', 'yarn', 'longrope'] as const;

/** Why each known kind is not converted, so the refusal says what is missing. */
const UNSUPPORTED: Record<string, string> = {
  dynamic:
    'llama.cpp has no dynamic NTK scaling (the base changes with the sequence length), so a GGUF could not compute what transformers does past max_position_embeddings',
};

function positiveNumber(scaling: Record<string, unknown>, key: string, fallback?: number): number {
  const value = scaling[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new LlmrError({
      code: 'convert-invalid-config',
      message: `config.json: rope_scaling.${key} must be a positive number; got ${JSON.stringify(scaling[key])}.`,
    });
  }
  return value;
}

/** The config's rope scaling, or a refusal naming the type and what llmr converts. */
export function ropeScalingOf(config: Record<string, unknown>): RopeScalingSpec {
  const raw = config.rope_scaling ?? config.rope_parameters;
  if (raw === undefined || raw === null) return { type: 'none' };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new LlmrError({
      code: 'convert-invalid-config',
      message: `config.json: rope_scaling must be an object or null; got ${JSON.stringify(raw)}.`,
    });
  }
  const scaling = raw as Record<string, unknown>;
  const type = scaling.rope_type ?? scaling.type ?? 'default';
  if (type === 'default') return { type: 'none' };
  if (type === 'linear') {
    const factor = positiveNumber(scaling, 'factor');
    return factor === 1 ? { type: 'none' } : { type, factor };
  }
  if (type === 'llama3') {
    // Defaults as convert_hf_to_gguf.py takes them.
    const spec = {
      type,
      factor: positiveNumber(scaling, 'factor', 8),
      lowFreqFactor: positiveNumber(scaling, 'low_freq_factor', 1),
      highFreqFactor: positiveNumber(scaling, 'high_freq_factor', 4),
      originalMaxPositionEmbeddings: positiveNumber(
        scaling,
        'original_max_position_embeddings',
        8192,
      ),
    } as const;
    if (spec.highFreqFactor <= spec.lowFreqFactor) {
      throw new LlmrError({
        code: 'convert-invalid-config',
        message: `config.json: rope_scaling.high_freq_factor (${spec.highFreqFactor}) must be greater than low_freq_factor (${spec.lowFreqFactor}).`,
      });
    }
    return spec;
  }
  if (type === 'longrope' || type === 'su') return longRope(config, scaling);
  if (type === 'yarn') return yarn(config, scaling);
  const why = UNSUPPORTED[String(type)] ?? `rope_scaling type "${String(type)}" is unknown to llmr`;
  throw new LlmrError({
    code: 'convert-unsupported-rope-scaling',
    message: `Cannot convert rope_scaling type "${String(type)}": ${why}. Supported types: ${SUPPORTED_ROPE_SCALING.join(', ')} (or none).`,
  });
}

/**
 * YaRN as llama.cpp computes it: the factor and original context from rope_scaling, its
 * fixed betas (32, 1) and attention factor 0.1 ln(factor) + 1. Options llama.cpp does not
 * read are refused by name rather than dropped.
 */
function yarn(config: Record<string, unknown>, scaling: Record<string, unknown>): RopeScalingSpec {
  const refuse = (option: string, why: string): never => {
    throw new LlmrError({
      code: 'convert-unsupported-rope-scaling',
      message: `Cannot convert rope_scaling type "yarn" with ${option}: ${why}.`,
    });
  };
  for (const [key, fixed] of [
    ['beta_fast', 32],
    ['beta_slow', 1],
  ] as const) {
    const value = scaling[key];
    if (value !== undefined && value !== null && value !== fixed)
      refuse(`${key} ${String(value)}`, `llama.cpp reads no ${key} and uses ${fixed}`);
  }
  for (const key of ['attention_factor', 'mscale', 'mscale_all_dim'])
    if (scaling[key] !== undefined && scaling[key] !== null)
      refuse(key, 'llama.cpp computes the attention factor as 0.1 ln(factor) + 1');
  if (scaling.truncate === false) refuse('truncate: false', 'llama.cpp rounds the ramp bounds');
  const factor = positiveNumber(scaling, 'factor');
  const original = positiveNumber(
    {
      original_max_position_embeddings: config.max_position_embeddings,
      ...scaling,
    },
    'original_max_position_embeddings',
  );
  return {
    type: 'yarn',
    factor,
    originalMaxPositionEmbeddings: original,
    attentionFactor: factor <= 1 ? 1 : 0.1 * Math.log(factor) + 1,
  };
}

function factorList(scaling: Record<string, unknown>, key: string): number[] {
  const value = scaling[key];
  if (
    !Array.isArray(value) ||
    value.length > 65536 ||
    !value.every((item) => typeof item === 'number' && Number.isFinite(item) && item > 0)
  ) {
    throw new LlmrError({
      code: 'convert-invalid-config',
      message: `config.json: rope_scaling.${key} must be a list of positive numbers (one per rotary frequency).`,
    });
  }
  return value as number[];
}

/**
 * LongRoPE as transformers and convert_hf_to_gguf read it: the pretrained context from
 * rope_scaling or the config's top level (Phi-3), and an attention factor from the ratio of
 * max_position_embeddings to it unless rope_scaling names one.
 */
function longRope(
  config: Record<string, unknown>,
  scaling: Record<string, unknown>,
): RopeScalingSpec {
  const original = positiveNumber(
    { original_max_position_embeddings: config.original_max_position_embeddings, ...scaling },
    'original_max_position_embeddings',
  );
  const positions = config.max_position_embeddings;
  const ratio = typeof positions === 'number' ? positions / original : 1;
  const attentionFactor =
    scaling.attention_factor === undefined || scaling.attention_factor === null
      ? ratio <= 1
        ? 1
        : Math.sqrt(1 + Math.log(ratio) / Math.log(original))
      : positiveNumber(scaling, 'attention_factor');
  return {
    type: 'longrope',
    shortFactor: factorList(scaling, 'short_factor'),
    longFactor: factorList(scaling, 'long_factor'),
    originalMaxPositionEmbeddings: original,
    attentionFactor,
  };
}

/**
 * What each of the headDim/2 RoPE frequencies is divided by: llama.cpp's rope factors
 * (convert_hf_to_gguf's llama3 formula), 1 everywhere when unscaled, the factor everywhere
 * for linear scaling, LongRoPE's short or long factors.
 */
export function ropeFrequencyDivisors(
  spec: RopeScalingSpec,
  theta: number,
  headDim: number,
  which: 'short' | 'long' = 'short',
): Float32Array {
  const half = headDim / 2;
  if (spec.type === 'none') return new Float32Array(half).fill(1);
  if (spec.type === 'linear') return new Float32Array(half).fill(spec.factor);
  if (spec.type === 'yarn') {
    // ggml_rope_yarn_corr_dims: the frequencies between these dimensions blend
    // interpolation (divided by the factor) and extrapolation (kept) along a ramp.
    const correction = (rotations: number) =>
      (headDim * Math.log(spec.originalMaxPositionEmbeddings / (rotations * 2 * Math.PI))) /
      (2 * Math.log(theta));
    const low = Math.max(0, Math.floor(correction(32)));
    const high = Math.min(headDim - 1, Math.ceil(correction(1)));
    return Float32Array.from({ length: half }, (_, index) => {
      const ramp = Math.min(1, Math.max(0, (index - low) / Math.max(0.001, high - low)));
      const extrapolation = 1 - ramp;
      return 1 / ((1 - extrapolation) / spec.factor + extrapolation);
    });
  }
  if (spec.type === 'longrope') {
    const factors = which === 'long' ? spec.longFactor : spec.shortFactor;
    if (factors.length !== half) {
      throw new LlmrError({
        code: 'convert-invalid-config',
        message: `config.json: rope_scaling.${which}_factor has ${factors.length} entries; head_dim ${headDim} needs ${half}.`,
      });
    }
    return Float32Array.from(factors);
  }
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings } = spec;
  const lowFreqWavelength = originalMaxPositionEmbeddings / lowFreqFactor;
  const highFreqWavelength = originalMaxPositionEmbeddings / highFreqFactor;
  return Float32Array.from({ length: half }, (_, index) => {
    const wavelength = 2 * Math.PI * theta ** ((2 * index) / headDim);
    if (wavelength < highFreqWavelength) return 1;
    if (wavelength > lowFreqWavelength) return factor;
    const smooth =
      (originalMaxPositionEmbeddings / wavelength - lowFreqFactor) /
      (highFreqFactor - lowFreqFactor);
    return 1 / ((1 - smooth) / factor + smooth);
  });
}
