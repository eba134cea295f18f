/**
 * The Llama-family decoder as an ONNX graph with a KV cache, in Hugging Face Optimum's
 * layout: inputs `input_ids`, `attention_mask`, `position_ids`,
 * `past_key_values.{i}.key|value` ([batch, kv_heads, past, head_dim]); outputs `logits`,
 * `present.{i}.key|value`. Batch, sequence and past axes are dynamic. Everything is
 * computed in float32 with standard opset-17 ops (plus com.microsoft MatMulNBits for
 * q4/q8), so one file runs on ONNX Runtime's CPU, WASM and WebGPU backends alike.
 *
 * Conventions are Hugging Face's (rotate-half RoPE, RMSNorm, SwiGLU, GQA), with the
 * quirks of Llama's relatives: rope scaling (linear, llama3) folded into the cos/sin
 * tables, q/k/v biases (Qwen2), per-head q/k RMSNorm (Qwen3), tied embeddings, and
 * Mistral's sliding window in the attention mask. Grouped-query
 * attention broadcasts instead of copying: queries are viewed as
 * [batch, kv_heads, group, seq, head_dim] against keys [batch, kv_heads, 1, total, head_dim].
 */

import { LlmrError } from '@llmr/core';
import { float32ToFloat16Bits } from '@llmr/gguf';
import {
  architectureOf,
  checkArchitectureOptions,
  slidingLayers,
  slidingWindowOf,
} from '../architecture';
import { configNumber, decoderDimensions } from '../decoder-dimensions';
import type { HfDirectory } from '../hf-directory';
import { ropeScalingOf } from '../rope-scaling';
import { tensorReader } from '../tensor-reader';
import { attentionBiases } from './attention-bias';
import { type OnnxDataType, OnnxGraphBuilder, type OnnxInitializer } from './onnx-graph-builder';
import { quantizeMatMulNBits } from './onnx-quantize';
import { ropeCosSin } from './rope-tables';

export type OnnxDtype = 'f32' | 'f16' | 'q8' | 'q4';
export const ONNX_DTYPES: readonly OnnxDtype[] = ['f32', 'f16', 'q8', 'q4'];

export interface LlamaDecoderOptions {
  dtype?: OnnxDtype;
  /** Block size along K for q4/q8 (a power of two, at least 16). Default 32. */
  blockSize?: number;
  /**
   * How q8 weights are stored: `matmul-nbits` (com.microsoft MatMulNBits, default) or
   * `dequantize-linear` (standard int8 DequantizeLinear + MatMul, per output channel).
   * q4 always uses MatMulNBits.
   */
  quantFormat?: 'matmul-nbits' | 'dequantize-linear';
  /**
   * MatMulNBits' `accuracy_level`: the type ONNX Runtime's CPU kernel computes in. Default 4
   * (activations quantized to int8 per block): the kernel with int8 dot products. At 0 (unset)
   * the CPU provider dequantizes the weights on every call, and a q8 decode step costs several
   * times an f32 one instead of less. Backends without such kernels (WebGPU) ignore it.
   */
  accuracyLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * Where an initializer's bytes go: return them to embed them in the model, or an
   * external location after writing them elsewhere.
   */
  store?: (name: string, bytes: Uint8Array) => Promise<OnnxInitializer['data']>;
  /**
   * Element type of the KV cache inputs/outputs and of the logits. `float16` gives the
   * interface of Optimum's and transformers.js's fp16 exports (compute stays float32).
   * Default `float32`.
   */
  ioDtype?: 'float32' | 'float16';
  abortSignal?: AbortSignal;
  onTensor?: (name: string) => void;
}

export interface LlamaDecoderGraph {
  builder: OnnxGraphBuilder;
  layers: number;
  kvHeads: number;
  headDim: number;
  /** Weights stored in another form than asked (e.g. K not a multiple of the block size). */
  fallbacks: { tensor: string; stored: string; reason: string }[];
}

/** Bytes of a transposed [rows, columns] -> [columns, rows] float32 matrix, as f32 or f16. */
function transposedBytes(
  data: Float32Array,
  rows: number,
  columns: number,
  type: 'float32' | 'float16',
): Uint8Array {
  if (type === 'float32') {
    const out = new Float32Array(rows * columns);
    for (let row = 0; row < rows; row++)
      for (let column = 0; column < columns; column++)
        out[column * rows + row] = data[row * columns + column]!;
    return new Uint8Array(out.buffer);
  }
  const out = new Uint16Array(rows * columns);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++)
      out[column * rows + row] = float32ToFloat16Bits(data[row * columns + column]!);
  return new Uint8Array(out.buffer);
}

function floatBytes(data: Float32Array, type: 'float32' | 'float16'): Uint8Array {
  if (type === 'float32') return new Uint8Array(Float32Array.from(data).buffer);
  return new Uint8Array(Uint16Array.from(data, (value) => float32ToFloat16Bits(value)).buffer);
}

export async function buildLlamaDecoderGraph(
  hf: HfDirectory,
  options: LlamaDecoderOptions = {},
): Promise<LlamaDecoderGraph> {
  const dtype = options.dtype ?? 'f32';
  const blockSize = options.blockSize ?? 32;
  const accuracyLevel = options.accuracyLevel ?? 4;
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new LlmrError({
      code: 'convert-invalid-block-size',
      message: `blockSize must be a power of two, at least 16; got ${blockSize}.`,
    });
  }
  if (![0, 1, 2, 3, 4].includes(accuracyLevel)) {
    throw new LlmrError({
      code: 'convert-invalid-accuracy-level',
      message: `accuracyLevel must be 0, 1, 2, 3 or 4 (MatMulNBits' accuracy_level); got ${accuracyLevel}.`,
    });
  }
  const config = hf.config;
  const arch = architectureOf(config);
  const architecture = arch.hf;
  // The graph has neither BitNet's sub-norms nor its ternarized projections.
  if (arch.ternary) {
    throw new LlmrError({
      code: 'convert-unsupported-architecture',
      message: `Cannot export ${architecture} to ONNX: BitNet b1.58 converts to GGUF only (dtype tq1_0, tq2_0, f16 or f32).`,
    });
  }
  // The notes concern llama.cpp; the ONNX graph applies the sliding window itself.
  checkArchitectureOptions(config, arch);
  const ropeScaling = ropeScalingOf(config);
  // Mistral's and Phi-3's window on every layer; Gemma's on its local layers.
  const window = arch.gemma
    ? typeof config.sliding_window === 'number'
      ? config.sliding_window
      : undefined
    : slidingWindowOf(config, arch);
  const { hidden, heads, kvHeads, headDim, layers, vocab, eps, theta, maxPositions, group } =
    decoderDimensions(config);

  const g = new OnnxGraphBuilder();
  const fallbacks: LlamaDecoderGraph['fallbacks'] = [];
  const storeType: 'float32' | 'float16' = dtype === 'f32' ? 'float32' : 'float16';
  const store = options.store ?? (async (_name: string, bytes: Uint8Array) => bytes);
  const { names, read } = tensorReader(hf, architecture, options);

  /** A float initializer (norm weights, embeddings), cast to float32 when stored as f16. */
  const floatWeight = async (
    name: string,
    data: Float32Array,
    dims: number[],
    type: OnnxDataType = storeType,
  ): Promise<string> => {
    const stored = g.initializer(
      name,
      type,
      dims,
      await store(name, floatBytes(data, type as 'float32' | 'float16')),
    );
    return type === 'float32' ? stored : g.op('Cast', [stored], { to: 1 });
  };

  /** x @ W^T for an HF weight W [rows = out, columns = in]. */
  const linear = async (x: string, name: string, bias?: string): Promise<string> => {
    const [rows, columns] = hf.tensors.shape(name) as [number, number];
    return linearOf(x, name, await read(name), rows, columns, bias);
  };

  /** Phi-3's fused weights: each part (rows [start, start + rows)) as its own projection. */
  const fusedLinears = async (
    x: string,
    name: string,
    parts: { name: string; rows: number }[],
  ): Promise<string[]> => {
    const data = await read(name);
    const columns = hf.tensors.shape(name)[1]!;
    const outputs: string[] = [];
    let start = 0;
    for (const part of parts) {
      const slice = data.subarray(start * columns, (start + part.rows) * columns);
      outputs.push(await linearOf(x, part.name, slice, part.rows, columns));
      start += part.rows;
    }
    return outputs;
  };

  const linearOf = async (
    x: string,
    name: string,
    data: Float32Array,
    rows: number,
    columns: number,
    bias?: string,
  ): Promise<string> => {
    let out: string;
    const quantized = dtype === 'q4' || dtype === 'q8';
    if (quantized && options.quantFormat === 'dequantize-linear' && dtype === 'q8') {
      // Per output channel int8, stored [in, out] like the float weights.
      const scales = new Float32Array(rows);
      for (let row = 0; row < rows; row++) {
        let absMax = 0;
        for (let column = 0; column < columns; column++)
          absMax = Math.max(absMax, Math.abs(data[row * columns + column]!));
        scales[row] = Math.fround(absMax / 127);
      }
      const levels = new Int8Array(rows * columns);
      for (let row = 0; row < rows; row++) {
        const inverse = scales[row] === 0 ? 0 : 1 / scales[row]!;
        for (let column = 0; column < columns; column++)
          levels[column * rows + row] = Math.max(
            -127,
            Math.min(127, Math.round(data[row * columns + column]! * inverse)),
          );
      }
      const weight = g.initializer(
        `${name}_quantized`,
        'int8',
        [columns, rows],
        await store(`${name}_quantized`, new Uint8Array(levels.buffer)),
      );
      const scale = g.float32s(scales, [rows], `${name}_scale`);
      const zero = g.initializer(`${name}_zero_point`, 'int8', [rows], new Uint8Array(rows));
      const dequantized = g.op('DequantizeLinear', [weight, scale, zero], { axis: 1 });
      out = g.op('MatMul', [x, dequantized]);
    } else if (quantized && columns % blockSize === 0) {
      const bits = dtype === 'q4' ? 4 : 8;
      const weight = quantizeMatMulNBits(data, rows, columns, bits, blockSize);
      const blocks = columns / blockSize;
      const packed = g.initializer(
        `${name}_Q${bits}`,
        'uint8',
        [rows, blocks, (blockSize * bits) / 8],
        await store(`${name}_Q${bits}`, weight.packed),
      );
      const scales = g.initializer(
        `${name}_scales`,
        'float32',
        [rows * blocks],
        await store(`${name}_scales`, new Uint8Array(weight.scales.buffer)),
      );
      out = g.op(
        'MatMulNBits',
        [x, packed, scales],
        {
          K: columns,
          N: rows,
          bits,
          block_size: blockSize,
          accuracy_level: accuracyLevel,
        },
        { domain: 'com.microsoft' },
      );
    } else {
      const type: 'float32' | 'float16' = quantized ? 'float16' : storeType;
      if (quantized) {
        fallbacks.push({
          tensor: name,
          stored: 'f16',
          reason: `K (${columns}) is not a multiple of the block size ${blockSize}`,
        });
      }
      const stored = g.initializer(
        name,
        type,
        [columns, rows],
        await store(name, transposedBytes(data, rows, columns, type)),
      );
      const weight = type === 'float32' ? stored : g.op('Cast', [stored], { to: 1 });
      out = g.op('MatMul', [x, weight]);
    }
    return bias ? g.op('Add', [out, bias]) : out;
  };

  const optionalBias = async (name: string): Promise<string | undefined> => {
    if (!names.has(name)) return undefined;
    return floatWeight(name, await read(name), [...hf.tensors.shape(name)], 'float32');
  };

  const axes = (...values: number[]) => g.int64s(values);

  /** RMSNorm over the last axis (the hidden state, or one head for Qwen3's q/k norms). */
  const rmsNorm = async (x: string, name: string, width = hidden): Promise<string> => {
    // Gemma multiplies by (1 + w), in float32 as transformers does.
    const data = await read(name);
    const shifted = arch.gemma ? data.map((value) => value + 1) : data;
    const weight = await floatWeight(name, shifted, [width], 'float32');
    const squared = g.op('Mul', [x, x]);
    const mean = g.op('ReduceMean', [squared], { axes: [-1], keepdims: 1 });
    const root = g.op('Sqrt', [g.op('Add', [mean, g.scalar(eps)])]);
    return g.op('Mul', [g.op('Div', [x, root]), weight]);
  };

  // Graph inputs, Optimum's names and axes.
  const inputIds = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
  const ioType = options.ioDtype ?? 'float32';
  const half16 = ioType === 'float16';
  const past: { key: string; value: string }[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const dims = ['batch_size', kvHeads, 'past_sequence_length', headDim];
    const key = g.input(`past_key_values.${layer}.key`, ioType, dims);
    const value = g.input(`past_key_values.${layer}.value`, ioType, dims);
    past.push(
      half16
        ? { key: g.op('Cast', [key], { to: 1 }), value: g.op('Cast', [value], { to: 1 }) }
        : { key, value },
    );
  }

  const biases = attentionBiases(g, inputIds, attentionMask, window);
  const sliding = slidingLayers(config, arch);

  const globalRope = await ropeCosSin(g, positionIds, {
    spec: ropeScaling,
    theta,
    headDim,
    maxPositions,
    store,
  });
  // Gemma 3's local layers: their own base, unscaled.
  const localTheta = config.rope_local_base_freq;
  const localRope =
    arch.gguf === 'gemma3' && typeof localTheta === 'number'
      ? await ropeCosSin(g, positionIds, {
          spec: { type: 'none' },
          theta: localTheta,
          headDim,
          maxPositions,
          store,
          name: 'local_',
        })
      : globalRope;
  const half = headDim / 2;
  const halfStart = axes(0);
  const halfMiddle = axes(half);
  const halfEnd = axes(headDim);
  const lastAxis = axes(3);
  const rope = (x: string, { cos, sin }: { cos: string; sin: string }): string => {
    const first = g.op('Slice', [x, halfStart, halfMiddle, lastAxis]);
    const second = g.op('Slice', [x, halfMiddle, halfEnd, lastAxis]);
    const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: 3 });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
  };
  const headsFirst = (x: string, count: number) =>
    g.op('Transpose', [g.op('Reshape', [x, axes(0, 0, count, headDim)])], { perm: [0, 2, 1, 3] });
  // Gemma scales scores by query_pre_attn_scalar^-0.5 (head_dim or hidden/heads).
  const queryScalar = arch.gemma ? configNumber(config, 'query_pre_attn_scalar', headDim) : headDim;
  const scale = g.scalar(1 / Math.sqrt(queryScalar));
  /** cap * tanh(x / cap): Gemma's soft-capping of scores and logits, when configured. */
  const softcap = (x: string, key: string): string => {
    const cap = config[key];
    if (!arch.gemma || typeof cap !== 'number' || cap <= 0) return x;
    return g.op('Mul', [g.op('Tanh', [g.op('Div', [x, g.scalar(cap)])]), g.scalar(cap)]);
  };
  /** GELU, tanh approximation (gelu_pytorch_tanh), from opset-17 ops. */
  const geluTanh = (x: string): string => {
    const cubic = g.op('Mul', [g.op('Mul', [g.op('Mul', [x, x]), x]), g.scalar(0.044715)]);
    const inner = g.op('Mul', [g.op('Add', [x, cubic]), g.scalar(Math.sqrt(2 / Math.PI))]);
    const gate = g.op('Add', [g.op('Tanh', [inner]), g.scalar(1)]);
    return g.op('Mul', [g.op('Mul', [x, gate]), g.scalar(0.5)]);
  };
  const groupedShape = axes(0, kvHeads, group, -1, headDim);
  const mergedShape = axes(0, heads, -1, headDim);
  const flatShape = axes(0, 0, heads * headDim);

  // Embeddings.
  const embedName = 'model.embed_tokens.weight';
  const embedData = await read(embedName);
  const embedding = await floatWeight(embedName, embedData, [vocab, hidden]);
  let x = g.op('Gather', [embedding, inputIds], { axis: 0 });
  // Gemma: embeddings times sqrt(hidden), a float32 as transformers casts it.
  if (arch.gemma) x = g.op('Mul', [x, g.scalar(Math.fround(Math.sqrt(hidden)))]);

  for (let layer = 0; layer < layers; layer++) {
    const prefix = `model.layers.${layer}`;
    const normed = await rmsNorm(x, `${prefix}.input_layernorm.weight`);
    const projection = async (which: 'q' | 'k' | 'v') =>
      linear(
        normed,
        `${prefix}.self_attn.${which}_proj.weight`,
        await optionalBias(`${prefix}.self_attn.${which}_proj.bias`),
      );
    const [q, k, v] = arch.fused
      ? ((await fusedLinears(normed, `${prefix}.self_attn.qkv_proj.weight`, [
          { name: `${prefix}.self_attn.q_proj.weight`, rows: heads * headDim },
          { name: `${prefix}.self_attn.k_proj.weight`, rows: kvHeads * headDim },
          { name: `${prefix}.self_attn.v_proj.weight`, rows: kvHeads * headDim },
        ])) as [string, string, string])
      : [await projection('q'), await projection('k'), await projection('v')];
    const qkNorm = names.has(`${prefix}.self_attn.q_norm.weight`);
    const headNorm = async (x: string, which: 'q' | 'k') =>
      qkNorm ? rmsNorm(x, `${prefix}.self_attn.${which}_norm.weight`, headDim) : x;
    const local = sliding[layer] === true && biases.sliding !== undefined;
    const layerRope = local ? localRope : globalRope;
    const queries = rope(await headNorm(headsFirst(q, heads), 'q'), layerRope);
    const present = (kind: 'key' | 'value', value: string) => {
      const name = `present.${layer}.${kind}`;
      if (!half16)
        return g.op('Concat', [past[layer]![kind], value], { axis: 2 }, { output: name });
      const joined = g.op('Concat', [past[layer]![kind], value], { axis: 2 });
      g.op('Cast', [joined], { to: 10 }, { output: name });
      return joined;
    };
    const keys = present('key', rope(await headNorm(headsFirst(k, kvHeads), 'k'), layerRope));
    const values = present('value', headsFirst(v, kvHeads));
    const grouped = g.op('Reshape', [queries, groupedShape]);
    const keysT = g.op('Transpose', [g.op('Unsqueeze', [keys, axes(2)])], {
      perm: [0, 1, 2, 4, 3],
    });
    const scaled = g.op('Mul', [g.op('MatMul', [grouped, keysT]), scale]);
    const scores = g.op('Add', [
      softcap(scaled, 'attn_logit_softcapping'),
      local ? biases.sliding! : biases.full,
    ]);
    const probabilities = g.op('Softmax', [scores], { axis: -1 });
    const context = g.op('MatMul', [probabilities, g.op('Unsqueeze', [values, axes(2)])]);
    const merged = g.op('Transpose', [g.op('Reshape', [context, mergedShape])], {
      perm: [0, 2, 1, 3],
    });
    const attention = await linear(
      g.op('Reshape', [merged, flatShape]),
      `${prefix}.self_attn.o_proj.weight`,
    );
    // Gemma norms each block's output before the residual add, and the MLP's input apart.
    const postNorm = async (y: string, name: string) =>
      arch.gemma ? rmsNorm(y, `${prefix}.${name}.weight`) : y;
    x = g.op('Add', [x, await postNorm(attention, 'post_attention_layernorm')]);

    const normedMlp = await rmsNorm(
      x,
      `${prefix}.${arch.gemma ? 'pre_feedforward_layernorm' : 'post_attention_layernorm'}.weight`,
    );
    const fusedName = `${prefix}.mlp.gate_up_proj.weight`;
    const [gate, up] = arch.fused
      ? ((await fusedLinears(normedMlp, fusedName, [
          { name: `${prefix}.mlp.gate_proj.weight`, rows: hf.tensors.shape(fusedName)[0]! / 2 },
          { name: `${prefix}.mlp.up_proj.weight`, rows: hf.tensors.shape(fusedName)[0]! / 2 },
        ])) as [string, string])
      : [
          await linear(normedMlp, `${prefix}.mlp.gate_proj.weight`),
          await linear(normedMlp, `${prefix}.mlp.up_proj.weight`),
        ];
    const activation = arch.gemma ? geluTanh(gate) : g.op('Mul', [gate, g.op('Sigmoid', [gate])]);
    const activated = g.op('Mul', [activation, up]);
    const down = await linear(activated, `${prefix}.mlp.down_proj.weight`);
    x = g.op('Add', [x, await postNorm(down, 'post_feedforward_layernorm')]);
  }

  const final = await rmsNorm(x, 'model.norm.weight');
  const tied = config.tie_word_embeddings === true || !names.has('lm_head.weight');
  // The head shares the embedding matrix when tied: logits = x @ E^T, no second copy stored.
  const head = softcap(
    tied
      ? g.op('MatMul', [final, g.op('Transpose', [embedding], { perm: [1, 0] })])
      : await linear(final, 'lm_head.weight'),
    'final_logit_softcapping',
  );
  const logits = half16
    ? g.op('Cast', [head], { to: 10 }, { output: 'logits' })
    : g.op('Identity', [head], {}, { output: 'logits' });

  g.output(logits, ioType, ['batch_size', 'sequence_length', vocab]);
  for (let layer = 0; layer < layers; layer++) {
    const dims = ['batch_size', kvHeads, 'total_sequence_length', headDim];
    g.output(`present.${layer}.key`, ioType, dims);
    g.output(`present.${layer}.value`, ioType, dims);
  }
  g.validate();
  return { builder: g, layers, kvHeads, headDim, fallbacks };
}
