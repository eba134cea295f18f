/**
 * The sizes of a Llama-family decoder read from config.json, checked once for the graph
 * exporters (ONNX, TF.js): a missing or non-numeric field is refused by name.
 */
import { LlmrError } from '@llmr/core';

export function configNumber(
  config: Record<string, unknown>,
  key: string,
  fallback?: number,
): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new LlmrError({
      code: 'convert-invalid-config',
      message: `config.json: "${key}" must be a number; got ${JSON.stringify(config[key])}.`,
    });
  }
  return value;
}

export interface DecoderDimensions {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  layers: number;
  vocab: number;
  eps: number;
  theta: number;
  maxPositions: number;
  /** Query heads per KV head. */
  group: number;
}

export function decoderDimensions(config: Record<string, unknown>): DecoderDimensions {
  const hidden = configNumber(config, 'hidden_size');
  const heads = configNumber(config, 'num_attention_heads');
  const kvHeads = configNumber(config, 'num_key_value_heads', heads);
  const headDim = configNumber(config, 'head_dim', hidden / heads);
  const layers = configNumber(config, 'num_hidden_layers');
  const vocab = configNumber(config, 'vocab_size');
  // Read for its check only: the MLP's width comes from the weights' shapes.
  configNumber(config, 'intermediate_size');
  const eps = configNumber(config, 'rms_norm_eps', 1e-6);
  const theta = configNumber(config, 'rope_theta', 10000);
  const maxPositions = configNumber(config, 'max_position_embeddings', 2048);
  const group = heads / kvHeads;
  if (!Number.isInteger(group) || headDim % 2 !== 0) {
    throw new LlmrError({
      code: 'convert-invalid-config',
      message: `config.json: num_attention_heads (${heads}) must be a multiple of num_key_value_heads (${kvHeads}) and head_dim (${headDim}) even.`,
    });
  }
  return { hidden, heads, kvHeads, headDim, layers, vocab, eps, theta, maxPositions, group };
}
