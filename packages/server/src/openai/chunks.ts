/**
 * Stream parts -> OpenAI chunk objects (`chat.completion.chunk` / `text_completion`). SSE
 * and WebSocket both send exactly these objects; only the framing differs.
 */
import type { ModelV1StreamPart, ModelV1Usage } from '@llmr/core';
import {
  openAIChatLogprobs,
  openAICompletionLogprobs,
  openAIFinishReason,
  openAIUsage,
} from './convert';
import { type OpenAIError, toOpenAIError } from './errors';

export type OpenAIRoute = 'chat' | 'completion';

export interface ChunkMeta {
  id: string;
  created: number;
  route: OpenAIRoute;
  model: string;
  /** `stream_options.include_usage`: a last chunk with empty choices and the usage. */
  includeUsage: boolean;
  /** `echo` on completions: the prompt, sent first. */
  prefix: string;
}

export type OpenAIChunk = Record<string, unknown>;

export interface ChunkFormatter {
  /** What goes out before any part: the assistant role (chat), or the echoed prompt. */
  opening(): OpenAIChunk[];
  /** The chunks for one part; `error` when the part is a failure (the stream ends there). */
  format(part: ModelV1StreamPart): { chunks: OpenAIChunk[]; error?: OpenAIError };
  /** Usage, once the stream reported it. */
  readonly usage: ModelV1Usage | undefined;
}

export function createChunkFormatter(meta: ChunkMeta): ChunkFormatter {
  const object = meta.route === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const base = { id: meta.id, created: meta.created, model: meta.model };
  const chunk = (choice: Record<string, unknown>): OpenAIChunk => ({
    ...base,
    object,
    choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }],
  });
  let usage: ModelV1Usage | undefined;
  let toolIndex = 0;

  return {
    get usage() {
      return usage;
    },
    opening() {
      if (meta.route === 'chat') return [chunk({ delta: { role: 'assistant', content: '' } })];
      return meta.prefix ? [chunk({ text: meta.prefix })] : [];
    },
    format(part) {
      switch (part.type) {
        case 'text-delta':
          if (!part.delta && !part.logprobs) return { chunks: [] };
          return {
            chunks: [
              meta.route === 'chat'
                ? chunk({
                    delta: { content: part.delta },
                    logprobs: openAIChatLogprobs(part.logprobs),
                  })
                : chunk({ text: part.delta, logprobs: openAICompletionLogprobs(part.logprobs) }),
            ],
          };
        case 'tool-call':
          if (meta.route !== 'chat') return { chunks: [] };
          return {
            chunks: [
              chunk({
                delta: {
                  tool_calls: [
                    {
                      index: toolIndex++,
                      id: part.toolCall.id,
                      type: 'function',
                      function: {
                        name: part.toolCall.toolName,
                        arguments: part.toolCall.arguments,
                      },
                    },
                  ],
                },
              }),
            ],
          };
        case 'usage':
          usage = part.usage;
          return { chunks: [] };
        case 'finish': {
          const finishReason = openAIFinishReason(part.finishReason);
          const chunks = [
            meta.route === 'chat'
              ? chunk({ delta: {}, finish_reason: finishReason })
              : chunk({ text: '', finish_reason: finishReason }),
          ];
          if (meta.includeUsage && usage)
            chunks.push({ ...base, object, choices: [], usage: openAIUsage(usage) });
          return { chunks };
        }
        case 'error':
          return { chunks: [], error: toOpenAIError(part.error) };
        default:
          return { chunks: [] };
      }
    },
  };
}

/**
 * Reads parts (after any read ahead as `early`) through the formatter into `send` until the
 * stream ends, a part fails, or `isOpen` says the client is gone. The reader is always
 * cancelled at the end, so an abandoned stream stops generating.
 */
export async function pumpChunks(options: {
  reader: ReadableStreamDefaultReader<ModelV1StreamPart>;
  early?: ModelV1StreamPart[];
  formatter: ChunkFormatter;
  send(chunk: OpenAIChunk): Promise<void> | void;
  isOpen(): boolean;
}): Promise<{ error?: OpenAIError }> {
  const { reader, formatter, send, isOpen } = options;
  const handle = async (part: ModelV1StreamPart) => {
    const { chunks, error } = formatter.format(part);
    for (const chunk of chunks) await send(chunk);
    return error;
  };
  try {
    for (const chunk of formatter.opening()) await send(chunk);
    for (const part of options.early ?? []) {
      const error = await handle(part);
      if (error) return { error };
    }
    while (isOpen()) {
      const { done, value } = await reader.read();
      if (done) break;
      const error = await handle(value);
      if (error) return { error };
    }
    return {};
  } finally {
    await reader.cancel().catch(() => {});
  }
}
