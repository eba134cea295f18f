/**
 * The HTTP calls a remote model has in flight, so `dispose()` can abort them: each call
 * gets a scope (caller's signal + timeout, from createCallScope) that dispose also ends,
 * and whose errors then say the model was disposed rather than that a request failed.
 */
import { AbortError, ModelDisposedError } from '../errors/errors';
import { throwIfAborted } from './abort';
import { type CallScope, createCallScope } from './api-call';

export class InFlightCalls {
  private disposed = false;
  private readonly controllers = new Set<AbortController>();

  constructor(private readonly modelId: string) {}

  /** Starts a call; throws ModelDisposedError after dispose() and AbortError for an aborted signal. */
  begin(
    url: string,
    abortSignal: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ): CallScope {
    if (this.disposed) throw new ModelDisposedError({ modelId: this.modelId });
    throwIfAborted(abortSignal);
    const scope = createCallScope(url, abortSignal, timeoutMs);
    const controller = new AbortController();
    scope.signal.addEventListener('abort', () => controller.abort(scope.signal.reason), {
      once: true,
    });
    this.controllers.add(controller);
    const signal = AbortSignal.any([scope.signal, controller.signal]);
    return {
      signal,
      errorFor: (caught) =>
        controller.signal.aborted && !scope.signal.aborted
          ? new ModelDisposedError({ modelId: this.modelId })
          : scope.errorFor(caught),
      close: () => {
        this.controllers.delete(controller);
        scope.close();
      },
    };
  }

  /** Aborts every call in flight and refuses new ones. */
  dispose(): void {
    this.disposed = true;
    for (const controller of this.controllers)
      controller.abort(new AbortError({ message: `Model "${this.modelId}" was disposed.` }));
    this.controllers.clear();
  }
}
