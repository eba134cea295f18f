/** Running the exported decoder under ONNX Runtime (onnxruntime-node, CPU) in the converter's tests. */
import * as ort from 'onnxruntime-node';

export interface Fixture {
  config: {
    numLayers: number;
    numKvHeads: number;
    hiddenSize: number;
    numHeads: number;
    headDim?: number;
  };
}

/** Runs the decoder on `tokens` after `past`, returning logits and the new cache. */
export async function step(
  session: ort.InferenceSession,
  fixture: Fixture,
  tokens: number[],
  past: Record<string, ort.Tensor> | undefined,
  pastLength: number,
) {
  const { numLayers, numKvHeads, hiddenSize, numHeads } = fixture.config;
  const headDim = fixture.config.headDim ?? hiddenSize / numHeads;
  const total = pastLength + tokens.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
    position_ids: new ort.Tensor(
      'int64',
      BigInt64Array.from(tokens, (_, index) => BigInt(pastLength + index)),
      [1, tokens.length],
    ),
  };
  for (let layer = 0; layer < numLayers; layer++) {
    for (const kind of ['key', 'value']) {
      feeds[`past_key_values.${layer}.${kind}`] =
        past?.[`present.${layer}.${kind}`] ??
        new ort.Tensor('float32', new Float32Array(0), [1, numKvHeads, 0, headDim]);
    }
  }
  return session.run(feeds);
}

export function lastRow(logits: ort.Tensor): Float32Array {
  const vocab = logits.dims.at(-1)!;
  const data = logits.data as Float32Array;
  return data.subarray(data.length - vocab);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < values.length; index++)
    if (values[index]! > values[best]!) best = index;
  return best;
}

export async function greedyWithCache(
  session: ort.InferenceSession,
  fixture: Fixture,
  prompt: number[],
  steps: number,
) {
  const out: number[] = [];
  let result = await step(session, fixture, prompt, undefined, 0);
  let length = prompt.length;
  for (let index = 0; index < steps; index++) {
    const next = argmax(lastRow(result.logits!));
    out.push(next);
    result = await step(session, fixture, [next], result as Record<string, ort.Tensor>, length);
    length++;
  }
  return out;
}
