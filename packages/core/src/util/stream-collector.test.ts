import { describe, expect, it } from 'vitest';
import { GenerationError } from '../errors/errors';
import type { ModelV1StreamPart } from '../model/v1/model-v1-result';
import { collectStream } from './collect-stream';
import { createStreamCollector } from './stream-collector';

function streamOf(parts: ModelV1StreamPart[]): ReadableStream<ModelV1StreamPart> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part);
      controller.close();
    },
  });
}

const parts: ModelV1StreamPart[] = [
  { type: 'stream-start', metadata: { model: 'm' } },
  {
    type: 'text-delta',
    delta: 'Hel',
    tokens: [1, 2],
    logprobs: [{ token: 'Hel', logprob: -0.5, topLogprobs: [] }],
  },
  { type: 'text-delta', delta: 'lo', tokens: [3] },
  {
    type: 'tool-call',
    toolCall: { id: 'call-1', toolName: 'lookup', arguments: '{"q":"x"}' },
  },
  { type: 'usage', usage: { inputTokens: 4, outputTokens: 3 } },
  { type: 'finish', finishReason: 'tool-calls', metadata: { seed: 7 } },
];

describe('createStreamCollector', () => {
  it('folds parts into the same result collectStream gives', async () => {
    const collector = createStreamCollector({ modelId: 'm' });
    for (const part of parts) collector.push(part);
    const expected = await collectStream(streamOf(parts), { modelId: 'm' });
    expect(collector.result()).toEqual(expected);
    expect(collector.result()).toMatchObject({
      text: 'Hello',
      tokens: [1, 2, 3],
      finishReason: 'tool-calls',
      usage: { inputTokens: 4, outputTokens: 3 },
      metadata: { seed: 7 },
    });
  });

  it('counts tokens as output when no usage part came', () => {
    const collector = createStreamCollector();
    collector.push({ type: 'text-delta', delta: 'ab', tokens: [5, 6] });
    collector.push({ type: 'finish', finishReason: 'length' });
    expect(collector.result().usage).toEqual({ inputTokens: 0, outputTokens: 2 });
  });

  it('folds a delta with more tokens than a call may take arguments', () => {
    const collector = createStreamCollector();
    const tokens = Array.from({ length: 200_000 }, (_, index) => index);
    collector.push({ type: 'text-delta', delta: 'x', tokens });
    collector.push({ type: 'finish', finishReason: 'stop' });
    expect(collector.result().tokens).toHaveLength(200_000);
  });

  it('refuses a result without a finish part, naming the model', () => {
    const collector = createStreamCollector({ modelId: 'cut' });
    collector.push({ type: 'text-delta', delta: 'partial' });
    let caught: unknown;
    try {
      collector.result();
    } catch (error) {
      caught = error;
    }
    expect(GenerationError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'stream-incomplete' });
    expect((caught as Error).message).toContain('"cut" ended without a finish part');
  });
});
