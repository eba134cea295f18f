/**
 * A copy of a RoutingInfo whose `candidates` stay unranked until someone reads them. A
 * spread would read (and so rank) them: a stream hands out such copies at its start and
 * finish, on every request, and most callers never look at the candidates.
 */
import type { RoutingInfo } from '../types';
import { defineLazyCandidates } from './lazy-candidates';

export function copyRoutingInfo<T extends object>(
  routing: RoutingInfo,
  changes: T,
): RoutingInfo & T {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(routing))
    if (key !== 'candidates') copy[key] = routing[key as keyof RoutingInfo];
  Object.assign(copy, changes);
  return defineLazyCandidates(copy, () => routing.candidates) as unknown as RoutingInfo & T;
}
