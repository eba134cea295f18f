import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { observeStream, type StreamObserver } from './observe-stream';

function recorder() {
  const seen: string[] = [];
  const observer: StreamObserver<string> = {
    part: (value) => seen.push(`part ${value}`),
    end: () => seen.push('end'),
    fail: (error, cancelled) =>
      seen.push(`${cancelled ? 'cancel' : 'fail'} ${(error as Error).message}`),
  };
  return { seen, observer };
}

const parts = (...values: string[]) =>
  new ReadableStream<string>({
    start(controller) {
      for (const value of values) controller.enqueue(value);
      controller.close();
    },
  });

/** Node's streams are async iterables; the DOM typings this package builds with do not say so. */
const iterable = <T>(stream: ReadableStream<T>) => stream as unknown as AsyncIterable<T>;

describe('observeStream', () => {
  it('reports each part read through getReader, then the end', async () => {
    const { seen, observer } = recorder();
    const observed = observeStream(parts('a', 'b'), observer);
    expect(observed).toBeInstanceOf(ReadableStream);
    expect(observed.locked).toBe(false);
    const reader = observed.getReader();
    expect(await reader.read()).toEqual({ done: false, value: 'a' });
    expect(seen).toEqual(['part a']);
    await reader.read();
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    expect(seen).toEqual(['part a', 'part b', 'end']);
  });

  it('reports a failed read and still throws it to the reader', async () => {
    const { seen, observer } = recorder();
    const stream = new ReadableStream<string>({
      pull: () => Promise.reject(new Error('upstream broke')),
    });
    const reader = observeStream(stream, observer).getReader();
    await expect(reader.read()).rejects.toThrow('upstream broke');
    expect(seen).toEqual(['fail upstream broke']);
  });

  it('reports a consumer’s cancel', async () => {
    const { seen, observer } = recorder();
    let cancelledWith: unknown;
    const stream = new ReadableStream<string>({
      pull: (controller) => controller.enqueue('x'),
      cancel: (reason) => {
        cancelledWith = reason;
      },
    });
    const reader = observeStream(stream, observer).getReader();
    await reader.read();
    await reader.cancel(new Error('client went away'));
    expect(seen).toEqual(['part x', 'cancel client went away']);
    expect((cancelledWith as Error).message).toBe('client went away');
  });

  it('reports a cancel of the stream itself', async () => {
    const { seen, observer } = recorder();
    await observeStream(parts('a'), observer).cancel(new Error('not wanted'));
    expect(seen).toEqual(['cancel not wanted']);
  });

  it('is a stream to Node’s own consumers, which read it through getReader', async () => {
    const { seen, observer } = recorder();
    const chunks: string[] = [];
    for await (const chunk of Readable.fromWeb(observeStream(parts('a', 'b'), observer) as never, {
      objectMode: true,
    }))
      chunks.push(chunk as string);
    expect(chunks).toEqual(['a', 'b']);
    expect(seen).toEqual(['part a', 'part b', 'end']);
  });

  it('watches a reader taken again after the first released its lock', async () => {
    const { seen, observer } = recorder();
    const observed = observeStream(parts('a', 'b'), observer);
    const first = observed.getReader();
    await first.read();
    first.releaseLock();
    const second = observed.getReader();
    await second.read();
    expect(seen).toEqual(['part a', 'part b']);
  });

  it('sees the parts of a consumer that iterates with for await', async () => {
    const { seen, observer } = recorder();
    const values: string[] = [];
    for await (const value of iterable(observeStream(parts('a', 'b'), observer)))
      values.push(value);
    expect(values).toEqual(['a', 'b']);
    expect(seen).toEqual(['part a', 'part b', 'end']);
  });

  it('sees the parts of a consumer that pipes the stream through a transform', async () => {
    const { seen, observer } = recorder();
    const upper = observeStream(parts('a', 'b'), observer).pipeThrough(
      new TransformStream<string, string>({
        transform: (value, controller) => controller.enqueue(value.toUpperCase()),
      }),
    );
    const values: string[] = [];
    for await (const value of iterable(upper)) values.push(value);
    expect(values).toEqual(['A', 'B']);
    expect(seen).toEqual(['part a', 'part b', 'end']);
  });

  it('sees a consumer of one branch of a tee and one that pipes to a writable', async () => {
    const { seen, observer } = recorder();
    const [left, right] = observeStream(parts('a'), observer).tee();
    // A branch's cancel settles only once both branches are cancelled: not awaited.
    void right.cancel();
    const written: string[] = [];
    await left.pipeTo(new WritableStream({ write: (value) => void written.push(value) }));
    expect(written).toEqual(['a']);
    expect(seen).toEqual(['part a', 'end']);

    const piped = recorder();
    await observeStream(parts('b'), piped.observer).pipeTo(new WritableStream());
    expect(piped.seen).toEqual(['part b', 'end']);
  });
});
