/**
 * The Llama-family decoder as a TF.js graph model with the ONNX export's KV-cache
 * convention: inputs `input_ids`, `attention_mask`, `position_ids` ([batch, sequence]; int32,
 * TF.js has no int64), `past_key_values.{i}.key|value` ([batch, kv_heads, past, head_dim]);
 * outputs `logits` and `present.{i}.key|value`. Batch, sequence and past axes are dynamic,
 * so the same decode loop (prefill, one token per step, batched left-padded rows) runs it.
 *
 * Only ops that tfjs-converter maps onto tfjs-core are used (BatchMatMulV2, AddV2, Mul, Rsqrt,
 * Mean, Softmax, ConcatV2, Reshape, Transpose, GatherV2, Slice, Pack, Range, ...). RoPE
 * takes float64 cos/sin tables rounded once to float32, gathered by position, as the ONNX
 * export does. Grouped-query attention folds each KV head's query group into the sequence
 * axis ([batch, kv_heads, group * sequence, head_dim]) rather than copying keys and values.
 */
import { LlmrError } from '@llmr/core';
import { float32ToFloat16Bits } from '@llmr/gguf';
import { architectureOf, slidingWindowOf } from '../architecture';
import { decoderDimensions } from '../decoder-dimensions';
import type { HfDirectory } from '../hf-directory';
import { ropeTableData } from '../onnx/rope-tables';
import { ropeFrequencyDivisors, ropeScalingOf } from '../rope-scaling';
import { tensorReader } from '../tensor-reader';
import { TfjsGraphBuilder, tfType, transposeMatrix } from './tfjs-graph-builder';

export type TfjsDtype = 'f32' | 'f16';
export const TFJS_DTYPES: readonly TfjsDtype[] = ['f32', 'f16'];

export interface LlamaTfjsOptions {
  /** `f16` stores weights as float16 (TF.js dequantizes them to float32 on load). Default f32. */
  dtype?: TfjsDtype;
  abortSignal?: AbortSignal;
  onTensor?: (name: string) => void;
}

export interface LlamaTfjsGraph {
  builder: TfjsGraphBuilder;
  layers: number;
  kvHeads: number;
  headDim: number;
}

function unsupported(architecture: string, what: string): LlmrError {
  return new LlmrError({
    code: 'convert-unsupported-architecture',
    message: `Cannot export ${architecture} to TF.js: ${what}. Convert it to ONNX or GGUF instead (--to onnx, --to gguf).`,
  });
}

export async function buildLlamaTfjsGraph(
  hf: HfDirectory,
  options: LlamaTfjsOptions = {},
): Promise<LlamaTfjsGraph> {
  const dtype = options.dtype ?? 'f32';
  const config = hf.config;
  const arch = architectureOf(config);
  const architecture = arch.hf;
  if (arch.ternary) throw unsupported(architecture, 'BitNet b1.58 converts to GGUF only');
  if (arch.gemma) throw unsupported(architecture, 'Gemma norms and soft-capping are not built');
  if (arch.fused) throw unsupported(architecture, 'fused qkv/gate_up projections are not built');
  if (slidingWindowOf(config, arch) !== undefined)
    throw unsupported(architecture, 'the sliding-window attention mask is not built');
  const ropeScaling = ropeScalingOf(config);
  if (ropeScaling.type === 'longrope')
    throw unsupported(architecture, 'LongRoPE (two tables chosen per call) is not built');
  const { hidden, heads, kvHeads, headDim, layers, vocab, eps, theta, maxPositions, group } =
    decoderDimensions(config);

  const g = new TfjsGraphBuilder();
  const { names, read } = tensorReader(hf, architecture, options);
  /** A float weight, stored as f32 or f16 as asked (norms and biases stay f32: they are tiny). */
  const weight = (name: string, data: Float32Array, dims: number[], store = dtype) =>
    store === 'f16'
      ? g.constant(
          name,
          'float32',
          dims,
          new Uint8Array(Uint16Array.from(data, (value) => float32ToFloat16Bits(value)).buffer),
          { dtype: 'float16' },
        )
      : g.constant(name, 'float32', dims, new Uint8Array(Float32Array.from(data).buffer));

  const float = { T: tfType('float32') };
  const add = (a: string, b: string) => g.op('AddV2', [a, b], float);
  const mul = (a: string, b: string) => g.op('Mul', [a, b], float);
  const reshape = (x: string, shape: string) => g.op('Reshape', [x, shape], float);
  const transpose = (x: string, perm: number[]) => g.op('Transpose', [x, g.ints(perm)], float);
  const matmul = (a: string, b: string, adjY = false) =>
    g.op('BatchMatMulV2', [a, b], { ...float, adj_x: { b: false }, adj_y: { b: adjY } });
  const cast = (x: string, from: 'int32' | 'bool', to: 'float32') =>
    g.op('Cast', [x], {
      SrcT: { type: from === 'int32' ? 'DT_INT32' : 'DT_BOOL' },
      DstT: tfType(to),
      Truncate: { b: false },
    });

  /** x @ W^T for an HF weight W [out, in], stored transposed [in, out] as TF's MatMul wants. */
  const linear = async (x: string, name: string): Promise<string> => {
    const [rows, columns] = hf.tensors.shape(name) as [number, number];
    const data = await read(name);
    let out = matmul(x, weight(name, transposeMatrix(data, rows, columns), [columns, rows]));
    const biasName = name.replace(/\.weight$/, '.bias');
    if (names.has(biasName)) out = add(out, weight(biasName, await read(biasName), [rows], 'f32'));
    return out;
  };

  /** RMSNorm over the last axis, as transformers computes it: x * rsqrt(mean(x^2) + eps) * w. */
  const rmsNorm = async (x: string, name: string, width = hidden): Promise<string> => {
    const mean = g.op('Mean', [mul(x, x), g.ints([-1])], {
      ...float,
      Tidx: tfType('int32'),
      keep_dims: { b: true },
    });
    const scaled = mul(x, g.op('Rsqrt', [add(mean, g.scalar(eps))], float));
    return mul(scaled, weight(name, await read(name), [width], 'f32'));
  };

  // Graph inputs: the ONNX export's names, int32 where it has int64.
  const inputIds = g.placeholder('input_ids', 'int32', [-1, -1]);
  const attentionMask = g.placeholder('attention_mask', 'int32', [-1, -1]);
  const positionIds = g.placeholder('position_ids', 'int32', [-1, -1]);
  const past: { key: string; value: string }[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const shape = [-1, kvHeads, -1, headDim];
    past.push({
      key: g.placeholder(`past_key_values.${layer}.key`, 'float32', shape),
      value: g.placeholder(`past_key_values.${layer}.value`, 'float32', shape),
    });
  }

  // Dynamic sizes, read once.
  const batch = g.dim(inputIds, 0);
  const sequence = g.dim(inputIds, 1);
  const total = g.dim(attentionMask, 1);

  // The additive attention bias [batch, 1, 1, sequence, total]: query i (cache index past + i)
  // sees key j when j <= past + i and attention_mask[b, j] is 1. The lowest float32 rather
  // than -inf keeps a fully masked (padding) row finite.
  const range = (start: string, limit: string) =>
    g.op('Range', [start, limit, g.intScalar(1)], { Tidx: tfType('int32') });
  const pastLength = g.op('Sub', [total, sequence], { T: tfType('int32') });
  const keyIndex = g.op('ExpandDims', [range(g.intScalar(0), total), g.intScalar(0)], {
    T: tfType('int32'),
    Tdim: tfType('int32'),
  });
  const queryIndex = g.op('ExpandDims', [range(pastLength, total), g.intScalar(1)], {
    T: tfType('int32'),
    Tdim: tfType('int32'),
  });
  const causal = cast(
    g.op('LessEqual', [keyIndex, queryIndex], { T: tfType('int32') }),
    'bool',
    'float32',
  );
  const padding = reshape(cast(attentionMask, 'int32', 'float32'), g.pack([batch, 1, 1, total]));
  const allowed = mul(padding, causal);
  const bias = g.op(
    'ExpandDims',
    [
      mul(g.op('Sub', [g.scalar(1), allowed], float), g.scalar(-3.4028234663852886e38)),
      g.intScalar(1),
    ],
    {
      T: tfType('float32'),
      Tdim: tfType('int32'),
    },
  );

  // RoPE tables [maxPositions, headDim] gathered by position -> [batch, 1, sequence, headDim].
  const divisors = ropeFrequencyDivisors(ropeScaling, theta, headDim);
  const attentionFactor = 'attentionFactor' in ropeScaling ? ropeScaling.attentionFactor : 1;
  const half = headDim / 2;
  const { cos: cosTable, sin: sinTable } = ropeTableData(
    theta,
    headDim,
    maxPositions,
    divisors,
    attentionFactor,
  );
  const gatherRope = (table: Float32Array, name: string) =>
    g.op(
      'ExpandDims',
      [g.gather(weight(name, table, [maxPositions, headDim], 'f32'), positionIds), g.intScalar(1)],
      { T: tfType('float32'), Tdim: tfType('int32') },
    );
  const cos = gatherRope(cosTable, 'cos_cache');
  const sin = gatherRope(sinTable, 'sin_cache');
  const firstHalf = g.ints([0, 0, 0, 0]);
  const secondHalf = g.ints([0, 0, 0, half]);
  const halfSize = g.ints([-1, -1, -1, half]);
  const rope = (x: string): string => {
    const slice = (begin: string) =>
      g.op('Slice', [x, begin, halfSize], { T: tfType('float32'), Index: tfType('int32') });
    const rotated = g.op(
      'ConcatV2',
      [g.op('Neg', [slice(secondHalf)], float), slice(firstHalf), g.intScalar(3)],
      { ...float, N: { i: '2' }, Tidx: tfType('int32') },
    );
    return add(mul(x, cos), mul(rotated, sin));
  };
  const headsFirst = (x: string, count: number) =>
    transpose(reshape(x, g.pack([batch, sequence, count, headDim])), [0, 2, 1, 3]);
  const scale = g.scalar(1 / Math.sqrt(headDim));
  const groupedShape = g.pack([batch, kvHeads, -1, headDim]);
  const scoresShape = g.pack([batch, kvHeads, group, sequence, -1]);
  const flatScoresShape = g.pack([batch, kvHeads, -1, total]);
  const mergedShape = g.pack([batch, heads, sequence, headDim]);
  const flatShape = g.pack([batch, sequence, heads * headDim]);

  const embedName = 'model.embed_tokens.weight';
  const embedding = weight(embedName, await read(embedName), [vocab, hidden]);
  let x = g.gather(embedding, inputIds);

  for (let layer = 0; layer < layers; layer++) {
    const prefix = `model.layers.${layer}`;
    const normed = await rmsNorm(x, `${prefix}.input_layernorm.weight`);
    const q = await linear(normed, `${prefix}.self_attn.q_proj.weight`);
    const k = await linear(normed, `${prefix}.self_attn.k_proj.weight`);
    const v = await linear(normed, `${prefix}.self_attn.v_proj.weight`);
    const qkNorm = names.has(`${prefix}.self_attn.q_norm.weight`);
    const headNorm = async (y: string, which: 'q' | 'k') =>
      qkNorm ? rmsNorm(y, `${prefix}.self_attn.${which}_norm.weight`, headDim) : y;
    const queries = rope(await headNorm(headsFirst(q, heads), 'q'));
    const concat = (kind: 'key' | 'value', value: string) =>
      g.op(
        'ConcatV2',
        [past[layer]![kind], value, g.intScalar(2)],
        { ...float, N: { i: '2' }, Tidx: tfType('int32') },
        `present.${layer}.${kind}`,
      );
    const keys = concat('key', rope(await headNorm(headsFirst(k, kvHeads), 'k')));
    const values = concat('value', headsFirst(v, kvHeads));
    // [batch, kv_heads, group * sequence, head_dim] x [batch, kv_heads, total, head_dim]^T.
    const grouped = reshape(queries, groupedShape);
    const scores = add(reshape(mul(matmul(grouped, keys, true), scale), scoresShape), bias);
    const probabilities = g.op('Softmax', [scores], float);
    const context = matmul(reshape(probabilities, flatScoresShape), values);
    const merged = transpose(reshape(context, mergedShape), [0, 2, 1, 3]);
    const attention = await linear(reshape(merged, flatShape), `${prefix}.self_attn.o_proj.weight`);
    x = add(x, attention);

    const normedMlp = await rmsNorm(x, `${prefix}.post_attention_layernorm.weight`);
    const gate = await linear(normedMlp, `${prefix}.mlp.gate_proj.weight`);
    const up = await linear(normedMlp, `${prefix}.mlp.up_proj.weight`);
    const activated = mul(mul(gate, g.op('Sigmoid', [gate], float)), up);
    x = add(x, await linear(activated, `${prefix}.mlp.down_proj.weight`));
  }

  const final = await rmsNorm(x, 'model.norm.weight');
  const tied = config.tie_word_embeddings === true || !names.has('lm_head.weight');
  // Tied heads multiply by the embedding matrix transposed: no second copy is stored.
  const head = tied ? matmul(final, embedding, true) : await linear(final, 'lm_head.weight');
  g.op('Identity', [head], float, 'logits');
  g.output('logits', 'float32');
  for (let layer = 0; layer < layers; layer++) {
    g.output(`present.${layer}.key`, 'float32');
    g.output(`present.${layer}.value`, 'float32');
  }
  return { builder: g, layers, kvHeads, headDim };
}
