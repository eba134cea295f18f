/**
 * Shares circuit breakers across replicas: a breaker that opens here is written to the
 * shared state until its retry time; every replica polls the shared breakers and opens
 * its own to match, so a model failing for one replica is skipped by all. A breaker that
 * closes after a successful probe removes the shared entry; the others recover through
 * their own half-open probe.
 */
import type { CircuitControl } from '../backend';
import type { SharedState } from './shared-state';

const circuitKey = (modelId: string) => `circuit:${modelId}`;

export function syncCircuits(options: {
  control: CircuitControl;
  state: SharedState;
  /** How often to read the shared breakers. Default 500 ms. */
  intervalMs?: number;
  onError?: (error: unknown) => void;
}): () => void {
  const { control, state } = options;
  const onError = options.onError ?? (() => {});
  let applying = false;
  const unsubscribe = control.subscribe((change) => {
    // Opening a breaker to match the shared state fires a change too: not ours to publish.
    if (applying) return;
    if (change.state === 'open' && change.retryAt !== undefined) {
      const ttl = change.retryAt - Date.now();
      if (ttl > 0)
        state.set(circuitKey(change.modelId), String(change.retryAt), ttl).catch(onError);
    } else if (change.state === 'closed') {
      state.delete(circuitKey(change.modelId)).catch(onError);
    }
  });
  let polling = false;
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const ids = control.modelIds();
      const values = await state.getMany(ids.map(circuitKey));
      values.forEach((value, index) => {
        const retryAt = Number(value);
        if (value === undefined || !Number.isFinite(retryAt) || retryAt <= Date.now()) return;
        applying = true;
        try {
          control.open(ids[index]!, retryAt);
        } finally {
          applying = false;
        }
      });
    } catch (error) {
      onError(error);
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), options.intervalMs ?? 500);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
