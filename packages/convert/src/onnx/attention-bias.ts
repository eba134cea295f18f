/**
 * The decoder's additive attention bias, built once and shared by its layers: query i
 * (cache index past + i) may see key j when j <= past + i and attention_mask[b, j] is 1,
 * and, for layers with a sliding window, when it lies fewer than `window` positions
 * behind. Masked scores get the lowest float32 rather than -inf so a fully masked
 * (padding) row stays finite. Shaped [batch, 1, 1, query, key] for the grouped scores.
 */
import type { OnnxGraphBuilder } from './onnx-graph-builder';

export function attentionBiases(
  g: OnnxGraphBuilder,
  inputIds: string,
  attentionMask: string,
  window: number | undefined,
): { full: string; sliding?: string } {
  const axes = (...values: number[]) => g.int64s(values);
  const scalarInt = (value: number) => g.int64Scalar(value);
  const sequenceLength = g.op('Gather', [g.op('Shape', [inputIds]), scalarInt(1)], { axis: 0 });
  const totalLength = g.op('Gather', [g.op('Shape', [attentionMask]), scalarInt(1)], { axis: 0 });
  const pastLength = g.op('Sub', [totalLength, sequenceLength]);
  const one = scalarInt(1);
  const keyIndex = g.op('Unsqueeze', [g.op('Range', [scalarInt(0), totalLength, one]), axes(0)]);
  const queryIndex = g.op('Unsqueeze', [g.op('Range', [pastLength, totalLength, one]), axes(1)]);
  const causal = g.op('LessOrEqual', [keyIndex, queryIndex]);
  const padding = g.op('Unsqueeze', [g.op('Cast', [attentionMask], { to: 9 }), axes(1)]);
  const allowed = g.op('And', [causal, padding]);
  const bias = (mask: string) =>
    g.op('Unsqueeze', [
      g.op('Where', [mask, g.scalar(0), g.scalar(-3.4028234663852886e38)]),
      axes(1, 2),
    ]);
  if (window === undefined) return { full: bias(allowed) };
  const distance = g.op('Sub', [queryIndex, keyIndex]);
  const inWindow = g.op('And', [allowed, g.op('Less', [distance, scalarInt(window)])]);
  return { full: bias(allowed), sliding: bias(inWindow) };
}
