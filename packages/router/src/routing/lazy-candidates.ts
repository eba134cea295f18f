/**
 * `candidates` as an own, enumerable accessor that ranks on first read: a spread, JSON or
 * a listener that reads them sees them, and a caller that never does costs nothing. The
 * accessor is shared and the state sits under a non-enumerable symbol: an object literal
 * with its own `get`/`set` took microseconds to create (V8 builds such literals slowly),
 * more than the whole decision it belongs to.
 */
import type { RankedCandidate } from '../types';

const STATE = Symbol('llmr.router.candidates');

interface State {
  read: () => RankedCandidate[];
  value: RankedCandidate[] | undefined;
}

type Holder = { [STATE]: State };

const descriptor: PropertyDescriptor = {
  get(this: Holder): RankedCandidate[] {
    const state = this[STATE];
    state.value ??= state.read();
    return state.value;
  },
  set(this: Holder, value: RankedCandidate[]) {
    this[STATE].value = value;
  },
  enumerable: true,
  configurable: true,
};

/** Adds `candidates` to `target`, read from `read()` once, when first asked for. */
export function defineLazyCandidates<T extends object>(
  target: T,
  read: () => RankedCandidate[],
): T & { candidates: RankedCandidate[] } {
  Object.defineProperty(target, STATE, { value: { read, value: undefined } satisfies State });
  Object.defineProperty(target, 'candidates', descriptor);
  return target as T & { candidates: RankedCandidate[] };
}
