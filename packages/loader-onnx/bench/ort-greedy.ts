import type { LlamaConfig } from '@llmr/fixtures';
import * as ort from 'onnxruntime-node';

/**
 * A hand-written greedy loop on an onnxruntime-node session of an Optimum-layout decoder: the
 * prompt in one run, then one token a run, the presents fed back as the next past. The floor the
 * benches measure llmr against; `onToken` sees each token as it is chosen.
 */
export async function ortGreedy(
  session: ort.InferenceSession,
  config: LlamaConfig,
  promptIds: readonly number[],
  count: number,
  onToken?: (index: number) => void,
): Promise<number[]> {
  const headDim = config.hiddenSize / config.numHeads;
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, config.numKvHeads, 0, headDim]);
  const past: Record<string, ort.Tensor> = {};
  for (let layer = 0; layer < config.numLayers; layer++) {
    past[`past_key_values.${layer}.key`] = empty;
    past[`past_key_values.${layer}.value`] = empty;
  }
  const ids: number[] = [];
  let feed = [...promptIds];
  let length = 0;
  while (ids.length < count) {
    const total = length + feed.length;
    const outputs = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(feed, BigInt), [1, feed.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(feed, (_, index) => BigInt(length + index)),
        [1, feed.length],
      ),
      ...past,
    });
    const logits = outputs.logits!.data as Float32Array;
    const row = logits.subarray(logits.length - config.vocabSize);
    let best = 0;
    for (let index = 1; index < row.length; index++) if (row[index]! > row[best]!) best = index;
    ids.push(best);
    onToken?.(ids.length - 1);
    for (let layer = 0; layer < config.numLayers; layer++) {
      past[`past_key_values.${layer}.key`] = outputs[`present.${layer}.key`]!;
      past[`past_key_values.${layer}.value`] = outputs[`present.${layer}.value`]!;
    }
    length = total;
    feed = [best];
  }
  return ids;
}
