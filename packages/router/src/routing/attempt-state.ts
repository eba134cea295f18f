/**
 * Deadlines and cancellation for one request and each of its attempts. A request has
 * one controller (caller's signal + total deadline); each attempt a child (+ its
 * first-token deadline). The reason an attempt was aborted says what happened: the
 * caller, the total deadline, or the first-token deadline.
 */
import { AbortError, TimeoutError } from '@llmr/core';
import type { Clock } from '../clock';

/** The signal of a request with neither a caller signal nor a deadline: it never aborts. */
const NEVER_ABORTED = new AbortController().signal;
const linkNothing = () => {};

export class RequestScope {
  /** Only for a request with a total deadline: without one, the caller's signal is enough. */
  private readonly controller: AbortController | undefined;
  readonly signal: AbortSignal;
  readonly startedAt: number;
  private totalTimer: unknown;
  private readonly unlink: () => void;
  private callerStop: AbortError | undefined;

  constructor(
    private readonly clock: Clock,
    callerSignal: AbortSignal | undefined,
    totalMs: number | undefined,
  ) {
    this.startedAt = clock.now();
    if (totalMs === undefined) {
      // No controller of its own to build and link: an AbortSignal costs more to create
      // than the rest of a small request's bookkeeping. `reason` wraps the caller's.
      this.controller = undefined;
      this.signal = callerSignal ?? NEVER_ABORTED;
      this.unlink = linkNothing;
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    this.signal = controller.signal;
    const onAbort = () => controller.abort(new AbortError({ cause: callerSignal?.reason }));
    if (callerSignal?.aborted) onAbort();
    else callerSignal?.addEventListener('abort', onAbort, { once: true });
    this.unlink = callerSignal
      ? () => callerSignal.removeEventListener('abort', onAbort)
      : linkNothing;
    this.totalTimer = clock.setTimeout(
      () =>
        controller.abort(
          new TimeoutError({
            timeoutMs: totalMs,
            message: `The request ran past its total timeout of ${totalMs} ms.`,
          }),
        ),
      totalMs,
    );
  }

  /** Why the request was stopped, when it was: the deadline, or the caller (an AbortError). */
  get reason(): unknown {
    const signal = this.signal;
    if (!signal.aborted) return undefined;
    if (this.controller) return signal.reason;
    this.callerStop ??= new AbortError({ cause: signal.reason });
    return this.callerStop;
  }

  close(): void {
    if (this.totalTimer !== undefined) this.clock.clearTimeout(this.totalTimer);
    this.totalTimer = undefined;
    this.unlink();
  }
}

export class AttemptScope {
  /** The attempt's own controller: made when something must abort this attempt alone. */
  private own: AbortController | undefined;
  private firstTokenTimer: unknown;
  private unlink: () => void = linkNothing;
  /** Rejects with the abort reason as soon as the attempt is aborted; made on the first race. */
  private abortedPromise: Promise<never> | undefined;
  /** The reader `read` cancels on abort (an attempt reads one stream). */
  private watchedReader: ReadableStreamDefaultReader<unknown> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly request: RequestScope,
    firstTokenMs: number | undefined,
    modelId: string,
  ) {
    if (firstTokenMs !== undefined) {
      const controller = this.controller;
      this.firstTokenTimer = clock.setTimeout(
        () =>
          controller.abort(
            new TimeoutError({
              timeoutMs: firstTokenMs,
              message: `Model "${modelId}" sent no first token within ${firstTokenMs} ms.`,
            }),
          ),
        firstTokenMs,
      );
    }
  }

  /**
   * The attempt's own controller, linked to the request's signal, made the first time it
   * is asked for: an attempt only its request can stop (no first-token deadline, nothing
   * that aborts it alone) never builds one, and an AbortSignal costs more to create than
   * the rest of a small request's bookkeeping.
   */
  get controller(): AbortController {
    if (this.own) return this.own;
    const controller = new AbortController();
    this.own = controller;
    // Races from here on watch the new signal (an earlier race, on the request's, is over:
    // the attempt's own is made before the model call that could abort it alone).
    this.abortedPromise = undefined;
    const parent = this.request.signal;
    const onAbort = () => controller.abort(this.request.reason);
    if (parent.aborted) onAbort();
    else if (parent !== NEVER_ABORTED) {
      parent.addEventListener('abort', onAbort, { once: true });
      this.unlink = () => parent.removeEventListener('abort', onAbort);
    }
    return controller;
  }

  /** The attempt's own signal (made on first use): aborted with the attempt's reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * The signal to hand a model call that nothing but its request stops: the attempt's own
   * when it has one, else the request's. Its reason may be the caller's raw one; `race`
   * and `reason` still give the attempt's.
   */
  get callSignal(): AbortSignal {
    return this.own?.signal ?? this.request.signal;
  }

  /** Why the attempt was stopped, when it was: its own reason, else the request's. */
  get reason(): unknown {
    if (this.own) return this.own.signal.aborted ? this.own.signal.reason : undefined;
    return this.request.reason;
  }

  firstTokenArrived(): void {
    if (this.firstTokenTimer !== undefined) this.clock.clearTimeout(this.firstTokenTimer);
    this.firstTokenTimer = undefined;
  }

  /**
   * Reads the next part, or fails as soon as the attempt is aborted, even if the model
   * ignores its signal: an abort cancels the reader, which ends a pending read at once.
   * (No Promise.race per read: that would pile a reaction per part onto a promise that
   * never settles, and cost time on every token.)
   */
  async read<T>(reader: ReadableStreamDefaultReader<T>): Promise<ReadableStreamReadResult<T>> {
    const signal = this.controller.signal;
    if (this.watchedReader !== reader) {
      this.watchedReader = reader;
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
    return Promise.race([promise, this.aborted()]);
  }

  private aborted(): Promise<never> {
    if (this.abortedPromise) return this.abortedPromise;
    const signal = this.callSignal;
    this.abortedPromise = new Promise<never>((_, reject) => {
      const fire = () => reject(this.reason);
      if (signal.aborted) fire();
      else signal.addEventListener('abort', fire, { once: true });
    });
    this.abortedPromise.catch(() => {}); // Observed through races; never unhandled.
    return this.abortedPromise;
  }

  close(): void {
    this.firstTokenArrived();
    this.unlink();
  }
}
