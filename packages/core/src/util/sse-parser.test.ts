import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SSE_EVENT_LENGTH, MAX_SSE_LINE_LENGTH, type SSEEvent, SSEParser } from './sse-parser';

const encoder = new TextEncoder();

function parseInPieces(bytes: Uint8Array, cuts: number[]): SSEEvent[] {
  const parser = new SSEParser();
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const events: SSEEvent[] = [];
  let previous = 0;
  for (const point of [...points, bytes.length]) {
    events.push(...parser.push(bytes.slice(previous, point)));
    previous = point;
  }
  return [...events, ...parser.end()];
}

describe('SSEParser', () => {
  it('gives the same events however the bytes are split (lines, CRLF pairs, multi-byte characters)', () => {
    const payload = fc.string({
      unit: fc.constantFrom('a', 'é', '日', '🎉', '{', '"', ' ', ':'),
      maxLength: 12,
    });
    fc.assert(
      fc.property(
        fc.array(payload, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(), { maxLength: 12 }),
        (datas, newline, cuts) => {
          const text = datas
            .map(
              (data, index) =>
                `${index % 2 ? ': comment' + newline : ''}data: ${data}${newline}${newline}`,
            )
            .join('');
          const events = parseInPieces(encoder.encode(text), cuts);
          expect(events.map((event) => event.data)).toEqual(datas);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('joins multi-line data, reads event and id fields, and skips events without data', () => {
    const parser = new SSEParser();
    const events = parser.push(
      'event: error\nid: 7\ndata: line one\ndata:line two\n\nevent: ping\n\ndata\n\n',
    );
    expect(events).toEqual([
      { event: 'error', id: '7', data: 'line one\nline two' },
      { data: '', id: '7' },
    ]);
  });

  it('drops an event cut off by the end of the input', () => {
    const parser = new SSEParser();
    expect(parser.push('data: complete\n\ndata: cut off')).toEqual([{ data: 'complete' }]);
    expect(parser.end()).toEqual([]);
  });

  it('waits for the LF after a CR that ends a chunk', () => {
    const parser = new SSEParser();
    expect(parser.push('data: x\r')).toEqual([]);
    expect(parser.push('\n\r')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ data: 'x' }]);
  });

  it('refuses a line that never ends, naming the bound', () => {
    const parser = new SSEParser();
    const piece = `data: ${'x'.repeat(2 ** 20)}`;
    expect(() => {
      for (let sent = 0; sent <= MAX_SSE_LINE_LENGTH; sent += piece.length) parser.push(piece);
    }).toThrow(expect.objectContaining({ code: 'sse-line-too-long' }));
  });

  it('refuses an event whose data lines never reach a blank line, naming the bound', () => {
    const parser = new SSEParser();
    const line = `data: ${'x'.repeat(2 ** 20)}\n`;
    let error: unknown;
    try {
      for (let sent = 0; sent <= MAX_SSE_EVENT_LENGTH; sent += line.length) parser.push(line);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'sse-event-too-large' });
    expect((error as Error).message).toContain(String(MAX_SSE_EVENT_LENGTH));
    // Events under the bound still parse.
    expect(new SSEParser().push(`${line}${line}\n`)).toHaveLength(1);
  });
});
