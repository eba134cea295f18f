import type { ModelV1StreamPart } from '@llmr/core';
import { describe, expect, it } from 'vitest';
import { observeReader, readerStream } from './observe-stream';

const usage = { inputTokens: 3, outputTokens: 2 };
const parts: ModelV1StreamPart[] = [
  { type: 'stream-start' },
  { type: 'text-delta', delta: 'o' },
  { type: 'text-delta', delta: 'k' },
  { type: 'usage', usage },
  { type: 'finish', finishReason: 'stop' },
];

function streamOf(items: ModelV1StreamPart[], failure?: Error) {
  let index = 0;
  return new ReadableStream<ModelV1StreamPart>({
    pull(controller) {
      const item = items[index++];
      if (item) controller.enqueue(item);
      else if (failure) controller.error(failure);
      else controller.close();
    },
  });
}

describe('observeReader', () => {
  it('passes every part through unchanged and notes text, first token and usage', async () => {
    let firstTokens = 0;
    const { reader, observation } = observeReader(streamOf(parts), () => firstTokens++);
    const seen: ModelV1StreamPart[] = [];
    for (let result = await reader.read(); !result.done; result = await reader.read())
      seen.push(result.value);
    expect(seen).toEqual(parts);
    expect(firstTokens).toBe(1);
    expect(observation).toMatchObject({ textDeltas: 2, usage, failed: false });
    expect(observation.firstTextAt).toBeTypeOf('number');
  });

  it('marks a failed read and rethrows its error', async () => {
    const failure = new Error('model crashed');
    const { reader, observation } = observeReader(streamOf(parts.slice(0, 2), failure));
    await reader.read();
    await reader.read();
    await expect(reader.read()).rejects.toBe(failure);
    expect(observation.failed).toBe(true);
    expect(observation.textDeltas).toBe(1);
  });

  it('reads as a stream again, observed the same way', async () => {
    const { reader, observation } = observeReader(streamOf(parts));
    const again = readerStream(reader).getReader();
    const seen: ModelV1StreamPart[] = [];
    for (let result = await again.read(); !result.done; result = await again.read())
      seen.push(result.value);
    expect(seen).toEqual(parts);
    expect(observation.textDeltas).toBe(2);
  });
});
