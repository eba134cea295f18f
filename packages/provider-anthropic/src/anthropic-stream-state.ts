/**
 * Anthropic's streaming events -> ModelV1 stream parts. The API sends `message_start`,
 * then per content block `content_block_start`, `content_block_delta`s (`text_delta`,
 * `input_json_delta`) and `content_block_stop`, then `message_delta` (stop reason and
 * final output tokens) and `message_stop`; `ping` may come anywhere and `error` ends it.
 */
import { type ModelV1FinishReason, type ModelV1StreamPart, ParseError } from '@llmr/core';
import {
  type AnthropicUsage,
  mapStopReason,
  mapUsage,
  upstreamError,
} from './map-anthropic-response';

type StreamEvent = {
  type?: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  content_block?: { type?: string; id?: string; name?: string; text?: string };
  delta?: {
    type?: string;
    text?: string;
    partial_json?: string;
    stop_reason?: string | null;
    stop_sequence?: string | null;
  };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
};

export class AnthropicStreamState {
  private readonly tools = new Map<number, { id: string; name: string; input: string }>();
  private usage: AnthropicUsage = {};
  private finishReason: ModelV1FinishReason | undefined;
  private metadata: Record<string, unknown> = {};
  /** True once `message_stop` (or an error) was seen: nothing after it counts. */
  ended = false;

  constructor(private readonly url: string) {}

  /** Whether a stop reason arrived: EOF after it is a server that skipped `message_stop`. */
  get hasStopReason(): boolean {
    return this.finishReason !== undefined;
  }

  /** One SSE event (its `event:` name and `data:`) -> the parts it completes. */
  handle(data: string): ModelV1StreamPart[] {
    let event: StreamEvent;
    try {
      event = JSON.parse(data) as StreamEvent;
    } catch (cause) {
      this.ended = true;
      return [
        {
          type: 'error',
          error: new ParseError({
            format: 'anthropic-sse',
            code: 'anthropic-invalid-sse',
            message: `${this.url} sent an SSE event that is not JSON: ${data.slice(0, 120)}`,
            cause,
          }),
        },
      ];
    }
    switch (event.type) {
      case 'message_start':
        this.metadata = { id: event.message?.id, model: event.message?.model };
        this.usage = { ...event.message?.usage };
        return [];
      case 'content_block_start': {
        const block = event.content_block;
        const index = event.index ?? 0;
        if (block?.type === 'tool_use') {
          const call = { id: block.id ?? `toolu_${index}`, name: block.name ?? '', input: '' };
          this.tools.set(index, call);
          return [
            {
              type: 'tool-call-delta',
              index,
              toolCallId: call.id,
              toolName: call.name,
              argumentsDelta: '',
            },
          ];
        }
        return block?.type === 'text' && block.text
          ? [{ type: 'text-delta', delta: block.text }]
          : [];
      }
      case 'content_block_delta': {
        const delta = event.delta;
        const index = event.index ?? 0;
        if (delta?.type === 'text_delta' && delta.text)
          return [{ type: 'text-delta', delta: delta.text }];
        const call = this.tools.get(index);
        if (delta?.type === 'input_json_delta' && call) {
          const argumentsDelta = delta.partial_json ?? '';
          call.input += argumentsDelta;
          return [
            {
              type: 'tool-call-delta',
              index,
              toolCallId: call.id,
              toolName: call.name,
              argumentsDelta,
            },
          ];
        }
        // thinking_delta, signature_delta, citations: not part of ModelV1 (yet).
        return [];
      }
      case 'content_block_stop': {
        const call = this.tools.get(event.index ?? 0);
        if (!call) return [];
        return [
          {
            type: 'tool-call',
            // A tool without parameters streams no input at all; its arguments are `{}`.
            toolCall: { id: call.id, toolName: call.name, arguments: call.input || '{}' },
          },
        ];
      }
      case 'message_delta':
        if (event.delta?.stop_reason) {
          this.finishReason = mapStopReason(event.delta.stop_reason);
          if (event.delta.stop_sequence)
            this.metadata = { ...this.metadata, stopSequence: event.delta.stop_sequence };
        }
        // message_delta's usage is cumulative: it replaces what message_start said.
        if (event.usage) this.usage = { ...this.usage, ...definedOnly(event.usage) };
        return [];
      case 'message_stop':
        return this.finish();
      case 'error':
        this.ended = true;
        return [{ type: 'error', error: upstreamError(this.url, event.error, data) }];
      default:
        // ping, and event types added later: ignored, as Anthropic asks clients to do.
        return [];
    }
  }

  /** The closing `usage` and `finish` parts. */
  finish(): ModelV1StreamPart[] {
    this.ended = true;
    return [
      { type: 'usage', usage: mapUsage(this.usage) },
      {
        type: 'finish',
        finishReason: this.finishReason ?? (this.tools.size ? 'tool-calls' : 'stop'),
        metadata: this.metadata,
      },
    ];
  }
}

function definedOnly(usage: AnthropicUsage): AnthropicUsage {
  return Object.fromEntries(
    Object.entries(usage).filter(([, value]) => value !== null && value !== undefined),
  ) as AnthropicUsage;
}
