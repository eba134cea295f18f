/**
 * Hugging Face (config.json + tokenizer + safetensors) -> GGUF that llama.cpp loads.
 * Streams: one tensor is read, converted and written at a time, so memory stays bounded
 * by the largest tensor, not the model.
 */
import { InvalidArgumentError, LlmrError, throwIfAborted } from '@llmr/core';
import {
  GgmlType,
  type GgufMetadataInput,
  type GgufWriteResult,
  type GgufWriteTensor,
  ggmlTypeName,
  LlamaFileType,
  writeGguf,
} from '@llmr/gguf';
import {
  architectureOf,
  architectureTensorName,
  checkArchitectureOptions,
  permuteQK,
  slidingWindowOf,
} from './architecture';
import { checkBitnetConfig, isTernaryProjection, scaleTensorName, ternarize } from './bitnet';
import { gemmaGgufMetadata } from './gemma-gguf';
import type { HfDirectory } from './hf-directory';
import {
  isKQuantDtype,
  K_QUANT_DTYPES,
  K_QUANT_FILE_TYPES,
  type KQuantDtype,
  kQuantTensorType,
} from './k-quant-mix';
import { openModelSource } from './model-source';
import { choosePreTokenizer } from './pre-tokenizer-probe';
import { ropeFrequencyDivisors, ropeScalingOf } from './rope-scaling';
import { tokenizerMetadata } from './tokenizer-metadata';

/**
 * `tq1_0` / `tq2_0`: ternary types, for BitNet b1.58 models only. The K-quant dtypes
 * (`q4_k_m` etc.) choose a type per tensor: see ./k-quant-mix.ts.
 */
export type GgufDtype = 'f32' | 'f16' | 'q8_0' | 'q4_0' | 'tq1_0' | 'tq2_0' | KQuantDtype;
export const GGUF_DTYPES: readonly GgufDtype[] = [
  'f32',
  'f16',
  'q8_0',
  'q4_0',
  ...K_QUANT_DTYPES,
  'tq1_0',
  'tq2_0',
];

const dtypeType: Record<Exclude<GgufDtype, KQuantDtype>, GgmlType> = {
  f32: GgmlType.F32,
  f16: GgmlType.F16,
  q8_0: GgmlType.Q8_0,
  q4_0: GgmlType.Q4_0,
  tq1_0: GgmlType.TQ1_0,
  tq2_0: GgmlType.TQ2_0,
};
const dtypeFileType: Record<GgufDtype, number> = {
  f32: LlamaFileType.ALL_F32,
  f16: LlamaFileType.MOSTLY_F16,
  q8_0: LlamaFileType.MOSTLY_Q8_0,
  q4_0: LlamaFileType.MOSTLY_Q4_0,
  tq1_0: LlamaFileType.MOSTLY_TQ1_0,
  tq2_0: LlamaFileType.MOSTLY_TQ2_0,
  ...K_QUANT_FILE_TYPES,
};
/** Elements per block of the block-quantized types, which rows must be a multiple of. */
const dtypeBlock: Partial<Record<GgmlType, number>> = {
  [GgmlType.Q8_0]: 32,
  [GgmlType.Q4_0]: 32,
  [GgmlType.TQ1_0]: 256,
  [GgmlType.TQ2_0]: 256,
};

export interface ConvertProgress {
  stage: 'tensors';
  /** Tensor being written and how many are done. */
  tensor?: string;
  tensorsDone: number;
  tensorsTotal: number;
  bytesWritten: number;
  totalBytes: number;
}

export interface ConvertToGgufOptions {
  /**
   * A Hugging Face model directory (safetensors or pytorch_model.bin weights) or a llama2.c
   * `.bin` checkpoint.
   */
  input: string;
  /** llama2.c: its tokenizer.bin or tokenizer.json, when not beside the checkpoint. */
  tokenizer?: string;
  /** Output file path. */
  output: string;
  dtype?: GgufDtype;
  /** `general.name`; defaults to the directory name. */
  name?: string;
  onProgress?: (progress: ConvertProgress) => void;
  abortSignal?: AbortSignal;
  /**
   * Check `tokenizer.ggml.pre` against the Hugging Face tokenizer by tokenizing a probe
   * corpus with llama.cpp (needs node-llama-cpp); when no named pre-tokenizer agrees, the
   * tokenizer.json is embedded as `tokenizer.huggingface.json`. Default true.
   */
  probePreTokenizer?: boolean;
}

export interface ConvertResult extends GgufWriteResult {
  architecture: string;
  tensorCount: number;
  /** Tensors stored in another type than asked (e.g. rows not a multiple of 32 for Q4_0). */
  fallbacks: { tensor: string; type: string; reason: string }[];
  /** What was converted with a caveat (e.g. a sliding window llama.cpp does not apply). */
  notes: string[];
}

function number(config: Record<string, unknown>, key: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new LlmrError({
      code: 'convert-invalid-config',
      message: `config.json: "${key}" must be a number; got ${JSON.stringify(config[key])}.`,
    });
  }
  return value;
}

export async function convertHfToGguf(options: ConvertToGgufOptions): Promise<ConvertResult> {
  checkDtype(options.dtype);
  const hf = await openModelSource(options.input, { tokenizer: options.tokenizer });
  try {
    return await writeHfModelAsGguf(hf, options);
  } finally {
    await hf.tensors.close();
  }
}

function checkDtype(dtype: string | undefined) {
  if (dtype !== undefined && !GGUF_DTYPES.includes(dtype as GgufDtype)) {
    throw new InvalidArgumentError({
      argument: 'dtype',
      value: dtype,
      message: `dtype must be one of ${GGUF_DTYPES.join(', ')}; got "${dtype}".`,
    });
  }
}

/**
 * The conversion itself, over an already opened model (files on disk, or tensors in
 * memory for tests and generated benchmark models).
 */
export async function writeHfModelAsGguf(
  hf: HfDirectory,
  options: Omit<ConvertToGgufOptions, 'input'> & { input?: string },
): Promise<ConvertResult> {
  checkDtype(options.dtype);
  const dtype = options.dtype ?? 'f16';
  {
    const arch = architectureOf(hf.config);
    const config = hf.config;
    const heads = number(config, 'num_attention_heads');
    const kvHeads = number(config, 'num_key_value_heads', heads);
    const hidden = number(config, 'hidden_size');
    const headDim = number(config, 'head_dim', hidden / heads);
    const prefix = arch.gguf;
    const isTernaryDtype = dtype === 'tq1_0' || dtype === 'tq2_0';
    if (isTernaryDtype && !arch.ternary) {
      throw new LlmrError({
        code: 'convert-unsupported-config',
        message: `${dtype} holds ternary weights, which only BitNet b1.58 models have; ${arch.hf} needs f32, f16, q8_0 or q4_0.`,
      });
    }
    if (arch.ternary) checkBitnetConfig(config, hf.tensors.names);
    const notes = checkArchitectureOptions(config, arch);
    const rope = ropeScalingOf(config);
    const theta = number(config, 'rope_theta', 10000);
    const positions = number(config, 'max_position_embeddings', 2048);
    // A window llama.cpp does not apply (Mistral's, Phi-3's): the context it is told to
    // use stops where the two still compute the same thing.
    const window = slidingWindowOf(config, arch) ?? Number.POSITIVE_INFINITY;
    if (arch.gguf === 'phi3' && headDim * heads !== hidden) {
      throw new LlmrError({
        code: 'convert-invalid-config',
        message: `config.json: Phi-3 needs head_dim (${headDim}) x num_attention_heads (${heads}) = hidden_size (${hidden}).`,
      });
    }

    const metadata = new Map<string, GgufMetadataInput>([
      ['general.architecture', arch.gguf],
      ['general.name', options.name ?? hf.dir.replace(/\/+$/, '').split(/[\\/]/).at(-1) ?? 'model'],
      ['general.file_type', dtypeFileType[dtype]],
      ...(dtype !== 'f32' && dtype !== 'f16'
        ? ([['general.quantization_version', 2]] as [string, GgufMetadataInput][])
        : []),
      [`${prefix}.vocab_size`, number(config, 'vocab_size')],
      [`${prefix}.context_length`, Math.min(positions, window)],
      [`${prefix}.embedding_length`, hidden],
      [`${prefix}.block_count`, number(config, 'num_hidden_layers')],
      [`${prefix}.feed_forward_length`, number(config, 'intermediate_size')],
      [`${prefix}.attention.head_count`, heads],
      [`${prefix}.attention.head_count_kv`, kvHeads],
      [`${prefix}.attention.key_length`, headDim],
      [`${prefix}.attention.value_length`, headDim],
      [`${prefix}.rope.dimension_count`, headDim],
      [`${prefix}.rope.freq_base`, theta],
      // llama3 scaling travels as the rope_freqs tensor instead (below).
      ...(rope.type === 'linear'
        ? ([
            [`${prefix}.rope.scaling.type`, 'linear'],
            [`${prefix}.rope.scaling.factor`, rope.factor],
          ] as [string, GgufMetadataInput][])
        : []),
      ...(rope.type === 'yarn'
        ? ([
            [`${prefix}.rope.scaling.type`, 'yarn'],
            [`${prefix}.rope.scaling.factor`, rope.factor],
            [`${prefix}.rope.scaling.original_context_length`, rope.originalMaxPositionEmbeddings],
          ] as [string, GgufMetadataInput][])
        : []),
      ...(rope.type === 'longrope'
        ? ([
            [`${prefix}.rope.scaling.type`, 'longrope'],
            [`${prefix}.rope.scaling.attn_factor`, rope.attentionFactor],
          ] as [string, GgufMetadataInput][])
        : []),
      // As convert_hf_to_gguf writes Phi-3: the pretrained context (which picks LongRoPE's
      // factors) and the window (0 when none; llama.cpp does not apply it).
      ...(arch.gguf === 'phi3'
        ? ([
            [
              `${prefix}.rope.scaling.original_context_length`,
              rope.type === 'longrope'
                ? rope.originalMaxPositionEmbeddings
                : number(config, 'original_max_position_embeddings', positions),
            ],
            [
              `${prefix}.attention.sliding_window`,
              typeof config.sliding_window === 'number' ? config.sliding_window : 0,
            ],
          ] as [string, GgufMetadataInput][])
        : []),
      ...(arch.gemma
        ? gemmaGgufMetadata(config, arch, {
            hidden,
            heads,
            headDim,
            layers: number(config, 'num_hidden_layers'),
          })
        : []),
      [`${prefix}.attention.layer_norm_rms_epsilon`, number(config, 'rms_norm_eps', 1e-6)],
      ...(hf.ggufTokenizer ?? tokenizerMetadata(hf.tokenizer, hf.tokenizerConfig, config)),
    ]);

    if (!hf.ggufTokenizer && hf.tokenizer && options.probePreTokenizer !== false)
      notes.push(...(await choosePreTokenizer(metadata, hf.tokenizer, options.abortSignal)));

    const kQuant = isKQuantDtype(dtype) ? dtype : undefined;
    // K-quant dtypes choose per matrix (below); F16 is only the placeholder they replace.
    const wanted = kQuant ? GgmlType.F16 : dtypeType[dtype as Exclude<GgufDtype, KQuantDtype>];
    // llama.cpp quantizes a token embedding that doubles as the output like the output.
    const layerCount = number(config, 'num_hidden_layers');
    const tiedEmbeddings = !hf.tensors.names.some(
      (name) =>
        architectureTensorName(arch, name) === 'output.weight' &&
        !(name === 'lm_head.weight' && config.tie_word_embeddings === true),
    );
    const fallbacks: ConvertResult['fallbacks'] = [];
    const plan: GgufWriteTensor[] = [];
    for (const name of hf.tensors.names) {
      const target = architectureTensorName(arch, name);
      if (!target) continue;
      if (name === 'lm_head.weight' && config.tie_word_embeddings === true) continue;
      const shape = hf.tensors.shape(name);
      const dims = [...shape].reverse();
      const ternary = arch.ternary === true && isTernaryProjection(name);
      let type: GgmlType = shape.length === 1 ? GgmlType.F32 : wanted;
      // Ternary types only for ternary weights; BitNet's embeddings stay F16.
      if (isTernaryDtype && !ternary && type !== GgmlType.F32) type = GgmlType.F16;
      if (kQuant && shape.length > 1) {
        const choice = kQuantTensorType(kQuant, {
          name: target,
          columns: shape.at(-1)!,
          layerCount,
          tiedEmbeddings,
        });
        type = choice.type;
        if (choice.fallback)
          fallbacks.push({ tensor: target, type: ggmlTypeName(type), reason: choice.fallback });
      }
      const block = dtypeBlock[type];
      if (block && shape.at(-1)! % block !== 0) {
        fallbacks.push({
          tensor: target,
          type: 'F16',
          reason: `row length ${shape.at(-1)} is not a multiple of ${block}`,
        });
        type = GgmlType.F16;
      }
      // Biases are permuted with their rows, as convert_hf_to_gguf does.
      const isQ = /self_attn\.q_proj\.(weight|bias)$/.test(name);
      const isK = /self_attn\.k_proj\.(weight|bias)$/.test(name);
      // Gemma's norms multiply by (1 + w); llama.cpp's by w: stored shifted, as convert_hf_to_gguf does.
      const shift = arch.gemma && name.endsWith('norm.weight');
      // A ternary projection's scale is known once the weight is read; the writer writes
      // tensors in plan order, so the scale (next) takes it from there.
      let scale: number | undefined;
      plan.push({
        name: target,
        dims,
        type,
        data: async () => {
          throwIfAborted(options.abortSignal);
          const values = await hf.tensors.readFloat32(name);
          if (ternary) {
            const result = ternarize(values);
            scale = result.scale;
            return result.trits;
          }
          if (shift) return values.map((value) => value + 1);
          if (arch.permuteQK && (isQ || isK))
            return permuteQK(values, isQ ? heads : kvHeads, shape[0]!, shape[1] ?? 1);
          return values;
        },
      });
      if (ternary) {
        plan.push({
          name: scaleTensorName(target),
          dims: [1],
          type: GgmlType.F32,
          data: async () =>
            Float32Array.of(scale ?? ternarize(await hf.tensors.readFloat32(name)).scale),
        });
      }
    }
    if (rope.type === 'llama3') {
      // llama.cpp divides each frequency by its factor from this tensor (one for all layers).
      const factors = ropeFrequencyDivisors(rope, theta, headDim);
      plan.unshift({
        name: 'rope_freqs.weight',
        dims: [factors.length],
        type: GgmlType.F32,
        data: async () => factors,
      });
    }
    if (rope.type === 'longrope') {
      for (const which of ['long', 'short'] as const) {
        const factors = ropeFrequencyDivisors(rope, theta, headDim, which);
        plan.unshift({
          name: `rope_factors_${which}.weight`,
          dims: [factors.length],
          type: GgmlType.F32,
          data: async () => factors,
        });
      }
    }
    if (!plan.some((tensor) => tensor.name === 'token_embd.weight')) {
      throw new LlmrError({
        code: 'convert-missing-tensor',
        message: `${hf.dir} has no model.embed_tokens.weight; is this a ${arch.hf} checkpoint?`,
      });
    }

    let tensorsDone = 0;
    const tracked = plan.map((tensor) => ({
      ...tensor,
      data: async () => {
        options.onProgress?.({
          stage: 'tensors',
          tensor: tensor.name,
          tensorsDone,
          tensorsTotal: plan.length,
          bytesWritten: 0,
          totalBytes: 0,
        });
        const data = await (tensor.data as () => Promise<Float32Array>)();
        tensorsDone++;
        return data;
      },
    }));
    const result = await writeGguf({ metadata, tensors: tracked }, options.output, {
      signal: options.abortSignal,
      onProgress: ({ bytesWritten, totalBytes }) =>
        options.onProgress?.({
          stage: 'tensors',
          tensorsDone,
          tensorsTotal: plan.length,
          bytesWritten,
          totalBytes,
        }),
    });
    return { ...result, architecture: arch.gguf, tensorCount: plan.length, fallbacks, notes };
  }
}
