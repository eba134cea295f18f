/**
 * Moves a decoder's weights into kernel memory, one tensor at a time: each tensor's
 * bytes are read from its source, copied in, and dropped, so the process never holds
 * the model twice. f32/f16/q8_0/q4_0 stay as stored; other ggml types (k-quants...)
 * are requantized to q8_0, other safetensors dtypes (BF16...) widened to f32.
 */
import { LoadError, throwIfAborted } from '@llmr/core';
import { GgmlType, quantize } from '@llmr/gguf';
import { type Kernels, rowBytes } from '@llmr/kernels-wasm';
import type { DecoderConfig } from './decoder-config';
import type { RawTensor, TensorSource } from './tensor-source';

export type WeightDtype = 'f32' | 'f16' | 'q8_0' | 'q4_0';

export interface Matrix {
  dtype: WeightDtype;
  rows: number;
  cols: number;
  /** Byte offset in kernel memory. */
  pointer: number;
}

/** A float32 vector in kernel memory (norm weights, biases). */
export interface Vector {
  pointer: number;
  length: number;
}

export interface LayerWeights {
  attentionNorm: Vector;
  q: Matrix;
  k: Matrix;
  v: Matrix;
  o: Matrix;
  qBias?: Vector;
  kBias?: Vector;
  vBias?: Vector;
  qNorm?: Vector;
  kNorm?: Vector;
  ffnNorm: Vector;
  gate: Matrix;
  up: Matrix;
  down: Matrix;
}

export interface DecoderWeights {
  embedding: Matrix;
  layers: LayerWeights[];
  outputNorm: Vector;
  /** The LM head; the embedding itself when the model ties them. */
  output: Matrix;
  /** Bytes of weights in kernel memory. */
  bytes: number;
  /** Counts of matrices per stored dtype (for `info.quantization`). */
  dtypes: Record<WeightDtype, number>;
}

export interface LoadWeightsOptions {
  abortSignal?: AbortSignal;
  onProgress?: (progress: { loaded: number; total?: number; stage?: string }) => void;
}

export async function loadDecoderWeights(
  kernels: Kernels,
  config: DecoderConfig,
  tensors: TensorSource,
  sourceName: string,
  options: LoadWeightsOptions = {},
): Promise<DecoderWeights> {
  const memory = kernels.memory;
  const placed: number[] = [];
  const dtypes: Record<WeightDtype, number> = { f32: 0, f16: 0, q8_0: 0, q4_0: 0 };
  let bytes = 0;
  const tensorCount = 3 + config.layers * 9;
  let loaded = 0;

  const require = (name: string): RawTensor => {
    const tensor = tensors.get(name);
    if (!tensor)
      throw new LoadError({
        source: sourceName,
        code: 'runtime-simple-missing-tensor',
        message: `The model has no tensor for "${name}"; the file is incomplete or not a ${config.architecture} decoder.`,
      });
    return tensor;
  };
  const place = (data: Uint8Array): number => {
    const pointer = memory.alloc(data.byteLength);
    memory.u8(pointer, data.byteLength).set(data);
    placed.push(pointer);
    bytes += data.byteLength;
    return pointer;
  };
  const progress = () => {
    throwIfAborted(options.abortSignal);
    options.onProgress?.({ loaded: ++loaded, total: tensorCount, stage: 'weights' });
  };

  const matrix = async (name: string, rows: number, cols: number): Promise<Matrix> => {
    const tensor = require(name);
    if (tensor.rows !== rows || tensor.cols !== cols)
      throw new LoadError({
        source: sourceName,
        code: 'runtime-simple-bad-shape',
        message: `Tensor "${tensor.name}" is ${tensor.rows}x${tensor.cols}; the config says ${rows}x${cols}.`,
      });
    let dtype: WeightDtype;
    let data: Uint8Array;
    if (tensor.kind !== 'other') {
      dtype = tensor.kind;
      data = await tensor.readBytes();
    } else if (cols % 32 === 0) {
      // Keeps memory near the stored size; q8_0 loses less than the k-quants it replaces.
      dtype = 'q8_0';
      data = quantize(await tensor.readFloat32(), GgmlType.Q8_0);
    } else {
      dtype = 'f32';
      const values = await tensor.readFloat32();
      data = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    }
    if ((dtype === 'q8_0' || dtype === 'q4_0') && cols % 32 !== 0)
      throw new LoadError({
        source: sourceName,
        code: 'runtime-simple-bad-shape',
        message: `Tensor "${tensor.name}" is ${dtype} with ${cols} columns, not a multiple of 32.`,
      });
    if (data.byteLength !== rows * rowBytes(dtype, cols))
      throw new LoadError({
        source: sourceName,
        code: 'runtime-simple-bad-shape',
        message: `Tensor "${tensor.name}" holds ${data.byteLength} bytes; ${rows}x${cols} ${dtype} needs ${rows * rowBytes(dtype, cols)}.`,
      });
    dtypes[dtype]++;
    const pointer = place(data);
    progress();
    return { dtype, rows, cols, pointer };
  };
  const vector = async (name: string, length: number, optional = false) => {
    const tensor = optional ? tensors.get(name) : require(name);
    if (!tensor) return undefined;
    if (tensor.rows * tensor.cols !== length)
      throw new LoadError({
        source: sourceName,
        code: 'runtime-simple-bad-shape',
        message: `Tensor "${tensor.name}" has ${tensor.rows * tensor.cols} values; the config says ${length}.`,
      });
    const values = await tensor.readFloat32();
    const pointer = place(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    progress();
    return { pointer, length };
  };

  try {
    const { hiddenSize: hidden, intermediateSize: ffn, headDim, heads, kvHeads } = config;
    const embedding = await matrix('model.embed_tokens.weight', config.vocabSize, hidden);
    const layers: LayerWeights[] = [];
    for (let layer = 0; layer < config.layers; layer++) {
      const name = (suffix: string) => `model.layers.${layer}.${suffix}`;
      const weights: LayerWeights = {
        attentionNorm: (await vector(name('input_layernorm.weight'), hidden))!,
        q: await matrix(name('self_attn.q_proj.weight'), heads * headDim, hidden),
        k: await matrix(name('self_attn.k_proj.weight'), kvHeads * headDim, hidden),
        v: await matrix(name('self_attn.v_proj.weight'), kvHeads * headDim, hidden),
        o: await matrix(name('self_attn.o_proj.weight'), hidden, heads * headDim),
        ffnNorm: (await vector(name('post_attention_layernorm.weight'), hidden))!,
        gate: await matrix(name('mlp.gate_proj.weight'), ffn, hidden),
        up: await matrix(name('mlp.up_proj.weight'), ffn, hidden),
        down: await matrix(name('mlp.down_proj.weight'), hidden, ffn),
      };
      const extras = {
        qBias: await vector(name('self_attn.q_proj.bias'), heads * headDim, true),
        kBias: await vector(name('self_attn.k_proj.bias'), kvHeads * headDim, true),
        vBias: await vector(name('self_attn.v_proj.bias'), kvHeads * headDim, true),
        qNorm: await vector(name('self_attn.q_norm.weight'), headDim, true),
        kNorm: await vector(name('self_attn.k_norm.weight'), headDim, true),
      };
      for (const [key, value] of Object.entries(extras))
        if (value) weights[key as keyof typeof extras] = value;
      layers.push(weights);
    }
    const outputNorm = (await vector('model.norm.weight', hidden))!;
    const output = tensors.get('lm_head.weight')
      ? await matrix('lm_head.weight', config.vocabSize, hidden)
      : embedding;
    return { embedding, layers, outputNorm, output, bytes, dtypes };
  } catch (error) {
    for (const pointer of placed) memory.free(pointer);
    throw error;
  }
}

/** Returns every weight's memory. */
export function freeDecoderWeights(kernels: Kernels, weights: DecoderWeights): void {
  const seen = new Set<number>();
  const free = (pointer: number) => {
    if (seen.has(pointer)) return;
    seen.add(pointer);
    kernels.memory.free(pointer);
  };
  free(weights.embedding.pointer);
  free(weights.output.pointer);
  free(weights.outputNorm.pointer);
  for (const layer of weights.layers)
    for (const value of Object.values(layer)) free((value as Vector | Matrix).pointer);
}
