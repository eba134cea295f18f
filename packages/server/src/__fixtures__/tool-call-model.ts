/**
 * A test double of a tool-calling model (the mock loader's models have no tools): it
 * answers "Let me check." and calls the first tool it is given with `{"city": <the last
 * user message>}`, streamed as argument deltas; once it has a tool result it says
 * "The answer is <result>." Usage counts UTF-8 bytes.
 */
import {
  collectStream,
  type ModelV1,
  type ModelV1CallOptions,
  type ModelV1StreamPart,
} from '@llmr/core';

export function createToolCallModel(id = 'tool-caller'): ModelV1 {
  const parts = (options: ModelV1CallOptions): ModelV1StreamPart[] => {
    const messages = options.messages ?? [{ role: 'user' as const, content: options.prompt ?? '' }];
    const inputTokens = messages.reduce(
      (sum, message) => sum + Buffer.byteLength(message.content),
      0,
    );
    const result = messages.findLast((message) => message.role === 'tool');
    const tool = options.tools?.[0];
    if (result || !tool || options.toolChoice?.type === 'none') {
      const text = result ? `The answer is ${result.content}.` : 'No tools, no answer.';
      return [
        { type: 'stream-start' },
        { type: 'text-delta', delta: text },
        { type: 'usage', usage: { inputTokens, outputTokens: Buffer.byteLength(text) } },
        { type: 'finish', finishReason: 'stop' },
      ];
    }
    const city = messages.findLast((message) => message.role === 'user')?.content ?? '';
    const argumentsText = JSON.stringify({ city });
    const cut = Math.floor(argumentsText.length / 2);
    const toolCallId = 'call_test_1';
    return [
      { type: 'stream-start' },
      { type: 'text-delta', delta: 'Let me check.' },
      ...[argumentsText.slice(0, cut), argumentsText.slice(cut)].map(
        (argumentsDelta): ModelV1StreamPart => ({
          type: 'tool-call-delta',
          index: 0,
          toolCallId,
          toolName: tool.name,
          argumentsDelta,
        }),
      ),
      {
        type: 'tool-call',
        toolCall: { id: toolCallId, toolName: tool.name, arguments: argumentsText },
      },
      { type: 'usage', usage: { inputTokens, outputTokens: 13 + argumentsText.length } },
      { type: 'finish', finishReason: 'tool-calls' },
    ];
  };
  const streamOf = (options: ModelV1CallOptions) =>
    new ReadableStream<ModelV1StreamPart>({
      start(controller) {
        for (const part of parts(options)) controller.enqueue(part);
        controller.close();
      },
    });
  return {
    specificationVersion: 'v1',
    info: {
      id,
      format: 'test',
      contextLength: 4096,
      capabilities: ['chat', 'completion', 'tools'],
    },
    async doStream(options) {
      return { stream: streamOf(options) };
    },
    async doGenerate(options) {
      return collectStream(streamOf(options), { modelId: id });
    },
    async dispose() {},
  };
}
