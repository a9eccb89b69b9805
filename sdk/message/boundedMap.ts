/**
 * Sets `key` as the newest entry of `map` and drops the oldest beyond `maxSize`: Map keeps
 * insertion order, so this is an LRU when readers call it again on use, a FIFO otherwise.
 * Returns the entry dropped, if any.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, maxSize: number): [K, V] | undefined {
  map.delete(key);
  map.set(key, value);
  if (map.size <= maxSize) return undefined;
  const oldest = map.entries().next().value as [K, V];
  map.delete(oldest[0]);
  return oldest;
}
