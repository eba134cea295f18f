/**
 * The decoder's rotary cos/sin, as tables computed in float64 and rounded once to float32,
 * gathered by position (computing angles in float32 inside the graph loses precision at
 * large positions). Scaled RoPE folds in here: frequencies divided as llama.cpp divides
 * them, YaRN's and LongRoPE's attention factor multiplied into both tables, and LongRoPE's choice
 * between its short and long factors made per call as transformers makes it (long once
 * the highest position passes the original context).
 */
import { type RopeScalingSpec, ropeFrequencyDivisors } from '../rope-scaling';
import type { OnnxGraphBuilder, OnnxInitializer } from './onnx-graph-builder';

export interface RopeTableOptions {
  spec: RopeScalingSpec;
  theta: number;
  headDim: number;
  maxPositions: number;
  /** Prefix of the tables' initializer names, when a model has two sets (Gemma 3). */
  name?: string;
  store: (name: string, bytes: Uint8Array) => Promise<OnnxInitializer['data']>;
}

/**
 * The cos and sin tables [rows, headDim] (rotate-half layout: frequency i at i and
 * i + headDim/2), angles in float64, times `scale` (YaRN's and LongRoPE's attention factor).
 */
export function ropeTableData(
  theta: number,
  headDim: number,
  rows: number,
  divisors: Float32Array,
  scale = 1,
): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const cos = new Float32Array(rows * headDim);
  const sin = new Float32Array(rows * headDim);
  for (let position = 0; position < rows; position++) {
    for (let index = 0; index < half; index++) {
      const angle = (position * theta ** (-(2 * index) / headDim)) / divisors[index]!;
      for (const offset of [index, index + half]) {
        cos[position * headDim + offset] = scale * Math.cos(angle);
        sin[position * headDim + offset] = scale * Math.sin(angle);
      }
    }
  }
  return { cos, sin };
}

/** cos and sin for `positionIds` [batch, sequence], shaped [batch, 1, sequence, headDim]. */
export async function ropeCosSin(
  g: OnnxGraphBuilder,
  positionIds: string,
  options: RopeTableOptions,
): Promise<{ cos: string; sin: string }> {
  const { spec, theta, headDim, maxPositions, store } = options;
  const prefix = options.name ?? '';
  const scale = 'attentionFactor' in spec ? spec.attentionFactor : 1;

  const table = async (suffix: string, rows: number, divisors: Float32Array) => {
    const { cos: cosTable, sin: sinTable } = ropeTableData(theta, headDim, rows, divisors, scale);
    const initializer = async (name: string, data: Float32Array) =>
      g.initializer(
        name,
        'float32',
        [rows, headDim],
        await store(name, new Uint8Array(data.buffer)),
      );
    return {
      cos: await initializer(`${prefix}cos_cache${suffix}`, cosTable),
      sin: await initializer(`${prefix}sin_cache${suffix}`, sinTable),
    };
  };
  const gather = (cache: { cos: string; sin: string }, positions: string) => ({
    cos: g.op('Unsqueeze', [g.op('Gather', [cache.cos, positions]), g.int64s([1])]),
    sin: g.op('Unsqueeze', [g.op('Gather', [cache.sin, positions]), g.int64s([1])]),
  });

  if (spec.type !== 'longrope') {
    return gather(
      await table('', maxPositions, ropeFrequencyDivisors(spec, theta, headDim)),
      positionIds,
    );
  }
  // Short factors serve only positions inside the original context; their table stops
  // there and is gathered with clamped positions (the long table answers past it).
  const original = Math.min(spec.originalMaxPositionEmbeddings, maxPositions);
  const short = gather(
    await table('_short', original, ropeFrequencyDivisors(spec, theta, headDim, 'short')),
    g.op('Min', [positionIds, g.int64Scalar(original - 1)]),
  );
  const long = gather(
    await table('_long', maxPositions, ropeFrequencyDivisors(spec, theta, headDim, 'long')),
    positionIds,
  );
  const highest = g.op('ReduceMax', [positionIds], { keepdims: 0 });
  const useLong = g.op('Greater', [
    g.op('Add', [highest, g.int64Scalar(1)]),
    g.int64Scalar(spec.originalMaxPositionEmbeddings),
  ]);
  return {
    cos: g.op('Where', [useLong, long.cos, short.cos]),
    sin: g.op('Where', [useLong, long.sin, short.sin]),
  };
}
