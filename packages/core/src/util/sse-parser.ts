/**
 * A Server-Sent Events parser that takes bytes as they arrive: chunks may split a line,
 * a CRLF pair or a multi-byte character anywhere. Comments (`: keep-alive`) are skipped,
 * multi-line `data:` is joined with newlines, and an event is dispatched on its blank
 * line only, so an event cut off by a dropped connection is never half-delivered.
 */
import { ParseError } from '../errors/errors';

export interface SSEEvent {
  /** The `event:` field; undefined for the default `message` type. */
  event?: string;
  data: string;
  id?: string;
}

/** Bound on one buffered line, so a server that never sends a newline cannot exhaust memory. */
export const MAX_SSE_LINE_LENGTH = 16 * 2 ** 20;

/**
 * Bound on the `data:` of one event: many short lines with no blank line between them
 * would otherwise pile up without end, each under the line bound.
 */
export const MAX_SSE_EVENT_LENGTH = 16 * 2 ** 20;

const LINE_BREAK = /[\r\n]/g;

export class SSEParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private dataLines: string[] = [];
  private eventType: string | undefined;
  private lastId: string | undefined;
  private sawData = false;
  private dataLength = 0;

  /** Feeds bytes (or text); returns every event completed by them. */
  push(chunk: Uint8Array | string): SSEEvent[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** End of input: whatever is left is an incomplete event and is dropped. */
  end(): SSEEvent[] {
    this.buffer += this.decoder.decode();
    return this.drain(true);
  }

  private drain(final: boolean): SSEEvent[] {
    const events: SSEEvent[] = [];
    let start = 0;
    while (start < this.buffer.length) {
      // A native search: a long line arriving in many chunks is rescanned on each one.
      LINE_BREAK.lastIndex = start;
      const found = LINE_BREAK.exec(this.buffer);
      if (!found) break; // No line break yet.
      const end = found.index;
      // A lone CR at the end of the buffer may be the first half of CRLF: wait for more.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1 && !final) break;
      const line = this.buffer.slice(start, end);
      start = end + (this.buffer[end] === '\r' && this.buffer[end + 1] === '\n' ? 2 : 1);
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > MAX_SSE_LINE_LENGTH) {
      throw new ParseError({
        format: 'sse',
        code: 'sse-line-too-long',
        message: `An SSE line exceeded ${MAX_SSE_LINE_LENGTH} characters without a newline: the upstream is not sending Server-Sent Events.`,
      });
    }
    if (final) {
      this.buffer = '';
      this.reset();
    }
    return events;
  }

  private line(line: string): SSEEvent | undefined {
    if (line === '') {
      const event = this.sawData
        ? {
            data: this.dataLines.join('\n'),
            ...(this.eventType ? { event: this.eventType } : {}),
            ...(this.lastId !== undefined ? { id: this.lastId } : {}),
          }
        : undefined;
      this.reset();
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataLength += value.length + 1;
      if (this.dataLength > MAX_SSE_EVENT_LENGTH) {
        throw new ParseError({
          format: 'sse',
          code: 'sse-event-too-large',
          message: `An SSE event's data exceeded ${MAX_SSE_EVENT_LENGTH} characters without a blank line to end it: the upstream is not sending Server-Sent Events as expected.`,
        });
      }
      this.dataLines.push(value);
      this.sawData = true;
    } else if (field === 'event') this.eventType = value;
    else if (field === 'id') this.lastId = value;
    return undefined;
  }

  private reset() {
    this.dataLines = [];
    this.dataLength = 0;
    this.eventType = undefined;
    this.sawData = false;
  }
}
