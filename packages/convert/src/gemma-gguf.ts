/**
 * Gemma 2/3 as llama.cpp's gemma2/gemma3 architectures read them: the keys they need, and
 * the refusals where llama.cpp computes something fixed that the config says otherwise
 * (its query scale is head_dim^-0.5 except for the 27B shape; Gemma 2 always soft-caps,
 * Gemma 3 never caps attention; the alternation of local and global layers is a pattern).
 */
import { LlmrError } from '@llmr/core';
import { type GgufMetadataInput, GgufValueType } from '@llmr/gguf';
import { type ArchitectureSpec, slidingLayers, slidingPattern } from './architecture';

export interface GemmaShape {
  hidden: number;
  heads: number;
  headDim: number;
  layers: number;
}

function refuse(arch: ArchitectureSpec & { hf: string }, option: string, why: string): never {
  throw new LlmrError({
    code: 'convert-unsupported-config',
    message: `Cannot convert ${arch.hf} to GGUF with ${option}: ${why}.`,
  });
}

const cap = (value: unknown) => (typeof value === 'number' && value > 0 ? value : undefined);

/** llama.cpp reads these as f32 and refuses the u32 an integral value would otherwise get. */
const float32 = (value: number): GgufMetadataInput => ({ type: GgufValueType.FLOAT32, value });

export function gemmaGgufMetadata(
  config: Record<string, unknown>,
  arch: ArchitectureSpec & { hf: string },
  shape: GemmaShape,
): [string, GgufMetadataInput][] {
  const prefix = arch.gguf;
  const scalar = config.query_pre_attn_scalar ?? shape.headDim;
  // llama.cpp (gemma_pytorch's rule): hidden/heads for the 27B models, head_dim otherwise.
  const big = shape.layers === (arch.gguf === 'gemma2' ? 46 : 62);
  const llamaCppScalar = big ? shape.hidden / shape.heads : shape.headDim;
  if (scalar !== llamaCppScalar)
    refuse(
      arch,
      `query_pre_attn_scalar ${String(scalar)}`,
      `llama.cpp scales queries by ${llamaCppScalar}^-0.5 for this shape (the ONNX export follows the config)`,
    );
  const attentionCap = cap(config.attn_logit_softcapping);
  const finalCap = cap(config.final_logit_softcapping);
  const metadata: [string, GgufMetadataInput][] = [];
  if (arch.gguf === 'gemma2') {
    if (attentionCap === undefined || finalCap === undefined)
      refuse(
        arch,
        'attn_logit_softcapping or final_logit_softcapping null',
        "llama.cpp's gemma2 always soft-caps (50 and 30 when unset)",
      );
    metadata.push(
      [`${prefix}.attn_logit_softcapping`, float32(attentionCap)],
      [`${prefix}.final_logit_softcapping`, float32(finalCap)],
    );
  } else {
    if (attentionCap !== undefined)
      refuse(arch, 'attn_logit_softcapping', "llama.cpp's gemma3 does not soft-cap attention");
    if (finalCap !== undefined)
      metadata.push([`${prefix}.final_logit_softcapping`, float32(finalCap)]);
    const local = config.rope_local_base_freq;
    if (typeof local === 'number') metadata.push([`${prefix}.rope.freq_base_swa`, float32(local)]);
  }

  const window = config.sliding_window;
  const sliding = slidingLayers(config, arch);
  if (typeof window === 'number' && sliding.some(Boolean)) {
    const pattern = arch.gguf === 'gemma2' ? 2 : slidingPattern(config);
    const expected = Array.from(
      { length: shape.layers },
      (_, layer) => layer % pattern < pattern - 1,
    );
    if (
      sliding.length !== shape.layers ||
      sliding.some((value, layer) => value !== expected[layer])
    )
      refuse(
        arch,
        'layer_types',
        `llama.cpp alternates sliding and global layers as a pattern (every ${pattern}th global)`,
      );
    metadata.push([`${prefix}.attention.sliding_window`, window]);
    if (arch.gguf === 'gemma3')
      metadata.push([`${prefix}.attention.sliding_window_pattern`, pattern]);
  } else if (arch.gguf === 'gemma2') {
    refuse(
      arch,
      'no sliding_window',
      "llama.cpp's gemma2 always slides every other layer (4096 when unset)",
    );
  }
  return metadata;
}
