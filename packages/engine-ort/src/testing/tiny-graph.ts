/**
 * A tiny graph for the engine conformance kit, built with @llmr/convert's graph builder:
 * y = softmax(x @ w + b) and the argmax of each row as int64, over a dynamic batch.
 */

import { OnnxGraphBuilder } from '@llmr/convert';
import type { TensorV1 } from '@llmr/core';

/** The graph, the feeds to run it with, and the outputs it must give (computed here in plain JS). */
export function tinyGraph(): {
  model: Uint8Array;
  feeds: Record<string, TensorV1>;
  expected: Record<string, TensorV1>;
} {
  const graph = new OnnxGraphBuilder();
  const x = graph.input('x', 'float32', ['batch', 3]);
  const weights = [0.5, -1, 2, 1.5, 0.25, -0.5, -2, 1, 0.75, 1, 0, 3];
  const w = graph.float32s(weights, [3, 4], 'w');
  const b = graph.float32s([0.1, 0.2, -0.3, 0], [4], 'b');
  const logits = graph.op('Add', [graph.op('MatMul', [x, w]), b]);
  graph.op('Softmax', [logits], { axis: -1 }, { output: 'y' });
  graph.op('ArgMax', [logits], { axis: -1, keepdims: 0 }, { output: 'index' });
  graph.output('y', 'float32', ['batch', 4]);
  graph.output('index', 'int64', ['batch']);
  const input = [1, 2, 3, -1, 0.5, 2];
  const rows = [input.slice(0, 3), input.slice(3)];
  const y: number[] = [];
  const index: bigint[] = [];
  for (const row of rows) {
    const values = [0, 1, 2, 3].map(
      (column) =>
        row.reduce((sum, value, k) => sum + value * weights[k * 4 + column]!, 0) +
        [0.1, 0.2, -0.3, 0][column]!,
    );
    const max = Math.max(...values);
    const exps = values.map((value) => Math.exp(value - max));
    const total = exps.reduce((a, c) => a + c, 0);
    y.push(...exps.map((value) => value / total));
    index.push(BigInt(values.indexOf(max)));
  }
  return {
    model: graph.toBytes(),
    feeds: { x: { type: 'float32', dims: [2, 3], data: Float32Array.from(input) } },
    expected: {
      y: { type: 'float32', dims: [2, 4], data: Float32Array.from(y) },
      index: { type: 'int64', dims: [2], data: BigInt64Array.from(index) },
    },
  };
}
