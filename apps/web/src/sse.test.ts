import { describe, expect, it } from 'vitest';
import { sseData } from './sse';

function streamOf(...pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const events: string[] = [];
  for await (const data of sseData(stream)) events.push(data);
  return events;
}

describe('sseData', () => {
  it('yields each event once it is complete, across chunk boundaries', async () => {
    expect(await collect(streamOf('data: {"a":', '1}\n\ndata: [DO', 'NE]\n\n'))).toEqual([
      '{"a":1}',
      '[DONE]',
    ]);
  });

  it('joins multi-line data, skips comments and other fields, accepts CRLF', async () => {
    expect(
      await collect(streamOf(': keep-alive\n\nevent: x\ndata: one\ndata: two\r\n\r\nid: 3\n\n')),
    ).toEqual(['one\ntwo']);
  });

  it('keeps multi-byte characters split between chunks whole', async () => {
    const bytes = new TextEncoder().encode('data: héllo\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 8));
        controller.enqueue(bytes.slice(8));
        controller.close();
      },
    });
    expect(await collect(stream)).toEqual(['héllo']);
  });

  it('drops an unterminated last event', async () => {
    expect(await collect(streamOf('data: done\n\ndata: cut'))).toEqual(['done']);
  });
});
