/**
 * Deadlines and cancellation for one request and each of its attempts. A request has
 * one controller (caller's signal + total deadline); each attempt a child (+ its
 * first-token deadline). The reason an attempt was aborted says what happened: the
 * caller, the total deadline, or the first-token deadline.
 */
import { AbortError, TimeoutError } from '@llmr/core';
import type { Clock } from '../clock';

export class RequestScope {
  readonly controller = new AbortController();
  readonly startedAt: number;
  private totalTimer: unknown;
  private readonly unlink: () => void;

  constructor(
    private readonly clock: Clock,
    callerSignal: AbortSignal | undefined,
    totalMs: number | undefined,
  ) {
    this.startedAt = clock.now();
    const onAbort = () => this.controller.abort(new AbortError({ cause: callerSignal?.reason }));
    if (callerSignal?.aborted) onAbort();
    else callerSignal?.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => callerSignal?.removeEventListener('abort', onAbort);
    if (totalMs !== undefined) {
      this.totalTimer = clock.setTimeout(
        () =>
          this.controller.abort(
            new TimeoutError({
              timeoutMs: totalMs,
              message: `The request ran past its total timeout of ${totalMs} ms.`,
            }),
          ),
        totalMs,
      );
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the request was stopped, when it was. */
  get reason(): unknown {
    return this.controller.signal.aborted ? this.controller.signal.reason : undefined;
  }

  close(): void {
    if (this.totalTimer !== undefined) this.clock.clearTimeout(this.totalTimer);
    this.totalTimer = undefined;
    this.unlink();
  }
}

export class AttemptScope {
  readonly controller = new AbortController();
  private firstTokenTimer: unknown;
  private readonly unlink: () => void;
  /** Rejects with the abort reason as soon as the attempt is aborted (for racing reads). */
  readonly aborted: Promise<never>;

  constructor(
    private readonly clock: Clock,
    request: RequestScope,
    firstTokenMs: number | undefined,
    modelId: string,
  ) {
    const parent = request.signal;
    const onAbort = () => this.controller.abort(parent.reason);
    if (parent.aborted) onAbort();
    else parent.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => parent.removeEventListener('abort', onAbort);
    if (firstTokenMs !== undefined) {
      this.firstTokenTimer = clock.setTimeout(
        () =>
          this.controller.abort(
            new TimeoutError({
              timeoutMs: firstTokenMs,
              message: `Model "${modelId}" sent no first token within ${firstTokenMs} ms.`,
            }),
          ),
        firstTokenMs,
      );
    }
    this.aborted = new Promise<never>((_, reject) => {
      const fire = () => reject(this.controller.signal.reason);
      if (this.controller.signal.aborted) fire();
      else this.controller.signal.addEventListener('abort', fire, { once: true });
    });
    this.aborted.catch(() => {}); // Observed through races; never unhandled.
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  firstTokenArrived(): void {
    if (this.firstTokenTimer !== undefined) this.clock.clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = undefined;
  }

  private readonly watched = new WeakSet<ReadableStreamDefaultReader<unknown>>();

  /**
   * Reads the next part, or fails as soon as the attempt is aborted, even if the model
   * ignores its signal: an abort cancels the reader, which ends a pending read at once.
   * (No Promise.race per read: that would pile a reaction per part onto a promise that
   * never settles, and cost time on every token.)
   */
  async read<T>(reader: ReadableStreamDefaultReader<T>): Promise<ReadableStreamReadResult<T>> {
    const signal = this.controller.signal;
    if (!this.watched.has(reader)) {
      this.watched.add(reader);
      if (!signal.aborted)
        signal.addEventListener('abort', () => void reader.cancel(signal.reason).catch(() => {}), {
          once: true,
        });
    }
    if (signal.aborted) throw signal.reason;
    const result = await reader.read();
    if (signal.aborted) throw signal.reason;
    return result;
  }

  /** Awaits a promise the same way. */
  race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.aborted]);
  }

  close(): void {
    this.firstTokenArrived();
    this.unlink();
  }
}
