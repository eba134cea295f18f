/**
 * Reads token usage off a response as it is written, so requests are charged for what
 * they used without the route's cooperation, and an aborted stream is charged for the
 * tokens it got. It watches the raw Node response (SSE routes write to it directly):
 * OpenAI-shaped JSON bodies give `usage` exactly; each streamed chunk with content counts
 * one output token until a `usage` chunk (if any) gives the exact numbers.
 */
import type { ServerResponse } from 'node:http';

export interface TappedUsage {
  model?: string;
  inputTokens: number;
  outputTokens: number;
  /** True once exact numbers were read from a `usage` object. */
  exact: boolean;
}

/** A JSON body larger than this is not parsed for usage (it is still sent). */
const MAX_JSON_BODY = 1024 * 1024;
/** A single SSE line larger than this is skipped. */
const MAX_SSE_LINE = 256 * 1024;

interface UsageLike {
  prompt_tokens?: unknown;
  completion_tokens?: unknown;
  input_tokens?: unknown;
  output_tokens?: unknown;
}

function applyUsage(target: TappedUsage, value: unknown): void {
  if (!value || typeof value !== 'object') return;
  const record = value as { model?: unknown; usage?: UsageLike; choices?: unknown };
  if (typeof record.model === 'string') target.model = record.model;
  const usage = record.usage;
  if (usage && typeof usage === 'object') {
    const input = usage.prompt_tokens ?? usage.input_tokens;
    const output = usage.completion_tokens ?? usage.output_tokens;
    if (typeof input === 'number' && typeof output === 'number') {
      target.inputTokens = input;
      target.outputTokens = output;
      target.exact = true;
    }
  }
}

function chunkHasContent(value: unknown): boolean {
  const choices = (value as { choices?: unknown })?.choices;
  if (!Array.isArray(choices)) return false;
  return choices.some((choice: { delta?: { content?: unknown }; text?: unknown }) => {
    const content = choice?.delta?.content ?? choice?.text;
    return typeof content === 'string' && content.length > 0;
  });
}

export function tapUsage(response: ServerResponse): TappedUsage {
  const usage: TappedUsage = { inputTokens: 0, outputTokens: 0, exact: false };
  let json: Buffer[] | undefined = [];
  let jsonLength = 0;
  let sseRest = '';
  // Routes that write the head themselves pass headers to `writeHead`, which leaves
  // `getHeader` empty; read the content type from the call.
  let headType = '';
  const contentType = () => headType || String(response.getHeader('content-type') ?? '');
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
  response.writeHead = ((...args: unknown[]) => {
    for (const argument of args.slice(1)) {
      if (argument && typeof argument === 'object' && !Array.isArray(argument)) {
        for (const [name, value] of Object.entries(argument)) {
          if (name.toLowerCase() === 'content-type') headType = String(value);
        }
      }
    }
    return writeHead(...args);
  }) as typeof response.writeHead;
  const onData = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const buffer = Buffer.isBuffer(chunk)
      ? chunk
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk)
        : Buffer.from(
            String(chunk),
            typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
          );
    const type = contentType();
    if (type.startsWith('text/event-stream')) {
      sseRest += buffer.toString('utf8');
      const lines = sseRest.split('\n');
      sseRest = lines.pop() ?? '';
      if (sseRest.length > MAX_SSE_LINE) sseRest = '';
      for (const line of lines) {
        if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
        try {
          const value = JSON.parse(line.slice(6)) as unknown;
          if (!usage.exact && chunkHasContent(value)) usage.outputTokens += 1;
          applyUsage(usage, value);
        } catch {
          // Not JSON: not a chunk we can count.
        }
      }
    } else if (json) {
      jsonLength += buffer.length;
      if (jsonLength > MAX_JSON_BODY) json = undefined;
      else json.push(buffer);
    }
  };
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.write = ((...args: unknown[]) => {
    onData(args[0], args[1]);
    return write(...args);
  }) as typeof response.write;
  response.end = ((...args: unknown[]) => {
    onData(args[0], args[1]);
    if (json && json.length > 0 && contentType().includes('json')) {
      try {
        applyUsage(usage, JSON.parse(Buffer.concat(json).toString('utf8')));
      } catch {
        // Not JSON after all: nothing to read.
      }
    }
    json = undefined;
    return end(...args);
  }) as typeof response.end;
  return usage;
}
