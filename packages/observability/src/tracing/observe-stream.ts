/**
 * Watches the parts of a stream as its consumer reads them, without putting a second stream
 * in front of it. On Node 20 building a `ReadableStream` is costly (each one is made
 * transferable, with its own controller and a promise per pull), and a model call is one
 * stream: a wrapper stream was the largest single cost of a traced model call.
 *
 * The stream handed back is the model's own. Its `getReader()` gives a reader whose `read`
 * and `cancel` report to the observer: the path every llmr consumer (the router, the
 * server's direct backend, `Readable.fromWeb`, `fetch`'s bodies) takes. The other ways to
 * consume a stream (`pipeTo`, `pipeThrough`, `tee`, `values`, `for await`) take the
 * platform's internal reader, which cannot be watched: those are routed through a
 * forwarding stream over a watched reader, built only when one of them is called.
 */

export interface StreamObserver<T> {
  /** Each part, before the consumer sees it. */
  part(value: T): void;
  /** The stream ended (`done`) with no error. */
  end(): void;
  /** Reading failed, or the consumer cancelled (`cancelled` then says so). */
  fail(error: unknown, cancelled: boolean): void;
}

type Reader<T> = ReadableStreamDefaultReader<T>;

const OBSERVER = Symbol('llmr.streamObserver');
const platformGetReader = ReadableStream.prototype.getReader as (
  this: ReadableStream,
  options?: unknown,
) => unknown;

interface ObservedStream<T> extends ReadableStream<T> {
  [OBSERVER]: StreamObserver<T>;
}

function watchReader<T>(reader: Reader<T>, observer: StreamObserver<T>): Reader<T> {
  const read = reader.read;
  const cancel = reader.cancel;
  const onRead = (result: ReadableStreamReadResult<T>) => {
    if (result.done) observer.end();
    else observer.part(result.value);
    return result;
  };
  const onError = (error: unknown): never => {
    observer.fail(error, false);
    throw error;
  };
  reader.read = () => read.call(reader).then(onRead, onError);
  reader.cancel = (reason?: unknown) => {
    observer.fail(reason ?? new Error('The stream was cancelled by its consumer.'), true);
    return cancel.call(reader, reason);
  };
  return reader;
}

function getWatchedReader<T>(this: ObservedStream<T>, options?: { mode?: string }): unknown {
  // A byte reader (`mode: 'byob'`) is never used on model parts; it is left unwatched.
  if (options?.mode !== undefined) return platformGetReader.call(this, options);
  return watchReader(platformGetReader.call(this) as Reader<T>, this[OBSERVER]);
}

/** A pull-based stream over a watched reader; it passes a consumer's cancel through. */
function forwardingStream<T>(
  stream: ObservedStream<T>,
): Record<PropertyKey, (...args: unknown[]) => unknown> {
  const reader = getWatchedReader.call(stream) as Reader<T>;
  return new ReadableStream<T>(
    {
      async pull(controller) {
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  ) as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>;
}

// Shared by every observed stream (no closures per call): each takes the platform's
// internal reader, so each goes through a forwarding stream over a watched reader.
function pipeTo<T>(this: ObservedStream<T>, ...args: unknown[]) {
  return forwardingStream(this).pipeTo!(...args);
}
function pipeThrough<T>(this: ObservedStream<T>, ...args: unknown[]) {
  return forwardingStream(this).pipeThrough!(...args);
}
function tee<T>(this: ObservedStream<T>) {
  return forwardingStream(this).tee!();
}
function values<T>(this: ObservedStream<T>, ...args: unknown[]) {
  return forwardingStream(this).values!(...args);
}
function asyncIterator<T>(this: ObservedStream<T>, ...args: unknown[]) {
  return forwardingStream(this)[Symbol.asyncIterator]!(...args);
}

/** `stream` itself, with its parts reported to `observer` as they are read. */
export function observeStream<T>(
  stream: ReadableStream<T>,
  observer: StreamObserver<T>,
): ReadableStream<T> {
  (stream as ObservedStream<T>)[OBSERVER] = observer;
  // Own properties over the prototype's methods: the stream stays the model's own object.
  const observed = stream as unknown as Record<PropertyKey, unknown>;
  observed.getReader = getWatchedReader;
  observed.pipeTo = pipeTo;
  observed.pipeThrough = pipeThrough;
  observed.tee = tee;
  observed.values = values;
  observed[Symbol.asyncIterator] = asyncIterator;
  return stream;
}
