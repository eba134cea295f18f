/**
 * Bounded, insertion-ordered maps: the per-request bookkeeping of this package (spans in
 * flight, trace contexts, responses to rate) must not grow without end when an entry's
 * owner never comes back to remove it.
 */

/**
 * Makes `key` the newest entry of `map` and drops the oldest entries past `limit` (a Map
 * iterates in insertion order), handing each dropped value to `onDrop`.
 */
export function setBounded<K, V>(
  map: Map<K, V>,
  key: K,
  value: V,
  limit: number,
  onDrop?: (value: V) => void,
): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) {
    const [oldest, dropped] = map.entries().next().value as [K, V];
    map.delete(oldest);
    onDrop?.(dropped);
  }
}
