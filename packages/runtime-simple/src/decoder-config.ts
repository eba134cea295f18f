/**
 * The shape of a Llama-family decoder, read from GGUF metadata or a Hugging Face
 * config.json: sizes, RoPE layout, and the per-architecture extras (Qwen2's Q/K/V
 * biases, Qwen3's per-head Q/K RMSNorm).
 */
import { LoadError } from '@llmr/core';

export interface DecoderConfig {
  /** `llama`, `mistral`, `qwen2`, `qwen3`. */
  architecture: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ropeTheta: number;
  rmsNormEps: number;
  contextLength: number;
  /**
   * Rotate halves (i, i + d/2), as Hugging Face and llama.cpp's NEOX mode do; false for
   * adjacent pairs, llama.cpp's layout for `llama` GGUFs (whose Q/K rows were permuted).
   */
  ropeNeox: boolean;
}

const SUPPORTED_GGUF = ['llama', 'mistral', 'qwen2', 'qwen3'];
const SUPPORTED_HF: Record<string, string> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
};

function check(config: DecoderConfig, source: string): DecoderConfig {
  const problems: string[] = [];
  for (const key of [
    'vocabSize',
    'hiddenSize',
    'intermediateSize',
    'layers',
    'heads',
    'kvHeads',
    'headDim',
  ] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value <= 0 || value > 1 << 24)
      problems.push(`${key} is ${value}`);
  }
  if (config.heads % config.kvHeads !== 0)
    problems.push(`heads (${config.heads}) do not divide by kv heads (${config.kvHeads})`);
  if (config.headDim % 2 !== 0) problems.push(`head dim ${config.headDim} is odd`);
  if (problems.length > 0)
    throw new LoadError({
      source,
      code: 'runtime-simple-bad-config',
      message: `The model's configuration is not a usable decoder: ${problems.join('; ')}.`,
    });
  return config;
}

type NumberOf = (key: string) => number | undefined;

/** From GGUF metadata (`<arch>.embedding_length`, ...). */
export function decoderConfigFromGguf(
  metadata: Record<string, unknown>,
  tokenCount: number | undefined,
  source: string,
): DecoderConfig {
  const architecture = metadata['general.architecture'];
  if (typeof architecture !== 'string' || !SUPPORTED_GGUF.includes(architecture))
    throw new LoadError({
      source,
      code: 'runtime-simple-unsupported-architecture',
      message: `GGUF architecture "${String(architecture)}" is not supported by @llmr/runtime-simple (supported: ${SUPPORTED_GGUF.join(', ')}); load it with @llmr/loader-gguf (llama.cpp).`,
    });
  const number: NumberOf = (key) => {
    const value = metadata[`${architecture}.${key}`];
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === 'number'
      ? first
      : typeof first === 'bigint'
        ? Number(first)
        : undefined;
  };
  const hiddenSize = number('embedding_length') ?? 0;
  const heads = number('attention.head_count') ?? 0;
  return check(
    {
      architecture,
      vocabSize: number('vocab_size') ?? tokenCount ?? 0,
      hiddenSize,
      intermediateSize: number('feed_forward_length') ?? 0,
      layers: number('block_count') ?? 0,
      heads,
      kvHeads: number('attention.head_count_kv') ?? heads,
      headDim: number('attention.key_length') ?? (heads > 0 ? hiddenSize / heads : 0),
      ropeTheta: number('rope.freq_base') ?? 10000,
      rmsNormEps: number('attention.layer_norm_rms_epsilon') ?? 1e-5,
      contextLength: number('context_length') ?? 2048,
      ropeNeox: architecture === 'qwen2' || architecture === 'qwen3',
    },
    source,
  );
}

/** From a Hugging Face config.json. */
export function decoderConfigFromHf(
  config: Record<string, unknown>,
  source: string,
): DecoderConfig {
  const names = Array.isArray(config.architectures) ? config.architectures : [];
  const hf = names.find((name): name is string => typeof name === 'string' && name in SUPPORTED_HF);
  if (!hf)
    throw new LoadError({
      source,
      code: 'runtime-simple-unsupported-architecture',
      message: `config.json architectures ${JSON.stringify(names)} are not supported by @llmr/runtime-simple (supported: ${Object.keys(SUPPORTED_HF).join(', ')}).`,
    });
  const number: NumberOf = (key) =>
    typeof config[key] === 'number' ? (config[key] as number) : undefined;
  const hiddenSize = number('hidden_size') ?? 0;
  const heads = number('num_attention_heads') ?? 0;
  const scaling = config.rope_scaling as { rope_type?: string; type?: string } | null | undefined;
  const scalingType = scaling?.rope_type ?? scaling?.type;
  if (scalingType && scalingType !== 'default')
    throw new LoadError({
      source,
      code: 'runtime-simple-unsupported-rope-scaling',
      message: `rope_scaling "${scalingType}" is not supported by @llmr/runtime-simple yet; use a model without RoPE scaling or another loader.`,
    });
  return check(
    {
      architecture: SUPPORTED_HF[hf]!,
      vocabSize: number('vocab_size') ?? 0,
      hiddenSize,
      intermediateSize: number('intermediate_size') ?? 0,
      layers: number('num_hidden_layers') ?? 0,
      heads,
      kvHeads: number('num_key_value_heads') ?? heads,
      headDim: number('head_dim') ?? (heads > 0 ? hiddenSize / heads : 0),
      ropeTheta: number('rope_theta') ?? 10000,
      rmsNormEps: number('rms_norm_eps') ?? 1e-6,
      contextLength: number('max_position_embeddings') ?? 2048,
      ropeNeox: true,
    },
    source,
  );
}
