/**
 * A copy of a RoutingInfo whose `candidates` stay unranked until someone reads them. A
 * spread would read (and so rank) them: a stream hands out such copies at its start and
 * finish, on every request, and most callers never look at the candidates.
 */
import type { RankedCandidate, RoutingInfo } from '../types';

export function copyRoutingInfo<T extends object>(
  routing: RoutingInfo,
  changes: T,
): RoutingInfo & T {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(routing))
    if (key !== 'candidates') copy[key] = routing[key as keyof RoutingInfo];
  let candidates: RankedCandidate[] | undefined;
  Object.defineProperty(copy, 'candidates', {
    get: () => {
      candidates ??= routing.candidates;
      return candidates;
    },
    set: (value: RankedCandidate[]) => {
      candidates = value;
    },
    enumerable: true,
    configurable: true,
  });
  return Object.assign(copy, changes) as RoutingInfo & T;
}
