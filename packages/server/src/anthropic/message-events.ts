/**
 * Stream parts -> Anthropic's streaming events: `message_start`, `ping`, per content
 * block `content_block_start` / `content_block_delta` (`text_delta`, `input_json_delta`)
 * / `content_block_stop`, then `message_delta` (stop reason, usage) and `message_stop`.
 * A tool call streamed in deltas is forwarded as it comes; one that arrives whole is
 * sent as one `input_json_delta`.
 */
import type { ModelV1StreamPart, ModelV1Usage } from '@llmr/core';
import type { ChunkFormatter, OpenAIChunk } from '../openai/chunks';
import { toOpenAIError } from '../openai/errors';
import { anthropicStopReason, anthropicUsage } from './convert';

export function createMessageEventFormatter(meta: { id: string; model: string }): ChunkFormatter {
  let usage: ModelV1Usage | undefined;
  let index = -1;
  /** The open block: text, or the tool call (by id) whose input is streaming. */
  let open: { kind: 'text' } | { kind: 'tool'; id: string } | undefined;
  const streamedTools = new Set<string>();

  const stop = (events: OpenAIChunk[]) => {
    if (open) events.push({ type: 'content_block_stop', index });
    open = undefined;
  };
  const startTool = (events: OpenAIChunk[], id: string, name: string) => {
    stop(events);
    index++;
    open = { kind: 'tool', id };
    events.push({
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id, name, input: {} },
    });
  };
  const inputDelta = (partial: string): OpenAIChunk => ({
    type: 'content_block_delta',
    index,
    delta: { type: 'input_json_delta', partial_json: partial },
  });

  return {
    get usage() {
      return usage;
    },
    opening: () => [
      {
        type: 'message_start',
        message: {
          id: meta.id,
          type: 'message',
          role: 'assistant',
          model: meta.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // Known only once the model reports it: message_delta carries the final counts.
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      },
      { type: 'ping' },
    ],
    format(part: ModelV1StreamPart) {
      const events: OpenAIChunk[] = [];
      switch (part.type) {
        case 'text-delta':
          if (!part.delta) break;
          if (open?.kind !== 'text') {
            stop(events);
            index++;
            open = { kind: 'text' };
            events.push({
              type: 'content_block_start',
              index,
              content_block: { type: 'text', text: '' },
            });
          }
          events.push({
            type: 'content_block_delta',
            index,
            delta: { type: 'text_delta', text: part.delta },
          });
          break;
        case 'tool-call-delta':
          if (!(open?.kind === 'tool' && open.id === part.toolCallId)) {
            startTool(events, part.toolCallId, part.toolName);
            streamedTools.add(part.toolCallId);
          }
          if (part.argumentsDelta) events.push(inputDelta(part.argumentsDelta));
          break;
        case 'tool-call':
          if (!streamedTools.has(part.toolCall.id)) {
            startTool(events, part.toolCall.id, part.toolCall.toolName);
            events.push(inputDelta(part.toolCall.arguments || '{}'));
          }
          if (open?.kind === 'tool' && open.id === part.toolCall.id) stop(events);
          break;
        case 'usage':
          usage = part.usage;
          break;
        case 'finish':
          stop(events);
          events.push(
            {
              type: 'message_delta',
              delta: anthropicStopReason(part.finishReason, part.metadata),
              usage: anthropicUsage(usage),
            },
            { type: 'message_stop' },
          );
          break;
        case 'error':
          return { chunks: events, error: toOpenAIError(part.error) };
        default:
          break;
      }
      return { chunks: events };
    },
  };
}
