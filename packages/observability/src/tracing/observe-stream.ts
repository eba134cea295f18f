/**
 * Watches the parts of a stream as its consumer reads them, without a second stream in
 * front of it. On Node 20 building a `ReadableStream` is costly (each is made transferable,
 * with its own controller and a promise per pull), and so is adding properties to one (it
 * is a dictionary-mode object): a wrapper stream per model call was the largest single cost
 * of a traced call, and patching the stream's methods cost half as much again.
 *
 * What is handed back is a Proxy of the model's stream: it is a `ReadableStream` to every
 * check (`instanceof`, and Node's own, which read the stream's state through it) and to
 * every consumer. Its `getReader()` gives a reader whose `read` and `cancel` report to the
 * observer: the path the router, `Readable.fromWeb` and `Response` take. `pipeTo`,
 * `pipeThrough`, `tee`, `values` and `for await` would take the platform's internal reader,
 * which cannot be watched: they go through a forwarding stream over a watched reader, built
 * only when one of them is called. `cancel()` on the stream is reported too.
 * Limit: the proxy cannot be transferred to a worker (`postMessage` with a transfer list).
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
type Method = (...args: unknown[]) => unknown;

const platformGetReader = ReadableStream.prototype.getReader as (
  this: ReadableStream,
  options?: unknown,
) => unknown;
const platformCancel = ReadableStream.prototype.cancel;

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
    observer.fail(reason ?? cancelledError(), true);
    return cancel.call(reader, reason);
  };
  return reader;
}

const cancelledError = () => new Error('The stream was cancelled by its consumer.');

/** A pull-based stream over a watched reader; it passes a consumer's cancel through. */
function forwardingStream<T>(reader: Reader<T>): Record<PropertyKey, Method> {
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
  ) as unknown as Record<PropertyKey, Method>;
}

/** Methods that would take the platform's internal reader: sent through a forwarding stream. */
const FORWARDED = new Set<PropertyKey>([
  'pipeTo',
  'pipeThrough',
  'tee',
  'values',
  Symbol.asyncIterator,
]);

/** The proxy's handler: one object per stream, its methods shared (no closures per stream). */
class ObservedStreamHandler<T> implements ProxyHandler<ReadableStream<T>> {
  constructor(private readonly observer: StreamObserver<T>) {}

  get(target: ReadableStream<T>, key: PropertyKey): unknown {
    if (key === 'getReader') {
      return (options?: { mode?: string }) =>
        // A byte reader (`mode: 'byob'`) is never used on model parts; it is left unwatched.
        options?.mode !== undefined
          ? platformGetReader.call(target, options)
          : watchReader(platformGetReader.call(target) as Reader<T>, this.observer);
    }
    if (key === 'cancel') {
      return (reason?: unknown) => {
        if (!target.locked) this.observer.fail(reason ?? cancelledError(), true);
        return platformCancel.call(target, reason);
      };
    }
    if (FORWARDED.has(key)) {
      return (...args: unknown[]) => {
        const reader = watchReader(platformGetReader.call(target) as Reader<T>, this.observer);
        return forwardingStream(reader)[key]!(...args);
      };
    }
    // Everything else (the `locked` getter, the stream's internal state that Node's own
    // checks read) comes from the stream itself.
    return Reflect.get(target, key, target);
  }
}

/** A stream that reads as `stream` does, with its parts reported to `observer` as they are read. */
export function observeStream<T>(
  stream: ReadableStream<T>,
  observer: StreamObserver<T>,
): ReadableStream<T> {
  return new Proxy(stream, new ObservedStreamHandler(observer));
}
